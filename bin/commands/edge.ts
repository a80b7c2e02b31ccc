import { Command } from 'commander';
import { loadEdgeConfig, startEdge } from '../../edge/index.js';
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
    .addOption(logLevelOption())
    .addHelpText(
      'after',
      `
Configuration: the config file, then the environment, then these flags (later wins).
Environment:
  EDGE_ADMIN_TOKEN   bearer token of POST /admin/purge and /admin/drain (at least 16 characters)
  EDGE_NODE_ID, EDGE_HOST, EDGE_PORT, EDGE_ORIGIN_URL, EDGE_DISK_DIR, EDGE_LOG_LEVEL
URL tokens: "tokens": {"required": true, "keys": {"<kid>": "<base64 key, 32+ bytes>"}} in the config.

Stops on SIGINT/SIGTERM: readiness goes false, requests and fills in flight finish, disk writes
are flushed. Exit codes: 0 stopped cleanly, 1 failed to start, 2 bad usage or configuration.`,
    )
    .action(async (opts: EdgeCliOptions) => {
      const config = await loadEdgeConfig({
        ...(opts.config !== undefined ? { configPath: opts.config } : {}),
        flags: edgeFlagsFromCli(opts),
      });
      const edge = await startEdge(config);
      process.stdout.write(
        `edge ${config.nodeId} listening on ${edge.url} (origin ${config.originUrl}, ${config.disk ? `disk ${config.disk.dir}` : 'memory only'})\n`,
      );
      await withInterrupt(
        (signal) =>
          new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
      );
      await edge.close();
      process.stdout.write('edge stopped\n');
    });
}
