/**
 * Validates the edge config files the deploy directory ships, as the edge does: the file with the
 * EDGE_* environment merged over it, through the edge's own schema (its `bgp` and `control`
 * sections included), and the control-plane client settings the edge derives from it.
 */
import type { BgpConfig } from '../../edge/bgp/index.js';
import type { ControlConfig } from '../../edge/control/index.js';
import { controlConfigOf, edgeConfigFromInput, edgeEnvInput, type EdgeConfig } from '../../edge/index.js';
import { mergeValues } from './helmLite.js';

export interface CheckedEdgeConfig {
  config: EdgeConfig;
  bgp?: Readonly<BgpConfig>;
  /** The control-plane client settings with the edge's defaults filled in. */
  control?: ControlConfig;
}

/** Validates an edge config file with the environment it runs with; throws CDN_ERR_CONFIG_INVALID naming the key. */
export function checkEdgeConfig(
  input: Record<string, unknown>,
  name: string,
  env: Record<string, string> = {},
): CheckedEdgeConfig {
  const config = edgeConfigFromInput(mergeValues(input, edgeEnvInput(env)), name);
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const control = controlConfigOf(config, `http://${host}:${config.listen.port}`);
  return {
    config,
    ...(config.bgp !== undefined ? { bgp: config.bgp } : {}),
    ...(control !== undefined ? { control } : {}),
  };
}
