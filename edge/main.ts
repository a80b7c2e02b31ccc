import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { createLogger, type Logger } from '../common/logging.js';
import { createMetricsRegistry } from '../common/metrics.js';
import { buildEdgeApp, type EdgeApp } from './app.js';
import { DiskStore } from './cache/diskStore.js';
import { MemoryStore } from './cache/memoryStore.js';
import { controlConfigOf, type EdgeConfig } from './config.js';
import { EdgeLink } from './control/link.js';
import { metricTotal } from './control/status.js';
import type { NodeLink, WorkerIdentity } from './workerIdentity.js';

export interface RunningEdge {
  app: EdgeApp;
  /** `http://host:port` the edge listens on. */
  url: string;
  registry: Registry;
  /**
   * The BGP speaker and the steering control client, when `bgp` or `control` is configured (with
   * `--workers`, in worker 0 only).
   */
  link: EdgeLink | undefined;
  /**
   * Tells the control plane the edge drains, closes the BGP sessions (Cease, Administrative
   * Shutdown), stops listening, finishes requests and fills in flight, closes the stores.
   */
  close: () => Promise<void>;
}

export interface StartEdgeOptions {
  logger?: Logger;
  /** Run as one worker of a node (`--workers`): a slice of each tier and an internal port. */
  worker?: WorkerIdentity;
  node?: NodeLink;
}

/** The edge's egress counter, read for the load its heartbeats report. */
const RESPONSE_BYTES_METRIC = 'cdn_edge_response_bytes_total';

/** Listens on 127.0.0.1:`port` in this process alone (not shared through the cluster primary). */
function listenInternal(handle: EdgeApp['handle'], port: number): Promise<Server> {
  const server = createServer({ keepAliveTimeout: 65_000 }, handle);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * Opens the cache tiers (the disk index is loaded before the first request, so a restarted node
 * answers hits at once), builds the edge and listens on `config.listen`. A worker of a node takes
 * `1/N` of each tier (its disk slice under `<disk.dir>/worker-<i>`) and also listens on its
 * internal loopback port for its siblings.
 */
export async function startEdge(config: EdgeConfig, options: StartEdgeOptions = {}): Promise<RunningEdge> {
  const { worker } = options;
  const workers = worker?.internalPorts.length ?? 1;
  const logger = (options.logger ?? createLogger({ level: config.logLevel, name: 'cdn-edge' })).child(
    worker === undefined ? {} : { worker: worker.index },
  );
  const registry = createMetricsRegistry({ defaultLabels: { part: 'edge', node: config.nodeId } });
  const memory = new MemoryStore({ maxBytes: Math.floor(config.memory.maxBytes / workers) });
  await memory.open();
  let disk: DiskStore | undefined;
  if (config.disk !== undefined) {
    const dir = worker === undefined ? config.disk.dir : join(config.disk.dir, `worker-${worker.index}`);
    disk = new DiskStore({
      dir,
      maxBytes: Math.floor(config.disk.maxBytes / workers),
      reverifyIntervalMs: config.disk.reverifyIntervalMs,
      openFilesMax: config.disk.openFilesMax,
    });
    await disk.open();
    logger.info({ dir, ...disk.openReport }, 'disk cache opened');
  }
  const app = buildEdgeApp({
    config,
    registry,
    logger,
    memory,
    ...(disk !== undefined ? { disk } : {}),
    ...(worker !== undefined ? { worker } : {}),
    ...(options.node !== undefined ? { node: options.node } : {}),
  });
  let url: string;
  let internal: Server | undefined;
  try {
    url = await app.listen();
    if (worker !== undefined)
      internal = await listenInternal(app.handle, worker.internalPorts[worker.index]!);
  } catch (err) {
    await app.close();
    throw err;
  }
  logger.info({ url, origin: config.originUrl, nodeId: config.nodeId }, 'edge listening');
  const closeHttp = async (): Promise<void> => {
    if (internal !== undefined) {
      const server = internal;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5000).unref();
      });
    }
    await app.close();
  };
  // One BGP speaker and one control client per node: with --workers only worker 0 runs them (the
  // routers peer with one speaker, and the control plane knows the node as one edge). Its
  // heartbeats carry the node's load (the workers' aggregated byte counter) and its own tiers'
  // cached titles.
  let link: EdgeLink | undefined;
  if ((worker?.index ?? 0) === 0 && (config.bgp !== undefined || config.control !== undefined)) {
    const node = options.node;
    try {
      link = await EdgeLink.start({
        bgp: config.bgp,
        control: controlConfigOf(config, url),
        registry,
        logger,
        edge: {
          draining: () => app.draining,
          tiers: disk === undefined ? [memory] : [memory, disk],
          responseBytes: async () =>
            metricTotal(
              node === undefined
                ? await registry.getSingleMetricAsString(RESPONSE_BYTES_METRIC)
                : await node.metricsText(),
              RESPONSE_BYTES_METRIC,
            ),
        },
      });
    } catch (err) {
      await closeHttp();
      throw err;
    }
  }
  return {
    app,
    url,
    registry,
    link,
    close: async () => {
      app.setDraining(true);
      await link?.stop(`edge ${config.nodeId} shutting down`);
      await closeHttp();
    },
  };
}
