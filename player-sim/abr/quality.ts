/**
 * The default strategy: quality-aware model-predictive control.
 *
 * It plans like RobustMPC (horizon.ts, robust throughput prediction) but maximises delivered quality
 * rather than bitrate: the utility of a segment is its VMAF at that rung (per segment when the ladder
 * has it, else the rung's, from HLS SCORE / our DASH quality descriptor / title.json), the switch cost
 * is the VMAF change and the rebuffer cost 100 VMAF points per second (see qoe.ts, QoE_vmaf). Ladders
 * without quality (Sabre's reference ladders) fall back to bitrate in Mbps, i.e. QoE_lin.
 *
 * Where it departs from RobustMPC, each for a reason:
 * - the model includes request latency and the full-buffer waits the engine imposes, so plans are
 *   feasible and the top rungs are not over-valued when the buffer is full;
 * - the buffer left at the end of the horizon has a value (the utility of the lowest rung per second
 *   of buffer, up to the segment's worth that the next decision will use), so the plan does not empty
 *   the buffer at the horizon's end;
 * - downloads that will not arrive before the buffer runs dry are abandoned for the best rung that
 *   would (the session then keeps playing instead of stalling).
 */
import { hasVmaf, segmentCount, segmentSizeBytes, segmentVmaf } from '../ladder.js';
import { segmentDurationOf } from './common.js';
import { solveHorizon } from './horizon.js';
import { QOE_LIN_REBUFFER_PENALTY, QOE_VMAF_REBUFFER_PENALTY } from '../qoe.js';
import { INITIAL_MPC_STATE, robustPrediction, type MpcState } from './mpc.js';
import { CONTINUE, withoutHooks, type AbrContext, type AbrStrategy, type TransferProgress } from './types.js';

/**
 * Look-ahead in segments: 3. With the terminal buffer value a short horizon plans as well as a long
 * one and reacts to a prediction that is stale beyond a few seconds; measured on the Sabre traces with
 * bbb.json (QoE_lin, FCC / 4G): horizon 3 beats 5 (747 / 1171 against 733 / 1159) and 7 (729 / 1159),
 * and costs less.
 */
export const QUALITY_HORIZON = 3;
/**
 * Cap on RobustMPC's error discount: the prediction is the harmonic mean of the last 5 throughputs
 * divided by 1 + min(0.25, largest recent relative error), i.e. never below 80 % of it. Uncapped, one
 * outage (an error of 10 or more) divides the prediction by as much for five decisions and pins a
 * full-buffered player to low rungs; the harmonic mean already follows drops, and abandonment covers
 * collapses.
 */
export const QUALITY_MAX_PREDICTION_ERROR = 0.25;
/** Judge a download for abandonment only after this long, ms (dash.js minSegmentDownloadTimeThresholdInMs). */
const ABANDON_GRACE_MS = 500;

export interface QualityOptions {
  horizon?: number;
  /** Cap on the relative prediction error discounted (default 0.25). */
  maxPredictionError?: number;
  /** Abandon downloads that will not arrive before the buffer runs dry (default true). */
  abandon?: boolean;
}

type QualityState = MpcState;

function utilityOf(ctx: AbrContext, useVmaf: boolean, segment: number, rung: number): number {
  if (useVmaf) return segmentVmaf(ctx.ladder, segment, rung) ?? 0;
  return ctx.ladder.rungs[rung]!.bitrateBps / 1e6;
}

