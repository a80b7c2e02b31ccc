import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CdnError, CommonErrorCode } from '../../common/errors.js';
import {
  ABR_NAMES,
  CMCD_MODES,
  DEFAULT_ABR,
  MANIFEST_FORMATS,
  clientIpFor,
  createQoeReporter,
  formatHttpFleetTable,
  httpFleetToCsv,
  httpFleetToJson,
  isAbrName,
  loadTraces,
  runHttpFleet,
  toP1203Input,
  type CmcdMode,
  type HttpFleetReport,
  type HttpFleetSession,
  type ManifestFormat,
} from '../../player-sim/index.js';
import { positiveInteger, positiveNumber, withInterrupt } from '../cli.js';

interface PlayCliOptions {
  origin: string;
  title: string;
  sessions: number;
  arrivalRate?: number;
  traces: string;
  assignment: 'round-robin' | 'random';
  seed: number;
  abr: string[];
  mode: 'real' | 'virtual';
  duration?: number;
  clientIp?: string;
  format: ManifestFormat;
  cmcd: CmcdMode;
  qoe: string | false;
  qoeToken?: string;
  maxBuffer?: number;
  concurrency?: number;
  requestTimeout?: number;
  stallTimeout?: number;
  out?: string;
  csv?: string;
  p1203?: string;
  quiet?: boolean;
}

function httpUrl(name: string) {
  return (value: string): string => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InvalidArgumentError(`${name} must be an http(s) URL, got '${value}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidArgumentError(`${name} must be an http(s) URL, got '${value}'`);
    }
    return url.toString().replace(/\/+$/, '');
  };
}

/** `--abr quality`, `--abr bba,mpc` or `--abr all`. */
export function parseAbrList(value: string): string[] {
  if (value === 'all') return [...ABR_NAMES];
  const names = value.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !isAbrName(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown ABR strategy ${JSON.stringify(unknown[0] ?? value)} (PLAYER_ERR_UNKNOWN_STRATEGY); known: ${ABR_NAMES.join(', ')}, all`,
    );
  }
  return [...new Set(names)];
}

