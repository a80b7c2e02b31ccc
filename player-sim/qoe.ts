/**
 * QoE of a session (pure), from the segments it played and its stalls.
 *
 * - QoE_lin (Yin et al. SIGCOMM 2015; Mao et al., Pensieve, SIGCOMM 2017):
 *   sum over played segments of bitrate in Mbps - 4.3 x stall seconds - sum of |bitrate changes| in Mbps.
 *   Stall seconds include the startup delay, as in Pensieve's simulator, where the buffer starts empty
 *   and the first segment's download counts as rebuffering; so a strategy cannot buy a high first rung
 *   with a free long startup.
 * - QoE_vmaf, its analogue on the VMAF scale: sum of VMAF - 100 x stall seconds - sum of |VMAF changes|
 *   (the rebuffer weight is the top of the scale, as 4.3 is the top bitrate of Pensieve's ladder).
 * - Rebuffer count, duration and ratio exclude the startup delay; the ratio is rebuffer time over
 *   rebuffer plus play time.
 */

/** QoE_lin rebuffer penalty per second: 4.3, the top bitrate of Pensieve's ladder in Mbps (`REBUF_PENALTY`). */
export const QOE_LIN_REBUFFER_PENALTY = 4.3;
/** QoE_vmaf rebuffer penalty per second: the whole VMAF scale, as QoE_lin charges its top bitrate. */
export const QOE_VMAF_REBUFFER_PENALTY = 100;

/** One played segment (fully or in part, when the session stopped during it). */
export interface PlayedSegment {
  segmentIndex: number;
  rungIndex: number;
  bitrateBps: number;
  durationMs: number;
  vmaf?: number;
}

export interface QoeInput {
  segments: readonly PlayedSegment[];
  /** Undefined when playback never started. */
  startupDelayMs: number | undefined;
  rebuffers: ReadonlyArray<{ durationMs: number }>;
  /** Media time played, ms. */
  playedMs: number;
}

/** Per-session totals; field names match the QoE events' session summary. */
export interface QoeSummary {
  startupDelayMs?: number;
  playedMs: number;
  rebufferCount: number;
  rebufferDurationMs: number;
  rebufferRatio: number;
  avgBitrateBps: number;
  avgVmaf?: number;
  p5Vmaf?: number;
  switchCount: number;
  /** Sum of |bitrate changes| between consecutive played segments, bit/s. */
  switchMagnitudeBps: number;
  qoeLin: number;
  qoeVmaf?: number;
}

/** The p-th percentile by the nearest-rank method: the ceil(p/100 x n)-th smallest value. */
export function percentileNearestRank(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** QoE_lin of a sequence of played bitrates (bit/s) and total stall time (ms, startup included). */
export function qoeLin(bitratesBps: readonly number[], stallMs: number): number {
  let sum = 0;
  for (let i = 0; i < bitratesBps.length; i++) {
    sum += bitratesBps[i]! / 1e6;
    if (i > 0) sum -= Math.abs(bitratesBps[i]! - bitratesBps[i - 1]!) / 1e6;
  }
  return sum - (QOE_LIN_REBUFFER_PENALTY * stallMs) / 1000;
}

/** QoE_vmaf of a sequence of played VMAF scores and total stall time (ms, startup included). */
export function qoeVmaf(vmafs: readonly number[], stallMs: number): number {
  let sum = 0;
  for (let i = 0; i < vmafs.length; i++) {
    sum += vmafs[i]!;
    if (i > 0) sum -= Math.abs(vmafs[i]! - vmafs[i - 1]!);
  }
  return sum - (QOE_VMAF_REBUFFER_PENALTY * stallMs) / 1000;
}

export function computeQoe(input: QoeInput): QoeSummary {
  const segments = input.segments;
  const rebufferDurationMs = input.rebuffers.reduce((sum, r) => sum + r.durationMs, 0);
  const stallMs = rebufferDurationMs + (input.startupDelayMs ?? 0);
  const totalMs = segments.reduce((sum, s) => sum + s.durationMs, 0);
  const avgBitrateBps =
    totalMs > 0 ? segments.reduce((sum, s) => sum + s.bitrateBps * s.durationMs, 0) / totalMs : 0;
  let switchCount = 0;
  let switchMagnitudeBps = 0;
  for (let i = 1; i < segments.length; i++) {
    if (segments[i]!.rungIndex !== segments[i - 1]!.rungIndex) switchCount++;
    switchMagnitudeBps += Math.abs(segments[i]!.bitrateBps - segments[i - 1]!.bitrateBps);
  }
  const summary: QoeSummary = {
    playedMs: input.playedMs,
    rebufferCount: input.rebuffers.length,
    rebufferDurationMs,
    rebufferRatio:
      rebufferDurationMs + input.playedMs > 0
        ? rebufferDurationMs / (rebufferDurationMs + input.playedMs)
        : 0,
    avgBitrateBps,
    switchCount,
    switchMagnitudeBps,
    qoeLin: qoeLin(
      segments.map((s) => s.bitrateBps),
      stallMs,
    ),
  };
  if (input.startupDelayMs !== undefined) summary.startupDelayMs = input.startupDelayMs;
  const vmafs = segments.map((s) => s.vmaf);
  if (segments.length > 0 && vmafs.every((v): v is number => v !== undefined)) {
    summary.avgVmaf = segments.reduce((sum, s) => sum + s.vmaf! * s.durationMs, 0) / totalMs;
    summary.p5Vmaf = percentileNearestRank(vmafs, 5)!;
    summary.qoeVmaf = qoeVmaf(vmafs, stallMs);
  }
  return summary;
}
