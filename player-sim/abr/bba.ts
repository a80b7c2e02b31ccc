/**
 * BBA-0, the buffer-based algorithm of Huang et al., "A Buffer-Based Approach to Rate Adaptation"
 * (SIGCOMM 2014), §4: the rate is a function of the buffer alone. Below the reservoir r the lowest
 * rate; above r + cushion c the highest; in between the rate map f(B) rises linearly from R_min to
 * R_max, and the rate changes only when f(B) crosses the next rate up or down (their Algorithm 1):
 * up to the highest rate below f(B), down to the lowest rate above f(B).
 */
import { withoutHooks, type AbrStrategy } from './types.js';

/**
 * Reservoir and cushion, ms: 5 s and 10 s, the BBA parameters of Pensieve's comparison (`bb.py`
 * RESEVOIR = 5, CUSHION = 10), sized for buffers of tens of seconds (the paper's 90 s / 126 s were for
 * Netflix's 240 s buffer); with Sabre's 25 s buffer the top rung is reached at 15 s.
 */
export const BBA_RESERVOIR_MS = 5000;
export const BBA_CUSHION_MS = 10_000;

export interface BbaOptions {
  reservoirMs?: number;
  cushionMs?: number;
}

/** f(B): the rate map, bit/s. */
export function bbaRateMap(
  bufferMs: number,
  minBps: number,
  maxBps: number,
  reservoirMs: number,
  cushionMs: number,
): number {
  if (bufferMs <= reservoirMs) return minBps;
  if (bufferMs >= reservoirMs + cushionMs) return maxBps;
  return minBps + ((maxBps - minBps) * (bufferMs - reservoirMs)) / cushionMs;
}

export function bba(options: BbaOptions = {}): AbrStrategy<null> {
  const reservoirMs = options.reservoirMs ?? BBA_RESERVOIR_MS;
  const cushionMs = options.cushionMs ?? BBA_CUSHION_MS;
  return {
    name: 'bba',
    ...withoutHooks(),
    init: () => null,
    decide(state, ctx) {
      const rungs = ctx.ladder.rungs;
      const top = rungs.length - 1;
      const buffer = ctx.bufferMs;
      const previous = ctx.lastRungIndex ?? 0;
      let next: number;
      if (buffer < reservoirMs) next = 0;
      else if (buffer >= reservoirMs + cushionMs) next = top;
      else {
        const f = bbaRateMap(buffer, rungs[0]!.bitrateBps, rungs[top]!.bitrateBps, reservoirMs, cushionMs);
        const up = Math.min(previous + 1, top);
        const down = Math.max(previous - 1, 0);
        if (f >= rungs[up]!.bitrateBps) {
          // The highest rate strictly below f(B).
          next = previous;
          for (let q = top; q >= 0; q--) {
            if (rungs[q]!.bitrateBps < f) {
              next = q;
              break;
            }
          }
        } else if (f <= rungs[down]!.bitrateBps) {
          // The lowest rate strictly above f(B).
          next = top;
          for (let q = 0; q <= top; q++) {
            if (rungs[q]!.bitrateBps > f) {
              next = q;
              break;
            }
          }
        } else next = previous;
      }
      return { state, decision: { rungIndex: next } };
    },
  };
}
