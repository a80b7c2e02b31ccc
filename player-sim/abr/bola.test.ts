import { describe, expect, it } from 'vitest';
import { abrContext, constantTrace, evenLadder, history, simulate } from '../../test/player/helpers.js';
import { resolvePlayerConfig } from '../config.js';
import { bola, bolaParameters, bolaRungForLevel, type BolaState } from './bola.js';

const BITRATES = [1_000_000, 2_000_000, 4_000_000];
const ladder = evenLadder([1000, 2000, 4000], 40, 3000);
const config = resolvePlayerConfig();

function steady(overrides: Partial<BolaState> = {}): BolaState {
  return { ...bola().init(ladder, config), phase: 'steady', ...overrides };
}

describe('BOLA parameters (hand-computed)', () => {
  it('utilities ln(S/S1) + 1, buffer target max(10 + 2 x rungs, max buffer), gamma and V from it', () => {
    const p = bolaParameters(BITRATES, 25_000);
    expect(p.utilities).toEqual([1, 1 + Math.log(2), 1 + Math.log(4)]);
    expect(p.bufferTargetMs).toBe(25_000); // max(10 s + 3 x 2 s, 25 s)
    expect(p.gp).toBeCloseTo(Math.log(4) / 1.5, 12);
    expect(p.vp).toBeCloseTo(10_000 / (Math.log(4) / 1.5), 9);
    expect(bolaParameters(BITRATES, 5000).bufferTargetMs).toBe(16_000);
  });

  it('switches rung at the buffer levels the paper derives, and never goes down as the buffer grows', () => {
    const state = steady();
    const [u0, u1, u2] = state.utilities as [number, number, number];
    const [b0, b1, b2] = BITRATES as [number, number, number];
    const q01 = state.vp * (state.gp + (b1 * u0 - b0 * u1) / (b1 - b0));
    const q12 = state.vp * (state.gp + (b2 * u1 - b1 * u2) / (b2 - b1));
    expect(q01).toBeGreaterThan(10_000); // the lowest rung up to MINIMUM_BUFFER at least
    expect(bolaRungForLevel(state, BITRATES, q01 - 1)).toBe(0);
    expect(bolaRungForLevel(state, BITRATES, q01 + 1)).toBe(1);
    expect(bolaRungForLevel(state, BITRATES, q12 - 1)).toBe(1);
    expect(bolaRungForLevel(state, BITRATES, q12 + 1)).toBe(2);
    let previous = 0;
    for (let level = 0; level <= 40_000; level += 100) {
      const rung = bolaRungForLevel(state, BITRATES, level);
      expect(rung).toBeGreaterThanOrEqual(previous);
      previous = rung;
    }
  });
});

describe('BOLA-E decisions', () => {
  const strategy = bola();
  const fast = history([20_000, 20_000, 20_000]);

  it('is monotone in the buffer (fast link, steady state)', () => {
    let previous = 0;
    for (let bufferMs = 0; bufferMs <= 25_000; bufferMs += 250) {
      const { decision } = strategy.decide(
        steady({ lastRung: 2 }),
        abrContext(ladder, { bufferMs, throughput: fast }),
      );
      expect(decision.rungIndex).toBeGreaterThanOrEqual(previous);
      previous = decision.rungIndex;
    }
    expect(previous).toBe(2);
  });

  it('startup: the lowest rung until a measurement, then the throughput rung with a placeholder that makes BOLA agree', () => {
    const init = strategy.init(ladder, config);
    expect(
      strategy.decide(init, abrContext(ladder, { bufferMs: 0, lastRungIndex: undefined })).decision,
    ).toEqual({ rungIndex: 0 });
    const step = strategy.decide(
      init,
      abrContext(ladder, { bufferMs: 3000, throughput: history([2500, 2500]) }),
    );
    expect(step.decision.rungIndex).toBe(1); // 2500 kbit/s carries 2000 kbit/s segments
    expect(step.state.phase).toBe('steady');
    expect(bolaRungForLevel(step.state, BITRATES, 3000 + step.state.placeholderMs)).toBe(1);
  });

  it('BOLA-O does not switch up past the throughput rung; BOLA-U allows one more', () => {
    const ctx = abrContext(ladder, { bufferMs: 24_000, throughput: history([1100, 1100, 1100]) });
    expect(bola({ variant: 'O' }).decide(steady({ lastRung: 0 }), ctx).decision.rungIndex).toBe(0);
    expect(bola({ variant: 'U' }).decide(steady({ lastRung: 0 }), ctx).decision.rungIndex).toBe(1);
  });

  it('idles instead of overfilling the buffer with a low rung', () => {
    // Throughput caps the rung at 0; at 30 s BOLA would rather wait until V (v_0 + gamma).
    const state = steady({ lastRung: 0 });
    const { decision } = strategy.decide(
      state,
      abrContext(ladder, { bufferMs: 30_000, throughput: history([1200, 1200, 1200]) }),
    );
    expect(decision.rungIndex).toBe(0);
    expect(decision.delayMs).toBeCloseTo(30_000 - state.vp * (state.utilities[0]! + state.gp), 6);
  });

  it('insufficient-buffer rule: with 0.5 s of buffer, no segment that cannot arrive in time', () => {
    const ctx = abrContext(ladder, { bufferMs: 500, throughput: fast });
    const { decision, state } = strategy.decide(steady({ lastRung: 2, placeholderMs: 30_000 }), ctx);
    // 0.9 x 0.5 s x 20,000 kbit/s = 9 Mbit fits rung 0 (3 Mbit) and 1 (6 Mbit), not rung 2 (12 Mbit).
    expect(decision.rungIndex).toBe(1);
    expect(state.ibrSafety).toBeCloseTo(0.81, 12);
  });

  it('abandons a download whose remaining bits score worse than a lower rung', () => {
    const state = steady({ lastRung: 2 });
    // 1 s into a 12 Mbit segment at 300 kbit/s, 2 s of buffer left.
    const progress = {
      segmentIndex: 3,
      rungIndex: 2,
      loadedBytes: 37_500,
      totalBytes: 1_500_000,
      requestMs: 0,
      firstByteMs: 0,
      nowMs: 1000,
    };
    const step = strategy.onProgress(state, abrContext(ladder, { bufferMs: 2000 }), progress);
    expect(step.decision).toEqual({ kind: 'abandon', rungIndex: 0 });
    expect(step.state.abandonTo).toBe(0);
    const kept = strategy.onProgress(state, abrContext(ladder, { bufferMs: 2000 }), {
      ...progress,
      loadedBytes: 1_400_000,
    });
    expect(kept.decision).toEqual({ kind: 'continue' });
  });

  it('reaches the top rung on a fast link and stays there', async () => {
    const result = await simulate(ladder, constantTrace(30_000, 20), strategy);
    expect(result.qoe.rebufferCount).toBe(0);
    expect(result.segments.slice(-10).every((s) => s.rungIndex === 2)).toBe(true);
  });
});
