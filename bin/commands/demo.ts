import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { SYNTHETIC_PATTERNS, type SyntheticPattern } from '../../encoder/index.js';
import { ABR_NAMES, loadTraces } from '../../player-sim/index.js';
import { positiveInteger, positiveNumber, withInterrupt } from '../cli.js';
import { createProgressReporter } from '../progress.js';
import { renderDemoReport } from '../demo/report.js';
import { DEMO_SCALES, DEMO_TITLE_ID, runDemo, type DemoRun, type DemoScale } from '../demo/run.js';
import { formatDemoSummary } from '../demo/summary.js';
import { DEMO_SITES } from '../demo/topology.js';
import { demoPathEnv } from '../demo/config.js';
import { parseAbrList } from './play.js';

interface DemoCliOptions {
  source?: string;
  out?: string;
  quick?: boolean;
  duration?: number;
  pattern: SyntheticPattern;
  metric?: 'vmaf' | 'psnr' | 'ssim';
  abr: string[];
  sessions?: number;
  traces?: string;
  bgp: boolean;
  seed: number;
  keepRunning?: boolean;
}

/** JSON with non-finite numbers as null (NaN ratios when nothing was measured). */
export function toJsonText(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

/** What the demo left running, for `--keep-running`. */
function runningLines(run: DemoRun, reportPath: string): string[] {
  const { origin, edges } = run.system;
  const client = DEMO_SITES[0]!.prefixes[0]!.replace(/\.0\/\d+$/, '.9');
  return [
    'the system is running (Ctrl-C stops everything):',
    `  player         ${origin.url}/player?title=${DEMO_TITLE_ID}&client_ip=${client}`,
    `  steering       ${origin.url}/v1/steer?title=${DEMO_TITLE_ID}&client_ip=${client}`,
    `  origin         ${origin.url}/metrics`,
    ...edges.filter((e) => e.daemon.running).map((e) => `  ${e.id.padEnd(14)} ${e.url}/metrics`),
    `  report         ${reportPath}`,
  ];
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilInterrupted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'Run the whole system on loopback: a per-title encode, the origin, three BGP-peered edges, a player fleet that loses an edge, and an HTML report',
    )
    .option('--source <file>', 'use this source instead of a generated one')
    .option(
      '--out <dir>',
      'working directory: title, logs, caches, report (default: a new temporary directory)',
    )
    .option('--quick', 'a shorter run: a 12 s 640x360 title and fewer sessions (about a minute)')
    .option(
      '--duration <s>',
      'length of the generated title in seconds (default 30, quick 12)',
      positiveNumber('--duration'),
    )
    .addOption(
      new Option('--pattern <name>', 'generated content')
        .choices([...SYNTHETIC_PATTERNS])
        .default('moderate'),
    )
    .addOption(
      new Option(
        '-m, --metric <metric>',
        'quality metric (default: VMAF when a model is set, else PSNR)',
      ).choices(['vmaf', 'psnr', 'ssim']),
    )
    .option(
      '--abr <names>',
      `ABR strategies of the fleet: ${ABR_NAMES.join(', ')}, a comma list, or all (default all)`,
      parseAbrList,
      [...ABR_NAMES],
    )
    .option(
      '--sessions <n>',
      'sessions per ABR strategy (default 10, quick 5)',
      positiveInteger('--sessions'),
    )
    .option(
      '--traces <path>',
      'network traces (Sabre JSON or "seconds Mbps" text; default: five generated ones)',
    )
    .option('--no-bgp', 'static client routes even when BIRD is installed')
    .option('--seed <n>', 'seed of traces and arrivals', positiveInteger('--seed'), 1)
    .option('--keep-running', 'leave the system running after the report, until Ctrl-C')
    .addHelpText(
      'after',
      `
The summary goes to standard output, progress to standard error; the working directory holds the
HTML report (report.html), summary.json, each process's log and the edges' configurations.
With BIRD installed (apt-get install bird2) the edges learn their client prefixes over real BGP
sessions; without it, from a static route feed through the same control-plane path.

Exit codes: 0 done (every session finished), 1 failed or some session failed, 2 bad usage.`,
    )
    .action(async (opts: DemoCliOptions) => {
      const progress = createProgressReporter();
      const base = DEMO_SCALES[opts.quick ? 'quick' : 'full'];
      const scale: DemoScale = {
        ...base,
        ...(opts.duration !== undefined ? { durationS: opts.duration } : {}),
        ...(opts.sessions !== undefined ? { sessionsPerStrategy: opts.sessions } : {}),
      };
      const traces = opts.traces !== undefined ? await loadTraces(opts.traces) : undefined;
      const workDir = opts.out ? resolve(opts.out) : await mkdtemp(join(tmpdir(), 'cdn-demo-'));
      await mkdir(workDir, { recursive: true });
      const say = (line: string) => {
        progress.stop();
        process.stderr.write(`demo: ${line}\n`);
      };
      let failed = 0;
      try {
        await withInterrupt(async (signal) => {
          const run = await runDemo(
            {
              workDir,
              scale,
              ...(opts.source !== undefined ? { source: resolve(opts.source) } : {}),
              pattern: opts.pattern,
              ...(opts.metric !== undefined ? { metric: opts.metric } : {}),
              strategies: opts.abr,
              ...(traces !== undefined ? { traces } : {}),
              bgp: opts.bgp ? 'auto' : 'off',
              seed: opts.seed,
              cdnCommand: [process.execPath, ...process.execArgv, process.argv[1]!],
              pathEnv: demoPathEnv(),
            },
            { signal, say, progress },
          );
          try {
            const reportPath = join(workDir, 'report.html');
            await writeFile(reportPath, renderDemoReport(run.data));
            await writeFile(join(workDir, 'summary.json'), toJsonText(run.data));
            process.stdout.write(`${formatDemoSummary(run.data, reportPath)}\n`);
            failed = run.data.fleet.sessions.filter((s) => s.outcome !== 'completed').length;
            if (opts.keepRunning && !signal.aborted) {
              process.stderr.write(`${runningLines(run, reportPath).join('\n')}\n`);
              await untilInterrupted(signal);
            }
          } finally {
            say('stopping the edges, BIRD and the origin');
            await run.system.stop();
            say('stopped');
          }
        });
      } finally {
        progress.stop();
      }
      if (failed > 0) {
        process.stderr.write(`demo: ${failed} session(s) did not complete\n`);
        process.exitCode = 1;
      }
    });
}
