import { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { createLogger } from '../../common/logging.js';
import {
  controlConfigOf,
  describeEdgeLink,
  loadEdgeConfig,
  runEdgeWorker,
  startEdge,
  startEdgeClusterPrimary,
  workerIdentityFromEnv,
  type EdgeConfig,
  type EdgeLinkDescription,
  type WorkerIdentity,
} from '../../edge/index.js';
import { logLevelOption, portNumber, positiveInteger, withInterrupt } from '../cli.js';

interface EdgeCliOptions {
  config?: string;
  nodeId?: string;
  host?: string;
  port?: number;
  origin?: string;
  memoryBytes?: number;
  diskDir?: string;
  diskBytes?: number;
  logLevel?: string;
  workers?: number | 'auto';
}

/** Maps the command line onto edge config keys (validated with the rest of the config). */
export function edgeFlagsFromCli(o: EdgeCliOptions): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  if (o.nodeId !== undefined) flags.nodeId = o.nodeId;
  const listen: Record<string, unknown> = {};
  if (o.host !== undefined) listen.host = o.host;
  if (o.port !== undefined) listen.port = o.port;
  if (Object.keys(listen).length > 0) flags.listen = listen;
  if (o.origin !== undefined) flags.originUrl = o.origin;
  if (o.memoryBytes !== undefined) flags.memory = { maxBytes: o.memoryBytes };
  const disk: Record<string, unknown> = {};
  if (o.diskDir !== undefined) disk.dir = o.diskDir;
  if (o.diskBytes !== undefined) disk.maxBytes = o.diskBytes;
  if (Object.keys(disk).length > 0) flags.disk = disk;
  if (o.logLevel !== undefined) flags.logLevel = o.logLevel;
  if (o.workers !== undefined) flags.workers = o.workers;
  return flags;
}

