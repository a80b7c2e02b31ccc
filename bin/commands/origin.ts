import { Command } from 'commander';
import { readConfigFile } from '../../common/config.js';
import { loadOriginConfig, startOrigin, type OriginConfigInput } from '../../origin/index.js';
import { logLevelOption, portNumber, positiveInteger, withInterrupt } from '../cli.js';

interface OriginCliOptions {
  config?: string;
  dataDir?: string;
  ingestDir?: string;
  host?: string;
  port?: number;
  auth: boolean;
  jobConcurrency?: number;
  allowClientIpOverride?: boolean;
  logLevel?: OriginConfigInput['logLevel'];
}

/**
 * Maps the command line onto origin config keys (validated with the rest of the config).
 * `fileSteering` is the config file's `steering` section, which a steering flag completes rather
 * than replaces (the origin's sources merge at the top level).
 */
export function originFlagsFromCli(o: OriginCliOptions, fileSteering?: unknown): Partial<OriginConfigInput> {
  const flags: Partial<OriginConfigInput> = {};
  if (o.dataDir !== undefined) flags.dataDir = o.dataDir;
  if (o.ingestDir !== undefined) flags.ingestDir = o.ingestDir;
  if (o.host !== undefined) flags.host = o.host;
  if (o.port !== undefined) flags.port = o.port;
  if (!o.auth) flags.authDisabled = true;
  if (o.jobConcurrency !== undefined) flags.jobConcurrency = o.jobConcurrency;
  if (o.allowClientIpOverride === true) {
    const base = typeof fileSteering === 'object' && fileSteering !== null ? fileSteering : {};
    flags.steering = { ...base, allowClientIpOverride: true };
  }
  if (o.logLevel !== undefined) flags.logLevel = o.logLevel;
  return flags;
}

export function originCommand(): Command {
  return new Command('origin')
    .description(
      'Run the origin: content store and serving (/content), publish and encode-job API (/v1), metrics, health',
    )
    .option('-c, --config <file>', 'JSON config file (keys as in docs: dataDir, ingestDir, apiToken, ...)')
    .option(
      '-d, --data-dir <dir>',
      'data directory: titles, versions, jobs (required, here or in the config)',
    )
    .option('-i, --ingest-dir <dir>', 'sources must be inside this directory (default <data-dir>/ingest)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('-p, --port <port>', 'port to listen on (default 8080; 0 picks a free one)', portNumber)
    .option('--no-auth', 'serve /v1 without a token (development only: never expose it beyond loopback)')
    .option('--job-concurrency <n>', 'encode jobs at once (default 1)', positiveInteger('--job-concurrency'))
    .option(
      '--allow-client-ip-override',
      'let /v1/steer and the play manifests take ?client_ip= (demos and tests: a client can pick its edges)',
    )
    .addOption(logLevelOption())
    .addHelpText(
      'after',
      `
Configuration: the config file, then the environment, then these flags (later wins).
Environment:
  ORIGIN_API_TOKEN    bearer token of the /v1 API (required unless --no-auth; at least 16 characters)
  ORIGIN_READ_TOKEN   optional read-only token for GET /v1/popularity (for edges)
  ORIGIN_DATA_DIR, ORIGIN_INGEST_DIR, ORIGIN_HOST, ORIGIN_PORT, ORIGIN_LOG_LEVEL
  FFMPEG_PATH, FFPROBE_PATH, VMAF_MODEL_PATH, SHAKA_PACKAGER_PATH  tools of the encode jobs

Stops on SIGINT/SIGTERM: stops listening, stops running jobs (recorded as failed with
ORIGIN_ERR_JOB_INTERRUPTED); queued jobs run at the next start.
Exit codes: 0 stopped cleanly, 1 failed to start, 2 bad usage or configuration.`,
    )
    .action(async (opts: OriginCliOptions) => {
      const fileSteering =
        opts.allowClientIpOverride === true && opts.config !== undefined
          ? (await readConfigFile(opts.config)).steering
          : undefined;
      const config = await loadOriginConfig({
        ...(opts.config !== undefined ? { configPath: opts.config } : {}),
        flags: originFlagsFromCli(opts, fileSteering),
      });
      const origin = await startOrigin(config);
      process.stdout.write(
        `origin listening on ${origin.url} (data ${config.dataDir}, ingest ${config.ingestDir}${config.authDisabled ? ', NO AUTH' : ''})\n`,
      );
      const steering = config.steering;
      process.stdout.write(
        `steering: /v1/steer, ${Object.keys(steering.edgeTokens).length} edge tokens${steering.defaultCluster !== undefined ? `, default cluster ${steering.defaultCluster}` : ''}, URL tokens ${steering.tokens !== undefined ? 'signed' : 'off'}${steering.allowClientIpOverride ? ', client_ip override ON' : ''}\n`,
      );
      await withInterrupt(
        (signal) =>
          new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
      );
      await origin.close();
      process.stdout.write('origin stopped\n');
    });
}
