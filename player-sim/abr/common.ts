/** Pieces several strategies share. */
import { nominalSegmentDurationMs } from '../ladder.js';
import { rungForThroughput } from '../throughput.js';
import type { AbrContext, ProgressDecision, TransferProgress } from './types.js';
import { CONTINUE } from './types.js';

/** Duration of the segment being decided, ms. */
export function segmentDurationOf(ctx: AbrContext): number {
  return ctx.ladder.segmentDurationsMs[ctx.segmentIndex] ?? nominalSegmentDurationMs(ctx.ladder);
}

/** The EWMA throughput and latency, or undefined before the first complete download. */
export function ewmaEstimate(ctx: AbrContext): { kbps: number; latencyMs: number } | undefined {
  const kbps = ctx.throughput.ewmaKbps;
  if (kbps === undefined) return undefined;
  return { kbps, latencyMs: ctx.throughput.latencyMs ?? 0 };
}

/**
 * Insufficient-buffer rule of Sabre's ThroughputRule and BolaEnh (Spiteri et al., MMSys 2018): the next
 * segment must fit in `safety x (buffer - latency) x throughput` bits; the safety starts at 0.9 and
 * shrinks by 0.9 per decision to 0.5. Returns the (possibly lowered) rung and the next safety.
 */
export const IBR_SAFETY_INITIAL = 0.9;
export const IBR_SAFETY_MIN = 0.5;

export function insufficientBufferRule(
  ctx: AbrContext,
  rung: number,
  safety: number,
  estimate: { kbps: number; latencyMs: number },
): { rung: number; safety: number; lowered: boolean } {
  const safeBits = safety * (ctx.bufferMs - estimate.latencyMs) * estimate.kbps;
  const next = Math.max(safety * IBR_SAFETY_INITIAL, IBR_SAFETY_MIN);
  const durationMs = segmentDurationOf(ctx);
  for (let q = 0; q < rung; q++) {
    if ((ctx.ladder.rungs[q + 1]!.bitrateBps / 1000) * durationMs > safeBits) {
      return { rung: q, safety: next, lowered: true };
    }
  }
  return { rung, safety: next, lowered: false };
}

/**
 * dash.js AbandonRequestsRule constants (Settings.js `abandonRequestsRule`): judge a download only after
 * 500 ms, and abandon when it is projected to take over 1.8 segment durations.
 */
export const ABANDON_GRACE_MS = 500;
export const ABANDON_DURATION_MULTIPLIER = 1.8;
/** Throughput safety factor: dash.js `bandwidthSafetyFactor: 0.9`. */
export const BANDWIDTH_SAFETY_FACTOR = 0.9;

/**
 * Sabre's ThroughputRule.check_abandon (the dash.js AbandonRequestsRule): once past the grace time, if
 * the download's own throughput projects it past 1.8 segment durations, switch to the rung that
 * throughput (x 0.9) sustains, when that is lower and its segment smaller than what is left.
 */
export function throughputAbandon(ctx: AbrContext, progress: TransferProgress): ProgressDecision {
  if (progress.firstByteMs === undefined) return CONTINUE;
  const elapsedMs = progress.nowMs - progress.requestMs;
  const transferMs = progress.nowMs - progress.firstByteMs;
  if (elapsedMs < ABANDON_GRACE_MS || transferMs <= 0 || progress.loadedBytes <= 0) return CONTINUE;
  const kbps = (progress.loadedBytes * 8) / transferMs;
  const leftBytes = progress.totalBytes - progress.loadedBytes;
  const durationMs = segmentDurationOf(ctx);
  if (elapsedMs + (leftBytes * 8) / kbps <= ABANDON_DURATION_MULTIPLIER * durationMs) return CONTINUE;
  const to = rungForThroughput(
    ctx.ladder,
    kbps * BANDWIDTH_SAFETY_FACTOR,
    ctx.throughput.latencyMs ?? 0,
    durationMs,
  );
  const rungs = ctx.ladder.rungs;
  const estimatedBytes =
    (progress.totalBytes * rungs[to]!.bitrateBps) / rungs[progress.rungIndex]!.bitrateBps;
  if (to >= progress.rungIndex || estimatedBytes >= leftBytes) return CONTINUE;
  return { kind: 'abandon', rungIndex: to };
}
