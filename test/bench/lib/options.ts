/**
 * Command-line options of the load benchmarks (flags win over the environment):
 *   --duration S    BENCH_DURATION_S   seconds per wrk run (10; 3 with --quick)
 *   --rounds N      BENCH_RUNS         alternating rounds, the median is reported (3; 1 with --quick)
 *   --connections N BENCH_CONNECTIONS  wrk connections (64)
 *   --quick         BENCH_QUICK=1      a smoke run
 *   --out FILE                         write the results as JSON
 */
import { parseArgs } from 'node:util';

export interface LoadBenchOptions {
  durationS: number;
  rounds: number;
  connections: number;
  quick: boolean;
  out: string | undefined;
}

type ExtraSpec = Record<string, { type: 'string' | 'boolean' }>;

/** A positive number from an option's text, `fallback` when absent; throws naming the option. */
export function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${text}"`);
  return n;
}

/** Parses the common options and `extra` ones (returned as given, for the caller to check). */
export function loadBenchOptions(
  argv: readonly string[] = process.argv.slice(2),
  extra: ExtraSpec = {},
): { options: LoadBenchOptions; extra: Record<string, string | boolean | undefined> } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      quick: { type: 'boolean' },
      out: { type: 'string' },
      ...extra,
    },
    allowPositionals: false,
  });
  const env = process.env;
  const quick = values.quick === true || env.BENCH_QUICK === '1';
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const options: LoadBenchOptions = {
    quick,
    durationS: positive('--duration', str(values.duration) ?? env.BENCH_DURATION_S, quick ? 3 : 10),
    rounds: Math.round(positive('--rounds', str(values.rounds) ?? env.BENCH_RUNS, quick ? 1 : 3)),
    connections: Math.round(positive('--connections', str(values.connections) ?? env.BENCH_CONNECTIONS, 64)),
    out: str(values.out),
  };
  const rest: Record<string, string | boolean | undefined> = {};
  for (const name of Object.keys(extra))
    rest[name] = (values as Record<string, string | boolean | undefined>)[name];
  return { options, extra: rest };
}
