/**
 * The demo's own network traces, generated (no file needed on a fresh machine): five kinds of
 * access network, scaled to the title's ladder so every kind is interesting whatever the source
 * is. Rates are multiples of the top rung's average rate: a steady fibre line well above it, a
 * cable line that dips below it in the evening, an LTE random walk across the whole ladder, a
 * congested DSL line in the middle of the ladder, and a 3G line with drop-outs near the bottom.
 * Pure and seeded: the same ladder and seed give the same traces.
 */
import { seededRandom } from '../../common/random.js';
import type { Trace, TraceInterval } from '../../player-sim/index.js';

/** Length of each generated trace, ms; the network model loops it, so it only sets the variety. */
const TRACE_DURATION_MS = 120_000;
/** Slowest rate a trace reaches, kbit/s: below this nothing plays anyway. */
const MIN_RATE_KBPS = 50;

function trace(name: string, intervals: TraceInterval[]): Trace {
  return { name, intervals, durationMs: intervals.reduce((sum, i) => sum + i.durationMs, 0) };
}

/** Constant-length periods over the trace's duration, each from `rateAt(index, random)`. */
function periods(periodMs: number, latencyMs: number, rateAt: (index: number) => number): TraceInterval[] {
  const count = Math.round(TRACE_DURATION_MS / periodMs);
  return Array.from({ length: count }, (_, i) => ({
    durationMs: periodMs,
    bandwidthKbps: Math.max(MIN_RATE_KBPS, Math.round(rateAt(i))),
    latencyMs,
  }));
}

/** The five demo traces for a ladder whose top rung averages `topRungKbps` (audio included or not). */
export function demoTraces(topRungKbps: number, seed = 1): Trace[] {
  if (!(topRungKbps > 0)) throw new RangeError(`top rung rate must be > 0 kbit/s, got ${topRungKbps}`);
  const top = topRungKbps;
  const random = seededRandom(seed);
  const jitter = (spread: number) => 1 + (random() * 2 - 1) * spread;

  // Fibre: 4x the top rung, ±5 %, 5 ms.
  const fibre = periods(2000, 5, () => 4 * top * jitter(0.05));
  // Cable: 1.6x the top rung, with a 10 s dip to 0.6x every 30 s (evening congestion), 15 ms.
  const cable = periods(1000, 15, (i) => (i % 30 >= 20 ? 0.6 : 1.6) * top * jitter(0.1));
  // LTE: a multiplicative random walk between 0.2x and 2x the top rung, 1 s steps, 45 ms.
  let lteLevel = 0.8;
  const lte = periods(1000, 45, () => {
    lteLevel = Math.min(2, Math.max(0.2, lteLevel * Math.exp((random() * 2 - 1) * 0.35)));
    return lteLevel * top;
  });
  // DSL: congested at half the top rung, ±25 %, 30 ms.
  const dsl = periods(1000, 30, () => 0.5 * top * jitter(0.25));
  // 3G: a third of the top rung with a 3 s drop to 5 % every 20 s, 90 ms.
  const threeG = periods(1000, 90, (i) => (i % 20 >= 17 ? 0.05 : 0.33) * top * jitter(0.15));

  return [
    trace('fibre-steady', fibre),
    trace('cable-evening', cable),
    trace('lte-moving', lte),
    trace('dsl-congested', dsl),
    trace('3g-dropouts', threeG),
  ];
}
