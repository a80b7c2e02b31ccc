import { createLogger, type Logger } from '../common/logging.js';
import { createMetricsRegistry } from '../common/metrics.js';
import { buildEdgeApp, type EdgeApp } from './app.js';
import { DiskStore } from './cache/diskStore.js';
import { MemoryStore } from './cache/memoryStore.js';
import type { EdgeConfig } from './config.js';

export interface RunningEdge {
  app: EdgeApp;
  /** `http://host:port` the edge listens on. */
  url: string;
  /** Stops listening, finishes requests and fills in flight, closes the stores. */
  close: () => Promise<void>;
}

/**
 * Opens the cache tiers (the disk index is loaded before the first request, so a restarted node
 * answers hits at once), builds the edge and listens on `config.listen`.
 */
export async function startEdge(config: EdgeConfig, options: { logger?: Logger } = {}): Promise<RunningEdge> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'cdn-edge' });
  const registry = createMetricsRegistry({ defaultLabels: { part: 'edge', node: config.nodeId } });
  const memory = new MemoryStore({ maxBytes: config.memory.maxBytes });
  await memory.open();
  let disk: DiskStore | undefined;
  if (config.disk !== undefined) {
    disk = new DiskStore({ dir: config.disk.dir, maxBytes: config.disk.maxBytes });
    await disk.open();
    logger.info({ dir: config.disk.dir, ...disk.openReport }, 'disk cache opened');
  }
  const app = buildEdgeApp({ config, registry, logger, memory, ...(disk !== undefined ? { disk } : {}) });
  let url: string;
  try {
    url = await app.listen();
  } catch (err) {
    await app.close();
    throw err;
  }
  logger.info({ url, origin: config.originUrl, nodeId: config.nodeId }, 'edge listening');
  return { app, url, close: () => app.close() };
}