export function edgeCommand(): Command {
  return new Command('edge')
    .description(
      'Run an edge cache node: /content from memory and disk, filled from the origin; admin, metrics, health',
    )
    .option(
      '-c, --config <file>',
      'JSON config file (keys: nodeId, listen, originUrl, memory, disk, tokens, ...)',
    )
    .option('--node-id <id>', 'node name in Cache-Status and metrics (default: the host name)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('-p, --port <port>', 'port to listen on (default 8081; 0 picks a free one)', portNumber)
    .option(
      '-o, --origin <url>',
      'origin base URL, e.g. http://127.0.0.1:8080 (required, here or in the config)',
    )
    .option(
      '--memory-bytes <n>',
      'memory tier size in bytes (default 256 MiB)',
      positiveInteger('--memory-bytes'),
    )
    .option('--disk-dir <dir>', 'disk tier directory (default: no disk tier)')
    .option('--disk-bytes <n>', 'disk tier size in bytes (default 10 GiB)', positiveInteger('--disk-bytes'))
    .option(
      '-w, --workers <n>',
      'worker processes sharing the port and the cache: a number or "auto" (one per core; default 1)',
      workersOption,
    )
    .addOption(logLevelOption())
    .addHelpText(
      'after',
      `
Configuration: the config file, then the environment, then these flags (later wins).
Environment:
  EDGE_ADMIN_TOKEN   bearer token of POST /admin/purge and /admin/drain (at least 16 characters)
  EDGE_NODE_ID, EDGE_HOST, EDGE_PORT, EDGE_ORIGIN_URL, EDGE_DISK_DIR, EDGE_LOG_LEVEL
URL tokens: "tokens": {"required": true, "keys": {"<kid>": "<base64 key, 32+ bytes>"}} in the config;
  players send them as ?token=... or in the path: /t/<token>/content/<title>/...
Steering: "bgp" (the speaker: localAs, routerId, listen, neighbors, importPolicy) and "control"
  (capacityGbps, token or EDGE_CONTROL_TOKEN; edgeId, originUrl, cluster and publicUrl default to
  the node's) in the config; routes come from BGP, else control.staticRoutes or staticRoutesFile.

Stops on SIGINT/SIGTERM (or when the process that started it over an IPC channel goes away):
readiness goes false, requests and fills in flight finish, disk writes are flushed. Exit codes: 0 stopped cleanly, 1 failed to start, 2 bad usage or configuration.`,
    )
    .action(async (opts: EdgeCliOptions) => {
      const config = await loadEdgeConfig({
        ...(opts.config !== undefined ? { configPath: opts.config } : {}),
        flags: edgeFlagsFromCli(opts),
      });
      const identity = workerIdentityFromEnv();
      if (identity !== undefined) {
        await runAsWorker(config, identity);
        return;
      }
      const workers = config.workers === 'auto' ? availableParallelism() : config.workers;
      const where = `origin ${config.originUrl}, ${config.disk ? `disk ${config.disk.dir}` : 'memory only'}`;
      if (workers > 1) {
        const logger = createLogger({ level: config.logLevel, name: 'cdn-edge' });
        const primary = await startEdgeClusterPrimary(workers, logger);
        let url: string;
        try {
          url = await primary.ready;
        } catch (err) {
          await primary.stop();
          throw err;
        }
        process.stdout.write(`edge ${config.nodeId} listening on ${url} (${workers} workers, ${where})\n`);
        const link = describeEdgeLink({ bgp: config.bgp, control: controlConfigOf(config, url) });
        for (const line of formatEdgeLink(link, ' (worker 0)')) process.stdout.write(`${line}\n`);
        await withInterrupt(untilStopped);
        await primary.stop();
        process.stdout.write('edge stopped\n');
        return;
      }
      const edge = await startEdge(config);
      process.stdout.write(`edge ${config.nodeId} listening on ${edge.url} (${where})\n`);
      if (edge.link !== undefined)
        for (const line of formatEdgeLink(edge.link.describe())) process.stdout.write(`${line}\n`);
      await withInterrupt(untilStopped);
      await edge.close();
      process.stdout.write('edge stopped\n');
    });
}

/** The BGP speaker and control client lines printed at start (none when neither is configured). */
export function formatEdgeLink(link: EdgeLinkDescription, where = ''): string[] {
  const lines: string[] = [];
  const { bgp, control } = link;
  if (bgp !== undefined) {
    const listener =
      bgp.listening === undefined
        ? 'no listener (active neighbors only)'
        : `listening on ${bgp.listening.host.includes(':') ? `[${bgp.listening.host}]` : bgp.listening.host}:${bgp.listening.port}`;
    const peers = bgp.peers.map(
      (p) =>
        `${p.name} ${p.address} AS${p.peerAs} ${p.passive ? 'passive' : 'active'}${p.state !== undefined ? ` (${p.state})` : ''}`,
    );
    lines.push(
      `bgp${where}: AS${bgp.localAs} router id ${bgp.routerId}, ${listener}; peers: ${peers.length > 0 ? peers.join(', ') : 'none'}`,
    );
  }
  if (control !== undefined) {
    const n = control.staticRoutes;
    const routes =
      control.routeSource === 'bgp'
        ? 'routes from BGP'
        : n === undefined
          ? 'routes from a static route file'
          : `routes from a static feed (${n} route${n === 1 ? '' : 's'})`;
    lines.push(
      `control${where}: edge ${control.edgeId} (cluster ${control.cluster}, ${control.publicUrl}) reporting to ${control.originUrl}; ${routes}`,
    );
  }
  return lines;
}

/**
 * Resolves on SIGINT/SIGTERM (`signal`), or, when a supervising process started this one with an
 * IPC channel (as `cdn demo` does), once that channel closes: the supervisor is gone, even if it
 * was killed outright, and the edge stops as on SIGTERM instead of living on as an orphan.
 */
function untilStopped(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    signal.addEventListener('abort', () => resolve(), { once: true });
    if (process.channel !== undefined) {
      // The channel must not keep the process alive once the edge has stopped.
      process.channel.unref();
      process.once('disconnect', () => resolve());
    }
  });
}

/** `--workers`: a positive integer or `auto`. */
function workersOption(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  return positiveInteger('--workers')(value);
}

/**
 * One worker of a `--workers` node. The primary stops it with SIGTERM; Ctrl-C reaches the whole
 * process group, so the worker ignores SIGINT and lets the primary drive the shutdown.
 */
async function runAsWorker(config: EdgeConfig, identity: WorkerIdentity): Promise<void> {
  const logger = createLogger({ level: config.logLevel, name: 'cdn-edge' });
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  let handle;
  try {
    handle = await runEdgeWorker(
      identity,
      (node) => startEdge(config, { worker: identity, node, logger }),
      logger,
    );
  } catch (err) {
    // Leave the primary (its IPC channel would keep this process alive): it sees the worker exit
    // during start and stops the node with the error.
    process.off('SIGINT', ignore);
    if (process.connected) process.disconnect();
    throw err;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    // The primary went away without a word: stop too.
    process.once('disconnect', () => resolve());
  });
  await handle.close();
  process.off('SIGINT', ignore);
  if (process.connected) process.disconnect();
}
