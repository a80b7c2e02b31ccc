/**
 * One edge node on every core: `cdn edge --workers N` forks N worker processes (node:cluster) that
 * share the public port. The primary serves nothing; it starts the workers, restarts one that
 * dies, aggregates their metrics, relays node-wide admin actions (purge, drain) and stops them on
 * SIGTERM.
 *
 * How the workers share one cache without multiplying origin fetches: every cache key has one
 * owner worker, chosen by rendezvous hashing over the worker indexes (edge/placement/hrw.ts). Only
 * the owner fills the key from upstream (peers, parents, origin) and stores it on disk, in its own
 * slice of the disk tier (`<disk.dir>/worker-<i>`, `disk.maxBytes / N` each). Another worker that
 * misses asks the owner over loopback (each worker also listens on an internal port) and keeps the
 * answer in its memory tier only, so hot objects are served by every worker from memory, and each
 * object is fetched from upstream once and stored on disk once per node.
 *
 * The BGP speaker and the steering control client run in worker 0 only (edge/main.ts): routers
 * peer with one speaker per node and the control plane knows the node as one edge. Its heartbeats
 * report the node's load from the aggregated metrics.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '../common/logging.js';
import { workerMallocEnv } from './config.js';
import {
  WORKER_IDENTITY_ENV,
  type NodeAction,
  type NodeLink,
  type WorkerIdentity,
} from './workerIdentity.js';

/** Messages between the primary and the workers over the cluster IPC channel. */
export type ClusterMessage =
  | { type: 'cdn-edge:ready'; index: number; url: string }
  | { type: 'cdn-edge:broadcast'; from: number; action: NodeAction }
  | { type: 'cdn-edge:apply'; action: NodeAction }
  | { type: 'cdn-edge:metrics-request'; id: number }
  | { type: 'cdn-edge:metrics-response'; id: number; text?: string; error?: string };

export function isClusterMessage(value: unknown): value is ClusterMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    (value as { type: string }).type.startsWith('cdn-edge:')
  );
}

/**
 * A worker that dies within this long of its start is not restarted at once but after
 * RESTART_BACKOFF_MS, so a worker that crashes at start does not spin the CPU.
 */
const QUICK_DEATH_MS = 5000;
/** Delay before restarting a worker that died quickly, in ms. */
const RESTART_BACKOFF_MS = 2000;
/** How long the primary waits for workers to stop after SIGTERM before killing them, in ms. */
const STOP_GRACE_MS = 15_000;

/** Free loopback ports, one per worker (bound and released; the workers bind them exclusively). */
async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

export interface EdgeClusterPrimary {
  /** Resolves with the public URL once every worker listens. */
  ready: Promise<string>;
  /** Stops every worker gracefully (drain, finish in flight, flush disk writes). */
  stop(): Promise<void>;
}

/**
 * Runs in the primary: forks `workers` workers of the current command line, each with its identity
 * in the environment, and supervises them.
 */
