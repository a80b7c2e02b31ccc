/**
 * Virtual-time fleets: many sessions over a set of traces, per strategy, with a summary table and
 * JSON/CSV output for plotting. Every strategy plays the same sequence of (trace, start offset)
 * assignments, so their figures compare like for like; each assignment's offline optimum is computed
 * once and every session is also reported as a fraction of it.
 */
import { createStrategy, type StrategyOptions } from './abr/index.js';
import { resolvePlayerConfig, type PlayerConfigInput } from './config.js';
import { PlayerErrorCode, playerError } from './errors.js';
import { hasVmaf, type Ladder } from './ladder.js';
import { NetworkModel } from './network.js';
import { offlineOptimum } from './optimum.js';
import { percentileNearestRank, type QoeSummary } from './qoe.js';
import { seededRandom } from '../common/random.js';
import { checkSessionSetup, runSession, type SessionOutcome } from './session.js';
import type { Trace } from './trace.js';
import { virtualSetup } from './virtual.js';

export interface FleetOptions {
  ladder: Ladder;
  traces: readonly Trace[];
  /** Strategy names (createStrategy); each plays every session. */
  strategies: readonly string[];
  /** Sessions per strategy (default: one per trace). */
  sessions?: number;
  /** `round-robin` (default): session i plays trace i mod n; `random`: seeded draws. */
  assignment?: 'round-robin' | 'random';
  /** Seed of the random assignment and offsets (default 1). */
  seed?: number;
  /** Start each session at a random point of its trace (seeded), instead of its beginning. */
  randomOffset?: boolean;
  config?: PlayerConfigInput;
  strategyOptions?: StrategyOptions;
  /** Compute the offline optimum of each assignment (default true; the costly part). */
  optimum?: boolean;
  /** Called after each session (progress bars, streaming output). */
  onSession?: (session: FleetSession) => void;
}

export interface FleetSession {
  strategy: string;
  /** Index of the session within its strategy (the same assignment across strategies). */
  index: number;
  trace: string;
  offsetMs: number;
  outcome: SessionOutcome;
  qoe: QoeSummary;
  /** Number of downloads abandoned. */
  abandonments: number;
  /** QoE_lin (or QoE_vmaf, see FleetReport.objective) of the offline optimum for this assignment. */
  optimumQoe?: number;
  /** The session's QoE over the optimum's; absent when the optimum is not positive. */
  fractionOfOptimum?: number;
}

export interface Distribution {
  mean: number;
  p50: number;
  p95: number;
}

export interface StrategySummary {
  strategy: string;
  sessions: number;
  completed: number;
  startupDelayMs: Distribution;
  rebufferRatio: Distribution;
  rebuffersPerSession: number;
  avgBitrateBps: Distribution;
  avgVmaf?: Distribution;
  switchesPerSession: number;
  qoeLin: Distribution;
  qoeVmaf?: Distribution;
  fractionOfOptimum?: Distribution;
}

export interface FleetReport {
  /** The objective of the optimum and of fractionOfOptimum: QoE_vmaf when the ladder has VMAF. */
  objective: 'lin' | 'vmaf';
  sessions: FleetSession[];
  strategies: StrategySummary[];
  overall: StrategySummary;
}

function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { mean: Number.NaN, p50: Number.NaN, p95: Number.NaN };
  return {
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    p50: percentileNearestRank(values, 50)!,
    p95: percentileNearestRank(values, 95)!,
  };
}

/** Summary of a set of sessions (one strategy's, or all). */
export function summarize(strategy: string, sessions: readonly FleetSession[]): StrategySummary {
  const pick = (f: (s: FleetSession) => number | undefined) =>
    sessions.map(f).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const mean = (values: readonly number[]) =>
    values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
  const summary: StrategySummary = {
    strategy,
    sessions: sessions.length,
    completed: sessions.filter((s) => s.outcome === 'completed').length,
    startupDelayMs: distribution(pick((s) => s.qoe.startupDelayMs)),
    rebufferRatio: distribution(pick((s) => s.qoe.rebufferRatio)),
    rebuffersPerSession: mean(pick((s) => s.qoe.rebufferCount)),
    avgBitrateBps: distribution(pick((s) => s.qoe.avgBitrateBps)),
    switchesPerSession: mean(pick((s) => s.qoe.switchCount)),
    qoeLin: distribution(pick((s) => s.qoe.qoeLin)),
  };
  const vmaf = pick((s) => s.qoe.avgVmaf);
  if (vmaf.length) summary.avgVmaf = distribution(vmaf);
  const qoeVmaf = pick((s) => s.qoe.qoeVmaf);
  if (qoeVmaf.length) summary.qoeVmaf = distribution(qoeVmaf);
  const fractions = pick((s) => s.fractionOfOptimum);
  if (fractions.length) summary.fractionOfOptimum = distribution(fractions);
  return summary;
}