export function quality(options: QualityOptions = {}): AbrStrategy<QualityState> {
  const horizon = options.horizon ?? QUALITY_HORIZON;
  const abandon = options.abandon ?? true;
  const errorCap = options.maxPredictionError ?? QUALITY_MAX_PREDICTION_ERROR;
  return {
    name: 'quality',
    ...withoutHooks(),
    init: () => INITIAL_MPC_STATE,
    decide(state, ctx) {
      const predicted = robustPrediction(state, ctx, errorCap);
      if (predicted.predictionKbps === undefined) return { state, decision: { rungIndex: 0 } };
      const kbps = predicted.predictionKbps;
      const latencyMs = ctx.throughput.latencyMs ?? 0;
      const ladder = ctx.ladder;
      const useVmaf = hasVmaf(ladder);
      const rebufferPenaltyPerS = useVmaf ? QOE_VMAF_REBUFFER_PENALTY : QOE_LIN_REBUFFER_PENALTY;
      const positions = Math.min(horizon, segmentCount(ladder) - ctx.segmentIndex);
      const rungs = ladder.rungs.map((_, r) => r);
      const segments = Array.from({ length: positions }, (_, p) => ctx.segmentIndex + p);
      const utility = segments.map((k) => rungs.map((r) => utilityOf(ctx, useVmaf, k, r)));
      const lowestPerMs = (utility[0]![0] ?? 0) / (segmentDurationOf(ctx) || 1);
      const lastDurationMs = ladder.segmentDurationsMs[segments[segments.length - 1]!] ?? 0;
      const playing = ctx.phase !== 'startup';
      const plan = solveHorizon({
        startBufferMs: ctx.bufferMs,
        downloadMs: segments.map((k) =>
          rungs.map((r) => latencyMs + (segmentSizeBytes(ladder, k, r) * 8) / kbps),
        ),
        utility,
        switchValue: utility,
        previousSwitchValue:
          ctx.lastRungIndex === undefined || ctx.segmentIndex === 0
            ? undefined
            : utilityOf(ctx, useVmaf, ctx.segmentIndex - 1, ctx.lastRungIndex),
        switchWeight: 1,
        rebufferPenaltyPerS,
        segmentDurationMs: segments.map((k) => ladder.segmentDurationsMs[k]!),
        ...(playing ? { maxBufferMs: ctx.config.maxBufferMs } : {}),
        terminalValue: (bufferMs) => lowestPerMs * Math.min(bufferMs, lastDurationMs),
      });
      return { state: predicted.state, decision: { rungIndex: plan.rungs[0] ?? 0 } };
    },
    onProgress(state, ctx, progress) {
      if (!abandon) return { state, decision: CONTINUE };
      return { state, decision: dryBufferAbandon(ctx, progress) };
    },
  };
}

/**
 * Deadline-driven abandonment. At the download's own measured rate, if it will finish after the buffer
 * runs dry, restarting the segment at a lower rung (one more latency) may arrive in time. The engine
 * abandons as late as that is still true (within SLACK of the deadline), so a rate that recovers, as
 * after a short outage, keeps the download; then it takes the highest rung that still makes it. When
 * none would, it restarts at the lowest rung only if that shortens the stall by more than half and
 * the link still carries half the lowest rung's bitrate (in an outage no rung helps, and a low rung
 * would only cost quality).
 */
export const ABANDON_SLACK_MS = 1000;
/**
 * Observe a download for at least this fraction of the buffer before judging it: with a full buffer
 * about 5 s, long enough for a mobile outage to pass (abandoning then only trades quality for nothing),
 * and three quarters of the buffer are left for the restart.
 */
export const ABANDON_OBSERVE_BUFFER_FRACTION = 0.25;

export function dryBufferAbandon(ctx: AbrContext, progress: TransferProgress) {
  if (progress.firstByteMs === undefined || progress.rungIndex === 0 || ctx.phase !== 'playing')
    return CONTINUE;
  const transferMs = progress.nowMs - progress.firstByteMs;
  if (
    progress.nowMs - progress.requestMs < ABANDON_GRACE_MS ||
    transferMs <= 0 ||
    progress.loadedBytes <= 0
  ) {
    return CONTINUE;
  }
  const bufferMs = ctx.bufferMs;
  if (progress.nowMs - progress.requestMs < ABANDON_OBSERVE_BUFFER_FRACTION * bufferMs) return CONTINUE;
  const kbps = (progress.loadedBytes * 8) / transferMs;
  const remainingMs = ((progress.totalBytes - progress.loadedBytes) * 8) / kbps;
  if (remainingMs <= bufferMs) return CONTINUE;
  const latencyMs = progress.firstByteMs - progress.requestMs;
  const restartMs = (rung: number) =>
    latencyMs + (segmentSizeBytes(ctx.ladder, progress.segmentIndex, rung) * 8) / kbps;
  for (let r = progress.rungIndex - 1; r >= 0; r--) {
    const restart = restartMs(r);
    if (restart <= bufferMs) {
      // Still in time: decide later, unless waiting any longer would miss the deadline.
      return bufferMs - restart <= ABANDON_SLACK_MS ? { kind: 'abandon' as const, rungIndex: r } : CONTINUE;
    }
  }
  const lowestKbps = ctx.ladder.rungs[0]!.bitrateBps / 1000;
  const stallNowMs = remainingMs - bufferMs;
  const stallRestartMs = restartMs(0) - bufferMs;
  return kbps >= lowestKbps / 2 && stallRestartMs < stallNowMs / 2
    ? { kind: 'abandon' as const, rungIndex: 0 }
    : CONTINUE;
}
