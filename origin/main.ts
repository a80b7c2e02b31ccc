import type { FastifyInstance } from 'fastify';
import { createLogger, type Logger } from '../common/logging.js';
import { createMetricsRegistry } from '../common/metrics.js';
import { buildOriginApp } from './app.js';
import type { OriginConfig } from './config.js';
import { createEncodePipeline } from './jobs/encodePipeline.js';

export interface RunningOrigin {
  app: FastifyInstance;
  /** `http://host:port` the origin listens on. */
  url: string;
  /** Stops listening, cancels running jobs (recorded as interrupted) and closes the store. */
  close: () => Promise<void>;
}

/** Builds the origin with the real encode pipeline and listens on `config.host:config.port`. */
export async function startOrigin(
  config: OriginConfig,
  options: { logger?: Logger } = {},
): Promise<RunningOrigin> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'cdn-origin' });
  const registry = createMetricsRegistry({ defaultLabels: { part: 'origin' } });
  const app = await buildOriginApp({
    config,
    registry,
    logger,
    createPipeline: (store) =>
      createEncodePipeline({
        store,
        ...(config.encodeConcurrency !== undefined ? { encodeConcurrency: config.encodeConcurrency } : {}),
      }),
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return { app, url: `http://${host}:${port}`, close: () => app.close() };
}
