/**
 * A worker process's place in a node running `--workers N` (see edge/cluster.ts): which worker it
 * is, where its siblings listen, and the secret their requests to each other carry.
 */

/** What a worker learns about its place in the node (passed in its environment). */
export interface WorkerIdentity {
  /** 0-based index of this worker. */
  index: number;
  /** Internal loopback port of every worker, by index (this worker's own included). */
  internalPorts: readonly number[];
  /** Secret that sibling requests carry in WORKER_SECRET_HEADER (random per node start). */
  secret: string;
}

/** Request header marking a fill request from a sibling worker (value: the node's worker secret). */
export const WORKER_SECRET_HEADER = 'cdn-worker-secret';

/** Environment variable carrying a worker's identity as JSON (set by the primary). */
export const WORKER_IDENTITY_ENV = 'CDN_EDGE_WORKER';

/** Admin actions that apply to the whole node: every worker applies them. */
export type NodeAction =
  | { kind: 'purge-key'; key: string }
  | { kind: 'purge-prefix'; prefix: string }
  | { kind: 'drain'; draining: boolean };

/** What a worker's app needs from the node around it (main.ts implements it over cluster IPC). */
export interface NodeLink {
  /** Makes every other worker apply `action` (this one applied it already). */
  broadcast(action: NodeAction): void;
  /** The node's metrics: every worker's series aggregated (Prometheus text). */
  metricsText(): Promise<string>;
}
