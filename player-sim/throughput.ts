/**
 * Throughput measurement and estimation shared by the ABR strategies (pure).
 *
 * The EWMA follows dash.js's ThroughputHistory (and Sabre's `Ewma`): a fast and a slow estimate
 * weighted by download time, corrected for their zero start, the minimum of the two taken for
 * throughput (conservative) and the maximum for latency.
 */
import type { Ladder } from './ladder.js';

/** One finished or abandoned download, as the session engine recorded it. */
export interface DownloadSample {
  segmentIndex: number;
  rungIndex: number;
  /** Bytes received (all of them unless abandoned). */
  bytes: number;
  /** Request sent, first byte, last byte (or abandonment), session ms. */
  requestMs: number;
  firstByteMs: number;
  endMs: number;
  abandoned: boolean;
}

/** Request to first byte, ms. */
export function latencyOf(sample: DownloadSample): number {
  return sample.firstByteMs - sample.requestMs;
}

/** Rate while bytes flowed (first to last byte), kbit/s (= bits per ms). */
export function transferKbps(sample: DownloadSample): number {
  return (sample.bytes * 8) / Math.max(sample.endMs - sample.firstByteMs, 1e-3);
}

/** Rate over the whole request, latency included, kbit/s (what Pensieve's MPC measures). */
export function goodputKbps(sample: DownloadSample): number {
  return (sample.bytes * 8) / Math.max(sample.endMs - sample.requestMs, 1e-3);
}

/** Harmonic mean; undefined for no values. */
export function harmonicMean(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  let inverse = 0;
  for (const v of values) inverse += 1 / Math.max(v, 1e-9);
  return values.length / inverse;
}

/**
 * Half-lives of the throughput EWMA, ms: dash.js `throughputFastHalfLifeSeconds: 3` and
 * `throughputSlowHalfLifeSeconds: 8` (Settings.js; Sabre's `Ewma.default_half_life = [8000, 3000]`).
 */
export const EWMA_FAST_HALF_LIFE_MS = 3000;
export const EWMA_SLOW_HALF_LIFE_MS = 8000;
/** Half-lives of the latency EWMA, in samples: dash.js `latencyFastHalfLifeCount: 1`, `latencySlowHalfLifeCount: 2`. */
export const EWMA_LATENCY_FAST_HALF_LIFE = 1;
export const EWMA_LATENCY_SLOW_HALF_LIFE = 2;

export interface EwmaState {
  fastKbps: number;
  slowKbps: number;
  /** Sum of the weights (transfer ms) seen: corrects the estimates' zero start. */
  weightMs: number;
  fastLatencyMs: number;
  slowLatencyMs: number;
  latencyCount: number;
}

export const EMPTY_EWMA: EwmaState = Object.freeze({
  fastKbps: 0,
  slowKbps: 0,
  weightMs: 0,
  fastLatencyMs: 0,
  slowLatencyMs: 0,
  latencyCount: 0,
});

/** The EWMA after one more download (weighted by its transfer time, as dash.js does). */
export function updateEwma(state: EwmaState, sample: DownloadSample): EwmaState {
  const weightMs = Math.max(sample.endMs - sample.firstByteMs, 1e-3);
  const kbps = transferKbps(sample);
  const latency = latencyOf(sample);
  const fastAlpha = 0.5 ** (weightMs / EWMA_FAST_HALF_LIFE_MS);
  const slowAlpha = 0.5 ** (weightMs / EWMA_SLOW_HALF_LIFE_MS);
  const fastLatencyAlpha = 0.5 ** (1 / EWMA_LATENCY_FAST_HALF_LIFE);
  const slowLatencyAlpha = 0.5 ** (1 / EWMA_LATENCY_SLOW_HALF_LIFE);
  return {
    fastKbps: fastAlpha * state.fastKbps + (1 - fastAlpha) * kbps,
    slowKbps: slowAlpha * state.slowKbps + (1 - slowAlpha) * kbps,
    weightMs: state.weightMs + weightMs,
    fastLatencyMs: fastLatencyAlpha * state.fastLatencyMs + (1 - fastLatencyAlpha) * latency,
    slowLatencyMs: slowLatencyAlpha * state.slowLatencyMs + (1 - slowLatencyAlpha) * latency,
    latencyCount: state.latencyCount + 1,
  };
}

/** min(fast, slow) after the zero-start correction, kbit/s; undefined before any sample. */
export function ewmaThroughputKbps(state: EwmaState): number | undefined {
  if (state.weightMs <= 0) return undefined;
  const fast = state.fastKbps / (1 - 0.5 ** (state.weightMs / EWMA_FAST_HALF_LIFE_MS));
  const slow = state.slowKbps / (1 - 0.5 ** (state.weightMs / EWMA_SLOW_HALF_LIFE_MS));
  return Math.min(fast, slow);
}

/** max(fast, slow) latency after the zero-start correction, ms; undefined before any sample. */
export function ewmaLatencyMs(state: EwmaState): number | undefined {
  if (state.latencyCount <= 0) return undefined;
  const fast = state.fastLatencyMs / (1 - 0.5 ** (state.latencyCount / EWMA_LATENCY_FAST_HALF_LIFE));
  const slow = state.slowLatencyMs / (1 - 0.5 ** (state.latencyCount / EWMA_LATENCY_SLOW_HALF_LIFE));
  return Math.max(fast, slow);
}

/** What the strategies see of past downloads. */
export interface ThroughputView {
  /** The most recent downloads (complete and abandoned), oldest first; at most MAX_SAMPLES. */
  samples: readonly DownloadSample[];
  /** dash.js-style EWMA over complete downloads, kbit/s; undefined before the first. */
  ewmaKbps: number | undefined;
  /** EWMA of request latency, ms; undefined before the first download. */
  latencyMs: number | undefined;
}

/** Samples kept for the strategies: dash.js `maxMeasurementsToKeep: 20`. */
export const MAX_SAMPLES = 20;

/**
 * The highest rung whose segment, requested now, would arrive within one segment duration at
 * `throughputKbps` after `latencyMs`: `latency + d * bitrate / throughput <= d` (Sabre's
 * `quality_from_throughput`; dash.js applies the same dead-time ratio in getQualityForBitrate).
 */
export function rungForThroughput(
  ladder: Ladder,
  throughputKbps: number,
  latencyMs: number,
  segmentDurationMs: number,
): number {
  let rung = 0;
  while (
    rung + 1 < ladder.rungs.length &&
    latencyMs + (segmentDurationMs * ladder.rungs[rung + 1]!.bitrateBps) / 1000 / throughputKbps <=
      segmentDurationMs
  ) {
    rung++;
  }
  return rung;
}
