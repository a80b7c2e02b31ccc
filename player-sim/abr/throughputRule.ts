/**
 * Throughput rule, as dash.js's ThroughputRule and Sabre's `ThroughputRule`: the highest rung that the
 * EWMA throughput (minimum of a 3 s and an 8 s half-life, see throughput.ts) times a 0.9 safety factor
 * delivers within a segment duration, latency included; lowered by the insufficient-buffer rule; with
 * the dash.js abandonment rule.
 */
import { rungForThroughput } from '../throughput.js';
import {
  BANDWIDTH_SAFETY_FACTOR,
  ewmaEstimate,
  IBR_SAFETY_INITIAL,
  insufficientBufferRule,
  segmentDurationOf,
  throughputAbandon,
} from './common.js';
import { withoutHooks, type AbrStrategy } from './types.js';

export interface ThroughputRuleState {
  ibrSafety: number;
}

export interface ThroughputRuleOptions {
  /** Fraction of the estimate planned with (default 0.9, dash.js `bandwidthSafetyFactor`). */
  safetyFactor?: number;
  /** Apply the insufficient-buffer rule (default true). */
  insufficientBufferRule?: boolean;
  /** Abandon downloads that fall behind (default true). */
  abandon?: boolean;
}

export function throughputRule(options: ThroughputRuleOptions = {}): AbrStrategy<ThroughputRuleState> {
  const safetyFactor = options.safetyFactor ?? BANDWIDTH_SAFETY_FACTOR;
  const useIbr = options.insufficientBufferRule ?? true;
  const abandon = options.abandon ?? true;
  return {
    name: 'throughput',
    ...withoutHooks(),
    init: () => ({ ibrSafety: IBR_SAFETY_INITIAL }),
    decide(state, ctx) {
      const estimate = ewmaEstimate(ctx);
      // No measurement yet: the lowest rung, as Sabre's get_first_quality.
      if (estimate === undefined) return { state, decision: { rungIndex: 0 } };
      const rung = rungForThroughput(
        ctx.ladder,
        estimate.kbps * safetyFactor,
        estimate.latencyMs,
        segmentDurationOf(ctx),
      );
      if (!useIbr) return { state, decision: { rungIndex: rung } };
      const ibr = insufficientBufferRule(ctx, rung, state.ibrSafety, estimate);
      return { state: { ibrSafety: ibr.safety }, decision: { rungIndex: ibr.rung } };
    },
    onProgress: (state, ctx, progress) => ({
      state,
      decision: abandon ? throughputAbandon(ctx, progress) : { kind: 'continue' },
    }),
  };
}
