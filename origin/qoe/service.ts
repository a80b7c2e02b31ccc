import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../../common/logging.js';
import type { AuthOptions } from '../plugins/auth.js';
import { QoeCollector } from './collector.js';
import type { QoeConfig } from './config.js';
import { FileQoeSink } from './fileSink.js';
import { MemoryQoeSink } from './memorySink.js';
import { QoeMetrics } from './metrics.js';
import { qoePlugin, type QoePluginOptions } from './plugin.js';
import type { QoeSink } from './sink.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The QoE collector (summaries, per-edge QoE for steering). */
    qoe: QoeCollector;
  }
}

/** The sink the configuration names: the NDJSON log in `qoe.dir` (default `<dataDir>/qoe`), or memory. */
export function createQoeSink(config: QoeConfig, dataDir: string): QoeSink {
  if (config.sink === 'memory') return new MemoryQoeSink({ maxRecords: config.memoryMaxEvents });
  return new FileQoeSink({
    dir: config.dir ?? join(dataDir, 'qoe'),
    maxFileBytes: config.logMaxFileBytes,
    maxFiles: config.logMaxFiles,
    fsync: config.fsync,
  });
}

export interface QoeDeps {
  qoe: QoeConfig;
  dataDir: string;
  ingestToken: string | undefined;
  /** Who may read `/v1/qoe/summary` and `/v1/qoe/sessions/:id`: the API or read token, as `/v1`. */
  readAuth: AuthOptions;
  registry: Registry;
  logger: Logger;
  nowMs: () => number;
  /** Default: the one the configuration names. */
  sink?: QoeSink;
}

/**
 * Opens the QoE collector (replaying its log), registers `/v1/qoe` on the app, decorates the app
 * with `qoe`, and closes the collector with the app.
 */
export async function registerQoe(app: FastifyInstance, deps: QoeDeps): Promise<QoeCollector> {
  const config = deps.qoe;
  const metrics = new QoeMetrics(deps.registry, {
    strategies: config.strategies,
    maxEdgeLabels: config.maxEdgeLabels,
  });
  const collector = new QoeCollector({
    sink: deps.sink ?? createQoeSink(config, deps.dataDir),
    metrics,
    maxSessions: config.maxSessions,
    sessionIdleTimeoutMs: config.sessionIdleTimeoutS * 1000,
    nowMs: deps.nowMs,
    logger: deps.logger.child({ component: 'qoe' }),
  });
  await collector.open();
  app.decorate('qoe', collector);
  app.addHook('onClose', async () => {
    await collector.close();
  });
  const options: QoePluginOptions = {
    collector,
    metrics,
    config,
    ingestToken: deps.ingestToken,
    readAuth: deps.readAuth,
    nowMs: deps.nowMs,
  };
  await app.register((scope) => qoePlugin(scope, options), { prefix: '/v1/qoe' });
  return collector;
}