function clientIpOption(value: string): string {
  try {
    clientIpFor(value, 0);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

/** One progress line on standard error. */
function progressLine(s: HttpFleetSession, p: { done: number; total: number }): string {
  const startup = s.qoe.startupDelayMs === undefined ? '-' : (s.qoe.startupDelayMs / 1000).toFixed(2);
  return `[${p.done}/${p.total}] ${s.sessionId} ${s.strategy} ${s.trace}: ${s.outcome}${
    s.error ? ` (${s.error.code})` : ''
  }, startup ${startup} s, rebuffer ${(s.qoe.rebufferRatio * 100).toFixed(1)}%, ${(
    s.qoe.avgBitrateBps / 1000
  ).toFixed(0)} kbit/s, ${s.failovers} failover(s)\n`;
}

async function writeOutputs(report: HttpFleetReport, opts: PlayCliOptions): Promise<void> {
  if (opts.out !== undefined) await writeFile(opts.out, `${httpFleetToJson(report)}\n`);
  if (opts.csv !== undefined) await writeFile(opts.csv, httpFleetToCsv(report));
}

export function playCommand(): Command {
  return new Command('play')
    .description(
      'Play a title like a fleet of real players: steering, DASH/HLS manifests from the edges, ABR, CMCD, failover, QoE events',
    )
    .requiredOption(
      '--origin <url>',
      'origin base URL (steering, and the QoE collector by default)',
      httpUrl('--origin'),
    )
    .requiredOption('--title <id>', 'title id')
    .requiredOption('--traces <path>', 'network trace file or directory (Sabre JSON or "seconds Mbps" text)')
    .option('--sessions <n>', 'sessions (per strategy)', positiveInteger('--sessions'), 1)
    .option(
      '--arrival-rate <r>',
      'sessions starting per second, as a Poisson process (default: all at once)',
      positiveNumber('--arrival-rate'),
    )
    .addOption(
      new Option('--assignment <how>', 'traces to sessions')
        .choices(['round-robin', 'random'])
        .default('round-robin'),
    )
    .option('--seed <n>', 'seed of trace draws and arrivals', positiveInteger('--seed'), 1)
    .option(
      '--abr <name>',
      `ABR strategy: ${ABR_NAMES.join(', ')}, a comma list, or all (default ${DEFAULT_ABR})`,
      parseAbrList,
      [DEFAULT_ABR],
    )
    .addOption(
      new Option('--mode <mode>', 'real: real time; virtual: clocks from the traces')
        .choices(['real', 'virtual'])
        .default('real'),
    )
    .option('--duration <s>', 'play at most this many seconds of the title', positiveNumber('--duration'))
    .option(
      '--client-ip <ip|cidr>',
      'client address for steering, or a prefix to spread sessions over',
      clientIpOption,
    )
    .addOption(
      new Option('--format <format>', 'manifest format').choices([...MANIFEST_FORMATS]).default('dash'),
    )
    .addOption(new Option('--cmcd <mode>', 'CMCD on requests').choices([...CMCD_MODES]).default('header'))
    .option('--qoe <url>', 'QoE collector base URL (default: the origin)', httpUrl('--qoe'))
    .option('--no-qoe', 'send no QoE events')
    .option('--qoe-token <token>', 'QoE ingest token, when the origin has one')
    .option('--max-buffer <s>', 'largest buffer, s (default 25)', positiveNumber('--max-buffer'))
    .option(
      '--concurrency <n>',
      'virtual mode: sessions at once (default 4)',
      positiveInteger('--concurrency'),
    )
    .option(
      '--request-timeout <ms>',
      'time to response headers, ms (default 10000)',
      positiveInteger('--request-timeout'),
    )
    .option(
      '--stall-timeout <ms>',
      'longest silence of a body, ms (default 5000)',
      positiveInteger('--stall-timeout'),
    )
    .option('--out <file>', 'write the report as JSON')
    .option('--csv <file>', 'write one CSV row per session')
    .option('--p1203 <dir>', "write each session's ITU-T P.1203 mode 0 input as <dir>/<session>.json")
    .option('-q, --quiet', 'no progress lines')
    .addHelpText(
      'after',
      `
The summary table goes to standard output, progress to standard error. Ctrl-C stops the sessions
in progress and prints (and writes) a partial summary.

Exit codes: 0 done, 1 failed (steering refused the title, every session failed) or interrupted,
2 bad usage.`,
    )
    .action(async (opts: PlayCliOptions) => {
      const traces = await loadTraces(opts.traces);
      const collector = opts.qoe === false ? undefined : (opts.qoe ?? opts.origin);
      const reporter =
        collector === undefined
          ? undefined
          : await createQoeReporter({
              collectorUrl: collector,
              ...(opts.qoeToken !== undefined ? { token: opts.qoeToken } : {}),
            });
      const mode = opts.mode === 'real' ? 'realtime' : 'virtual';
      if (!opts.quiet) {
        process.stderr.write(
          `playing ${opts.title} from ${opts.origin}: ${opts.sessions} session(s) x ${opts.abr.join(',')}, ${opts.mode} time, ${opts.format}, ${traces.length} trace(s)\n`,
        );
      }
      let lastProgressMs = 0;
      let report: HttpFleetReport;
      if (opts.p1203 !== undefined) await mkdir(opts.p1203, { recursive: true });
      const p1203Writes: Promise<void>[] = [];
      let p1203Skipped = 0;
      try {
        report = await withInterrupt((signal) =>
          runHttpFleet({
            originUrl: opts.origin,
            titleId: opts.title,
            sessions: opts.sessions,
            strategies: opts.abr,
            traces,
            assignment: opts.assignment,
            seed: opts.seed,
            ...(opts.arrivalRate !== undefined ? { arrivalRatePerS: opts.arrivalRate } : {}),
            mode,
            ...(opts.clientIp !== undefined ? { clientIp: opts.clientIp } : {}),
            http: {
              format: opts.format,
              cmcd: opts.cmcd,
              ...(opts.requestTimeout !== undefined ? { requestTimeoutMs: opts.requestTimeout } : {}),
              ...(opts.stallTimeout !== undefined ? { stallTimeoutMs: opts.stallTimeout } : {}),
            },
            ...(opts.maxBuffer !== undefined ? { player: { maxBufferMs: opts.maxBuffer * 1000 } } : {}),
            ...(opts.duration !== undefined ? { maxDurationMs: opts.duration * 1000 } : {}),
            ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
            ...(reporter ? { reporter } : {}),
            signal,
            onResult: (result) => {
              if (opts.p1203 === undefined || result.ladder === undefined) return;
              try {
                const input = toP1203Input(result, result.ladder);
                p1203Writes.push(
                  writeFile(join(opts.p1203, `${result.sessionId}.json`), `${JSON.stringify(input)}\n`),
                );
              } catch {
                // Rungs without resolution or frame rate in the manifest: nothing to export.
                p1203Skipped += 1;
              }
            },
            onSession: (session, progress) => {
              if (opts.quiet) return;
              // One line per session for small fleets; at most one a second for large ones.
              const now = Date.now();
              if (progress.total > 50 && now - lastProgressMs < 1000 && progress.done < progress.total)
                return;
              lastProgressMs = now;
              process.stderr.write(progressLine(session, progress));
            },
          }),
        );
      } finally {
        if (reporter) {
          const closed = await reporter.close({ deadlineMs: 5000 });
          if (!opts.quiet) {
            process.stderr.write(
              `QoE events: ${closed.delivered} delivered to ${collector}${
                closed.undelivered > 0 ? `, ${closed.undelivered} undelivered` : ''
              }\n`,
            );
          }
        }
      }
      process.stdout.write(
        `${report.titleId} (${report.mode}): ${report.sessions.length} of ${report.planned} sessions in ${(
          report.wallMs / 1000
        ).toFixed(1)} s${report.interrupted ? ' (interrupted: partial summary)' : ''}\n`,
      );
      process.stdout.write(`${formatHttpFleetTable(report)}\n`);
      await writeOutputs(report, opts);
      await Promise.all(p1203Writes);
      if (p1203Skipped > 0) {
        process.stderr.write(
          `P.1203: ${p1203Skipped} session(s) not exported (rungs without resolution or frame rate)\n`,
        );
      }
      if (report.interrupted) {
        throw new CdnError(
          CommonErrorCode.Aborted,
          `interrupted after ${report.sessions.length} of ${report.planned} sessions; the summary above is partial`,
        );
      }
      const first = report.sessions[0];
      if (first !== undefined && report.sessions.every((s) => s.outcome === 'failed') && first.error) {
        throw new CdnError(first.error.code, `every session failed; the first: ${first.error.message}`);
      }
    });
}
