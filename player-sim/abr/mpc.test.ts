import { describe, expect, it } from 'vitest';
import {
  abrContext,
  evenLadder,
  history,
  scriptedStrategy,
  simulate,
  stepTrace,
} from '../../test/player/helpers.js';
import { seededRandom } from '../../common/random.js';
import { solveHorizon, type HorizonProblem } from './horizon.js';
import { INITIAL_MPC_STATE, mpc, robustPrediction } from './mpc.js';

/** Exhaustive enumeration of every rung sequence, with the same buffer model. */
function bruteForce(p: HorizonProblem): number {
  const depth = p.downloadMs.length;
  const rungs = p.downloadMs[0]!.length;
  let best = -Infinity;
  for (let code = 0; code < rungs ** depth; code++) {
    let c = code;
    let buffer = p.startBufferMs;
    let value = 0;
    let previous = p.previousSwitchValue;
    for (let k = 0; k < depth; k++) {
      const r = c % rungs;
      c = Math.floor(c / rungs);
      const d = p.segmentDurationMs[k]!;
      if (p.maxBufferMs !== undefined && buffer + d > p.maxBufferMs) buffer = Math.max(0, p.maxBufferMs - d);
      const dl = p.downloadMs[k]![r]!;
      const stall = Math.max(0, dl - buffer);
      buffer = Math.max(0, buffer - dl) + d;
      value +=
        p.utility[k]![r]! -
        (previous === undefined ? 0 : p.switchWeight * Math.abs(p.switchValue[k]![r]! - previous));
      value -= (p.rebufferPenaltyPerS * stall) / 1000;
      previous = p.switchValue[k]![r]!;
    }
    best = Math.max(best, value + (p.terminalValue ? p.terminalValue(buffer) : 0));
  }
  return best;
}

describe('horizon search', () => {
  it('finds what exhaustive enumeration finds (seeded random problems)', () => {
    const random = seededRandom(3);
    for (let n = 0; n < 300; n++) {
      const depth = 1 + Math.floor(random() * 4);
      const rungs = 1 + Math.floor(random() * 4);
      const utility = Array.from({ length: depth }, () => Array.from({ length: rungs }, () => random() * 10));
      const problem: HorizonProblem = {
        startBufferMs: random() * 10_000,
        downloadMs: Array.from({ length: depth }, () => Array.from({ length: rungs }, () => random() * 8000)),
        utility,
        switchValue: utility,
        previousSwitchValue: random() < 0.3 ? undefined : random() * 10,
        switchWeight: random() * 2,
        rebufferPenaltyPerS: random() * 10,
        segmentDurationMs: Array.from({ length: depth }, () => 1000 + random() * 3000),
        ...(random() < 0.5 ? { maxBufferMs: 5000 + random() * 10_000 } : {}),
        ...(random() < 0.5 ? { terminalValue: (b: number) => Math.min(b, 3000) / 1000 } : {}),
      };
      const plan = solveHorizon(problem);
      expect(plan.value).toBeCloseTo(bruteForce(problem), 9);
      expect(plan.rungs).toHaveLength(depth);
    }
  });
});

describe('RobustMPC', () => {
  const ladder = evenLadder([500, 1000, 2000, 4000], 60, 3000);

  it('predicts the harmonic mean of the last 5 throughputs over 1 + the largest recent error', () => {
    const first = robustPrediction(
      INITIAL_MPC_STATE,
      abrContext(ladder, { throughput: history([1000, 2000, 4000]) }),
    );
    expect(first.predictionKbps).toBeCloseTo(3 / (1 / 1000 + 1 / 2000 + 1 / 4000), 9);
    const second = robustPrediction(
      first.state,
      abrContext(ladder, { throughput: history([1000, 2000, 4000, 2000]) }),
    );
    const previous = 3 / (1 / 1000 + 1 / 2000 + 1 / 4000);
    const error = Math.abs(previous - 2000) / 2000;
    const mean = 4 / (1 / 1000 + 1 / 2000 + 1 / 4000 + 1 / 2000);
    expect(second.predictionKbps).toBeCloseTo(mean / (1 + error), 9);
    expect(second.state.errors).toEqual([0, error]);
    // Nothing new measured: the same errors.
    expect(
      robustPrediction(second.state, abrContext(ladder, { throughput: history([1000, 2000, 4000, 2000]) }))
        .state.errors,
    ).toEqual([0, error]);
  });

  it('plans over 5 segments: high rung with a full buffer, low rung with an empty one', () => {
    const strategy = mpc();
    const rates = history([2500, 2500, 2500]);
    expect(
      strategy.decide(
        INITIAL_MPC_STATE,
        abrContext(ladder, { bufferMs: 24_000, throughput: rates, lastRungIndex: 3 }),
      ).decision.rungIndex,
    ).toBe(3);
    expect(
      strategy.decide(
        INITIAL_MPC_STATE,
        abrContext(ladder, { bufferMs: 0, throughput: rates, lastRungIndex: 0 }),
      ).decision.rungIndex,
    ).toBeLessThanOrEqual(1);
  });

  it('avoids stalls on a step-down trace, where always taking the top rung stalls', async () => {
    const trace = stepTrace([
      [40_000, 6000],
      [1_000_000, 1300],
    ]);
    const adaptive = await simulate(ladder, trace, mpc());
    // No stall while adapting to the drop (a 150 ms one at the very end, where the horizon shrinks).
    expect(adaptive.rebuffers.filter((r) => r.startMs < 150_000)).toEqual([]);
    expect(adaptive.qoe.rebufferDurationMs).toBeLessThan(500);
    expect(adaptive.segments.filter((s) => s.requestMs > 70_000).every((s) => s.rungIndex < 3)).toBe(true);
    const greedy = await simulate(ladder, trace, scriptedStrategy([3]));
    expect(greedy.qoe.rebufferDurationMs).toBeGreaterThan(60_000);
    expect(adaptive.qoe.qoeLin).toBeGreaterThan(greedy.qoe.qoeLin);
  });
});