export async function startEdgeClusterPrimary(workers: number, logger: Logger): Promise<EdgeClusterPrimary> {
  const internalPorts = await freeLoopbackPorts(workers);
  const secret = randomBytes(24).toString('base64url');
  const aggregator = new AggregatorRegistry();
  const byIndex = new Map<number, Worker>();
  const startedAt = new Map<number, number>();
  let stopping = false;
  let resolveReady!: (url: string) => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<string>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined);
  const readyIndexes = new Set<number>();

  const fork = (index: number): void => {
    const identity: WorkerIdentity = { index, internalPorts, secret };
    const worker = cluster.fork({
      [WORKER_IDENTITY_ENV]: JSON.stringify(identity),
      ...workerMallocEnv(),
    });
    byIndex.set(index, worker);
    startedAt.set(index, Date.now());
    worker.on('message', (message: unknown) => {
      if (!isClusterMessage(message)) return;
      if (message.type === 'cdn-edge:ready') {
        readyIndexes.add(message.index);
        if (readyIndexes.size === workers) resolveReady(message.url);
      } else if (message.type === 'cdn-edge:broadcast') {
        // The sender applied it already.
        for (const [i, w] of byIndex) {
          if (i !== message.from && w.isConnected()) {
            w.send({ type: 'cdn-edge:apply', action: message.action } satisfies ClusterMessage);
          }
        }
      } else if (message.type === 'cdn-edge:metrics-request') {
        // The asking worker may have gone while the others answered (a stop): without a callback,
        // a send on a closed channel is an unhandled 'error' on the Worker, fatal to the primary.
        const reply = (answer: ClusterMessage): void => {
          worker.send(answer, undefined, () => undefined);
        };
        aggregator.clusterMetrics().then(
          (text) => reply({ type: 'cdn-edge:metrics-response', id: message.id, text }),
          (err: Error) => reply({ type: 'cdn-edge:metrics-response', id: message.id, error: err.message }),
        );
      }
    });
    worker.on('exit', (code, signal) => {
      if (byIndex.get(index) === worker) byIndex.delete(index);
      if (stopping) return;
      logger.error({ worker: index, code, signal }, 'edge worker exited; restarting it');
      if (!readyIndexes.has(index)) {
        rejectReady(new Error(`edge worker ${index} exited during start (code ${code ?? signal})`));
        return;
      }
      const livedMs = Date.now() - (startedAt.get(index) ?? 0);
      setTimeout(
        () => {
          if (!stopping) fork(index);
        },
        livedMs < QUICK_DEATH_MS ? RESTART_BACKOFF_MS : 0,
      ).unref();
    });
  };
  for (let i = 0; i < workers; i++) fork(i);

  return {
    ready,
    async stop() {
      stopping = true;
      const exits = [...byIndex.values()].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (!w.isConnected() && w.isDead()) {
              resolve();
              return;
            }
            const kill = setTimeout(() => w.process.kill('SIGKILL'), STOP_GRACE_MS);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      );
      await Promise.all(exits);
    },
  };
}

/** How long a worker waits for the primary's aggregated metrics, in ms (a scrape times out at 10 s). */
const METRICS_TIMEOUT_MS = 5000;

export interface EdgeWorkerHandle {
  url: string;
  close(): Promise<void>;
}

/**
 * Runs in a worker: starts the edge with its slice of the node, links it to the primary (node-wide
 * admin actions, aggregated metrics) and reports ready. `start` is startEdge (passed in to keep
 * this module free of the HTTP shell).
 */
export async function runEdgeWorker(
  identity: WorkerIdentity,
  start: (node: NodeLink) => Promise<{
    url: string;
    registry: Registry;
    app: { applyNodeAction(action: NodeAction): Promise<void> };
    close(): Promise<void>;
  }>,
  logger: Logger,
): Promise<EdgeWorkerHandle> {
  const send = (message: ClusterMessage): void => {
    if (process.connected) process.send!(message);
  };
  let nextId = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  const node: NodeLink = {
    broadcast: (action) => send({ type: 'cdn-edge:broadcast', from: identity.index, action }),
    metricsText: () =>
      new Promise<string>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error('the node did not aggregate its metrics in time'));
        }, METRICS_TIMEOUT_MS);
        waiting.set(id, {
          resolve: (text) => {
            clearTimeout(timer);
            resolve(text);
          },
          reject: (err) => {
            clearTimeout(timer);
            reject(err);
          },
        });
        send({ type: 'cdn-edge:metrics-request', id });
      }),
  };
  const edge = await start(node);
  // The primary's AggregatorRegistry asks every worker for these series; constructing one here
  // installs the worker side of that exchange.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([edge.registry]);
  const onMessage = (message: unknown): void => {
    if (!isClusterMessage(message)) return;
    if (message.type === 'cdn-edge:apply') {
      edge.app.applyNodeAction(message.action).catch((err: unknown) => {
        logger.error({ err: (err as Error).message, action: message.action }, 'node action failed');
      });
    } else if (message.type === 'cdn-edge:metrics-response') {
      const entry = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.text !== undefined) entry?.resolve(message.text);
      else entry?.reject(new Error(message.error ?? 'metrics aggregation failed'));
    }
  };
  process.on('message', onMessage);
  send({ type: 'cdn-edge:ready', index: identity.index, url: edge.url });
  return {
    url: edge.url,
    async close() {
      process.off('message', onMessage);
      await edge.close();
    },
  };
}