/** Runs the fleet in virtual time. Sessions run one after the other (each takes milliseconds). */
export async function runVirtualFleet(options: FleetOptions): Promise<FleetReport> {
  const { ladder, traces } = options;
  const config = resolvePlayerConfig(options.config);
  checkSessionSetup(ladder, config);
  if (traces.length === 0)
    throw playerError(PlayerErrorCode.InvalidOptions, 'a fleet needs at least one trace');
  if (options.strategies.length === 0)
    throw playerError(PlayerErrorCode.InvalidOptions, 'a fleet needs a strategy');
  const count = options.sessions ?? traces.length;
  if (!Number.isInteger(count) || count < 1) {
    throw playerError(PlayerErrorCode.InvalidOptions, `sessions must be an integer >= 1, got ${count}`);
  }
  const strategies = options.strategies.map((name) => createStrategy(name, options.strategyOptions));
  const random = seededRandom(options.seed ?? 1);
  const assignments = Array.from({ length: count }, (_, i) => {
    const traceIndex =
      options.assignment === 'random' ? Math.floor(random() * traces.length) : i % traces.length;
    const trace = traces[traceIndex]!;
    return { traceIndex, offsetMs: options.randomOffset ? Math.floor(random() * trace.durationMs) : 0 };
  });
  const objective = hasVmaf(ladder) ? 'vmaf' : 'lin';
  const optimumCache = new Map<string, number>();
  const optimumOf = (traceIndex: number, offsetMs: number): number | undefined => {
    if (options.optimum === false) return undefined;
    const key = `${traceIndex}@${offsetMs}`;
    let qoe = optimumCache.get(key);
    if (qoe === undefined) {
      const network = new NetworkModel(traces[traceIndex]!, { offsetMs });
      qoe = offlineOptimum(ladder, network, { config, objective }).qoe;
      optimumCache.set(key, qoe);
    }
    return qoe;
  };
  const sessions: FleetSession[] = [];
  for (const strategy of strategies) {
    for (const [index, a] of assignments.entries()) {
      const trace = traces[a.traceIndex]!;
      const { clock, fetcher } = virtualSetup(new NetworkModel(trace, { offsetMs: a.offsetMs }));
      const result = await runSession({ ladder, strategy, clock, fetcher, config });
      const optimumQoe = optimumOf(a.traceIndex, a.offsetMs);
      const achieved = objective === 'vmaf' ? result.qoe.qoeVmaf : result.qoe.qoeLin;
      const session: FleetSession = {
        strategy: strategy.name,
        index,
        trace: trace.name,
        offsetMs: a.offsetMs,
        outcome: result.outcome,
        qoe: result.qoe,
        abandonments: result.downloads.filter((d) => d.abandoned).length,
        ...(optimumQoe === undefined ? {} : { optimumQoe }),
        ...(optimumQoe !== undefined && optimumQoe > 0 && achieved !== undefined
          ? { fractionOfOptimum: achieved / optimumQoe }
          : {}),
      };
      sessions.push(session);
      options.onSession?.(session);
    }
  }
  return {
    objective,
    sessions,
    strategies: strategies.map((s) =>
      summarize(
        s.name,
        sessions.filter((x) => x.strategy === s.name),
      ),
    ),
    overall: summarize('all', sessions),
  };
}

const CSV_COLUMNS = [
  'strategy',
  'index',
  'trace',
  'offsetMs',
  'outcome',
  'startupDelayMs',
  'playedMs',
  'rebufferCount',
  'rebufferDurationMs',
  'rebufferRatio',
  'avgBitrateBps',
  'avgVmaf',
  'p5Vmaf',
  'switchCount',
  'switchMagnitudeBps',
  'qoeLin',
  'qoeVmaf',
  'abandonments',
  'optimumQoe',
  'fractionOfOptimum',
] as const;

function csvCell(value: string | number | undefined): string {
  if (value === undefined || (typeof value === 'number' && !Number.isFinite(value))) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV: a header line of `columns`, then one line per row (missing or non-finite cells empty). */
export function toCsv(
  columns: readonly string[],
  rows: readonly Readonly<Record<string, string | number | undefined>>[],
): string {
  const lines = rows.map((row) => columns.map((c) => csvCell(row[c])).join(','));
  return [columns.join(','), ...lines].join('\n') + '\n';
}

/** One row per session (RFC 4180 CSV with a header line). */
export function fleetToCsv(report: FleetReport): string {
  return toCsv(
    CSV_COLUMNS,
    report.sessions.map(
      (s) => ({ ...s, ...s.qoe }) as unknown as Record<string, string | number | undefined>,
    ),
  );
}

/** The report as JSON (NaN written as null). */
export function fleetToJson(report: FleetReport): string {
  return JSON.stringify(report, (_key, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? null : value,
  );
}

const fixed = (value: number | undefined, digits: number) =>
  value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);

/** A text table: one line per strategy and one for all sessions. */
export function formatFleetTable(report: FleetReport): string {
  const header = [
    'strategy',
    'sessions',
    'startup p50/p95 s',
    'rebuffer % mean/p95',
    'rebuffers/session',
    'bitrate kbps',
    'VMAF',
    'switches',
    'QoE_lin mean',
    report.objective === 'vmaf' ? 'QoE_vmaf mean' : '',
    'of optimum',
  ].filter((h) => h !== '');
  const line = (s: StrategySummary) => [
    s.strategy,
    String(s.sessions),
    `${fixed(s.startupDelayMs.p50 / 1000, 2)}/${fixed(s.startupDelayMs.p95 / 1000, 2)}`,
    `${fixed(s.rebufferRatio.mean * 100, 2)}/${fixed(s.rebufferRatio.p95 * 100, 2)}`,
    fixed(s.rebuffersPerSession, 2),
    fixed(s.avgBitrateBps.mean / 1000, 0),
    fixed(s.avgVmaf?.mean, 1),
    fixed(s.switchesPerSession, 1),
    fixed(s.qoeLin.mean, 1),
    ...(report.objective === 'vmaf' ? [fixed(s.qoeVmaf?.mean, 1)] : []),
    fixed(s.fractionOfOptimum?.mean, 3),
  ];
  const rows = [header, ...report.strategies.map(line), line(report.overall)];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
