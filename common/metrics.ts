import { Registry, collectDefaultMetrics } from 'prom-client';

export interface RegistryOptions {
  /** Labels added to every series, such as `{ part: 'edge', node: 'edge-1' }`. Keep them bounded. */
  defaultLabels?: Record<string, string>;
  /** Collect process metrics (CPU, memory, event loop lag, GC) with the `cdn_` prefix. */
  processMetrics?: boolean;
}

/** A fresh prom-client registry for one process or one test; the global registry is never used. */
export function createMetricsRegistry(options: RegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'cdn_' });
  return registry;
}
