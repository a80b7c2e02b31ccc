/**
 * RobustMPC (Yin, Jindal, Sekar, Sinopoli, "A Control-Theoretic Approach for Dynamic Adaptive Video
 * Streaming over HTTP", SIGCOMM 2015), as in Pensieve's reference `mpc.py`:
 *
 * - throughput prediction: harmonic mean of the last 5 measured throughputs (segment bytes over the
 *   whole request time), divided by 1 + the largest relative prediction error of the last 5 decisions;
 * - over a horizon of 5 segments, the rung sequence that maximises QoE_lin (sum of bitrate in Mbps
 *   minus 4.3 x predicted rebuffer seconds minus the sum of |bitrate changes| in Mbps), using the
 *   segments' real sizes when the ladder knows them; the first rung of the best sequence is taken.
 *
 * The search is exact (horizon.ts). No abandonment (the paper has none).
 */
import { segmentSizeBytes, segmentCount } from '../ladder.js';
import { QOE_LIN_REBUFFER_PENALTY } from '../qoe.js';
import { goodputKbps, harmonicMean } from '../throughput.js';
import { solveHorizon } from './horizon.js';
import { withoutHooks, type AbrContext, type AbrStrategy } from './types.js';

/** Look-ahead in segments: 5 (Yin et al. §5; Pensieve `MPC_FUTURE_CHUNK_COUNT = 5`). */
export const MPC_HORIZON = 5;
/** Past throughputs and errors considered: 5 (Pensieve `mpc.py`: `state[3, -5:]`, `past_errors[-5:]`). */
export const MPC_HISTORY = 5;

export interface MpcState {
  /** Relative errors |predicted - actual| / actual of past predictions, newest last. */
  errors: readonly number[];
  /** The harmonic mean predicted at the last decision (compared with the next measurement). */
  lastPrediction: number | undefined;
  /** End time of the newest sample the last decision saw (a newer one is a measurement to score). */
  lastSampleEndMs: number | undefined;
}

export interface MpcOptions {
  horizon?: number;
  rebufferPenaltyPerS?: number;
}

/** The robust throughput prediction shared by RobustMPC and the quality strategy. */
export function robustPrediction(
  state: MpcState,
  ctx: AbrContext,
  maxErrorCap = Infinity,
): { state: MpcState; predictionKbps: number | undefined } {
  const complete = ctx.throughput.samples.filter((s) => !s.abandoned);
  if (complete.length === 0) return { state, predictionKbps: undefined };
  const measured = complete.map(goodputKbps);
  const latest = measured[measured.length - 1]!;
  const latestEndMs = complete[complete.length - 1]!.endMs;
  let errors = state.errors;
  if (latestEndMs !== state.lastSampleEndMs) {
    const error = state.lastPrediction === undefined ? 0 : Math.abs(state.lastPrediction - latest) / latest;
    errors = [...errors, error].slice(-MPC_HISTORY);
  }
  const mean = harmonicMean(measured.slice(-MPC_HISTORY))!;
  const maxError = Math.min(maxErrorCap, Math.max(0, ...errors));
  return {
    state: { errors, lastPrediction: mean, lastSampleEndMs: latestEndMs },
    predictionKbps: mean / (1 + maxError),
  };
}

export const INITIAL_MPC_STATE: MpcState = Object.freeze({
  errors: [],
  lastPrediction: undefined,
  lastSampleEndMs: undefined,
});

export function mpc(options: MpcOptions = {}): AbrStrategy<MpcState> {
  const horizon = options.horizon ?? MPC_HORIZON;
  const rebufferPenaltyPerS = options.rebufferPenaltyPerS ?? QOE_LIN_REBUFFER_PENALTY;
  return {
    name: 'mpc',
    ...withoutHooks(),
    init: () => INITIAL_MPC_STATE,
    decide(state, ctx) {
      const predicted = robustPrediction(state, ctx);
      if (predicted.predictionKbps === undefined) return { state, decision: { rungIndex: 0 } };
      const kbps = predicted.predictionKbps;
      const ladder = ctx.ladder;
      const positions = Math.min(horizon, segmentCount(ladder) - ctx.segmentIndex);
      const rungs = ladder.rungs.map((_, r) => r);
      const mbps = ladder.rungs.map((r) => r.bitrateBps / 1e6);
      const segments = Array.from({ length: positions }, (_, p) => ctx.segmentIndex + p);
      const plan = solveHorizon({
        startBufferMs: ctx.bufferMs,
        downloadMs: segments.map((k) => rungs.map((r) => (segmentSizeBytes(ladder, k, r) * 8) / kbps)),
        utility: segments.map(() => mbps),
        switchValue: segments.map(() => mbps),
        previousSwitchValue: ctx.lastRungIndex === undefined ? undefined : mbps[ctx.lastRungIndex],
        switchWeight: 1,
        rebufferPenaltyPerS,
        segmentDurationMs: segments.map((k) => ladder.segmentDurationsMs[k]!),
      });
      return { state: predicted.state, decision: { rungIndex: plan.rungs[0] ?? 0 } };
    },
  };
}
