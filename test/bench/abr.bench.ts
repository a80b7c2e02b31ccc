/**
 * ABR benchmark (not part of CI): `npm run bench:abr`.
 *
 * Every strategy plays every trace of ../shared/traces/fcc-sd (100) and ../shared/traces/belgium-4g
 * (40) with Sabre's reference ladder ../shared/abr-reference/bbb.json (10 rungs, 199 x 3 s), in
 * virtual time, with Sabre's defaults (25 s buffer, play after the first segment). Per strategy and
 * trace set: average bitrate, rebuffer ratio, rebuffer events per session, switches per session,
 * QoE_lin and its fraction of the offline optimum (DP) of the same trace; then the simulation speed
 * (sessions per second, one core) and the time of the optimum.
 *
 * With ABR_BENCH_TITLE=path/to/title.json, the same on one of our per-title ladders (repeated to
 * 10 minutes), where the default strategy optimises VMAF and the optimum is QoE_vmaf's.
 *
 * Environment: ABR_SHARED_DIR (default ../shared from the working directory), ABR_BENCH_TITLE,
 * BENCH_OUT (JSON results file).
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  ABR_NAMES,
  formatFleetTable,
  loadSabreLadder,
  loadTitleLadder,
  loadTraces,
  NetworkModel,
  offlineOptimum,
  resizeLadder,
  runVirtualFleet,
  summarize,
  type FleetReport,
  type Ladder,
  type Trace,
} from '../../player-sim/index.js';
import { fmt, median, table } from './lib/stats.js';

const sharedDir = process.env.ABR_SHARED_DIR ?? resolve(process.cwd(), '../shared');

async function fleet(ladder: Ladder, traces: Trace[]): Promise<{ report: FleetReport; ms: number }> {
  const started = performance.now();
  const report = await runVirtualFleet({ ladder, traces, strategies: [...ABR_NAMES] });
  return { report, ms: performance.now() - started };
}

/** One report from several (same ladder and strategies). */
function combine(reports: readonly FleetReport[]): FleetReport {
  const sessions = reports.flatMap((r) => r.sessions);
  return {
    objective: reports[0]!.objective,
    sessions,
    strategies: ABR_NAMES.map((name) =>
      summarize(
        name,
        sessions.filter((s) => s.strategy === name),
      ),
    ),
    overall: summarize('all', sessions),
  };
}

/** Sessions per second of each strategy alone (no optimum), median of 3 alternating rounds. */
async function speed(ladder: Ladder, traces: Trace[]): Promise<Record<string, number>> {
  const runs: Record<string, number[]> = {};
  for (let round = 0; round < 3; round++) {
    for (const name of ABR_NAMES) {
      const started = performance.now();
      await runVirtualFleet({ ladder, traces, strategies: [name], optimum: false });
      (runs[name] ??= []).push((traces.length * 1000) / (performance.now() - started));
    }
  }
  return Object.fromEntries(Object.entries(runs).map(([name, values]) => [name, median(values)]));
}

function section(title: string, report: FleetReport): void {
  console.log(`\n${title}`);
  console.log(formatFleetTable(report));
}

async function main(): Promise<void> {
  const bbb = await loadSabreLadder(join(sharedDir, 'abr-reference/bbb.json'));
  const sets: Array<[string, Trace[]]> = [
    ['fcc-sd', await loadTraces(join(sharedDir, 'traces/fcc-sd'))],
    ['belgium-4g', await loadTraces(join(sharedDir, 'traces/belgium-4g'))],
  ];
  const results: Record<string, unknown> = {};
  const reports: FleetReport[] = [];
  for (const [name, traces] of sets) {
    const { report, ms } = await fleet(bbb, traces);
    section(
      `bbb.json on ${name} (${traces.length} traces, ${(ms / 1000).toFixed(1)} s with the optimum)`,
      report,
    );
    results[name] = report.strategies;
    reports.push(report);
  }
  const all = sets.flatMap(([, traces]) => traces);
  const combined = combine(reports);
  section(`bbb.json on both sets (${all.length} traces)`, combined);
  results.both = combined.strategies;

  const perSecond = await speed(bbb, all);
  const optimumMs = median(
    all.map((trace) => {
      const started = performance.now();
      offlineOptimum(bbb, new NetworkModel(trace));
      return performance.now() - started;
    }),
  );
  console.log('\nSimulation speed (10-minute sessions, one core, median of 3):');
  console.log(
    table([
      ['strategy', 'sessions/s', 'ms/session'],
      ...ABR_NAMES.map((n) => [n, fmt(perSecond[n], 0), fmt(1000 / perSecond[n]!, 2)]),
      ['offline optimum (DP), median per trace', fmt(1000 / optimumMs, 1), fmt(optimumMs, 0)],
    ]),
  );
  results.sessionsPerSecond = perSecond;
  results.optimumMsPerTrace = optimumMs;

  const titlePath = process.env.ABR_BENCH_TITLE;
  if (titlePath) {
    const title = await loadTitleLadder(titlePath);
    const segments = Math.ceil(600_000 / title.segmentDurationsMs[0]!);
    const { report } = await fleet(resizeLadder(title, segments), all);
    section(
      `per-title ladder ${titlePath} (${title.rungs.length} rungs, repeated to 10 min) on both sets`,
      report,
    );
    results.title = report.strategies;
  }
  if (process.env.BENCH_OUT) await writeFile(process.env.BENCH_OUT, JSON.stringify(results, null, 2));
}

await main();
