/** The contract every AbrStrategy must keep, run against each built-in one. */
import { describe, expect, it } from 'vitest';
import { codeOf } from '../../test/helpers/errors.js';
import { abrContext, evenLadder, history, simulate, stepTrace } from '../../test/player/helpers.js';
import { resolvePlayerConfig } from '../config.js';
import type { Ladder } from '../ladder.js';
import { seededRandom } from '../../common/random.js';
import { createStrategy, DEFAULT_ABR, isAbrName } from './index.js';
import { ABR_NAMES, type AbrContext, type TransferProgress } from './types.js';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as Record<string, unknown>)) deepFreeze(inner);
  }
  return value;
}

function randomLadder(random: () => number): Ladder {
  const rungs = 1 + Math.floor(random() * 6);
  let kbps = 100 + random() * 400;
  const bitrates: number[] = [];
  for (let r = 0; r < rungs; r++) {
    bitrates.push(Math.round(kbps));
    kbps *= 1.3 + random();
  }
  const ladder = evenLadder(bitrates, 12, 1000 + Math.floor(random() * 4000));
  return random() < 0.5
    ? { ...ladder, rungs: ladder.rungs.map((r, i) => ({ ...r, vmaf: Math.min(100, 40 + i * 10) })) }
    : ladder;
}

function randomContext(random: () => number, ladder: Ladder): AbrContext {
  const rates = Array.from({ length: Math.floor(random() * 8) }, () => 50 + random() * 20_000);
  return abrContext(ladder, {
    segmentIndex: Math.floor(random() * 12),
    bufferMs: random() * 25_000,
    phase: random() < 0.2 ? 'startup' : random() < 0.2 ? 'stalled' : 'playing',
    lastRungIndex: random() < 0.1 ? undefined : Math.floor(random() * ladder.rungs.length),
    throughput: history(rates, Math.floor(random() * 200)),
  });
}

describe.each(ABR_NAMES)('AbrStrategy contract: %s', (name) => {
  it('decides a rung of the ladder, the same way for the same input, without changing its input', () => {
    const random = seededRandom(42);
    for (let n = 0; n < 200; n++) {
      const ladder = randomLadder(random);
      const strategy = createStrategy(name);
      let state = deepFreeze(strategy.init(ladder, resolvePlayerConfig()));
      for (let step = 0; step < 4; step++) {
        const ctx = deepFreeze(randomContext(random, ladder));
        const first = strategy.decide(state, ctx);
        const again = strategy.decide(state, ctx);
        expect(again).toEqual(first);
        expect(Number.isInteger(first.decision.rungIndex)).toBe(true);
        expect(first.decision.rungIndex).toBeGreaterThanOrEqual(0);
        expect(first.decision.rungIndex).toBeLessThan(ladder.rungs.length);
        expect(first.decision.delayMs ?? 0).toBeGreaterThanOrEqual(0);
        const rung = first.decision.rungIndex;
        const progress: TransferProgress = {
          segmentIndex: ctx.segmentIndex,
          rungIndex: rung,
          loadedBytes: random() * 10_000,
          totalBytes: 20_000 + random() * 1e6,
          requestMs: 0,
          firstByteMs: random() < 0.2 ? undefined : 50,
          nowMs: 100 + random() * 20_000,
        };
        const progressed = strategy.onProgress(deepFreeze(first.state), ctx, progress);
        if (progressed.decision.kind === 'abandon') expect(progressed.decision.rungIndex).toBeLessThan(rung);
        state = deepFreeze(
          strategy.onDownload(progressed.state, ctx, {
            segmentIndex: ctx.segmentIndex,
            rungIndex: rung,
            bytes: 20_000,
            requestMs: 0,
            firstByteMs: 10,
            endMs: 500,
            abandoned: false,
          }),
        );
        state = deepFreeze(strategy.onWait(state, ctx, 100));
      }
    }
  });

  it('plays whole sessions on varied traces without contract errors', async () => {
    const random = seededRandom(9);
    for (let n = 0; n < 15; n++) {
      const ladder = randomLadder(random);
      const steps = Array.from({ length: 6 }, (): [number, number] => [
        1000 + Math.floor(random() * 10_000),
        random() < 0.15 ? 0 : Math.floor(random() * 8000),
      ]);
      steps.push([500, 1000]);
      const result = await simulate(
        ladder,
        stepTrace(steps, Math.floor(random() * 100)),
        createStrategy(name),
      );
      expect(result.error).toBeUndefined();
      expect(result.outcome).toBe('completed');
      expect(result.segments).toHaveLength(ladder.segmentDurationsMs.length);
    }
  });
});

describe('strategy registry', () => {
  it('knows the built-in names and refuses others', () => {
    expect(isAbrName(DEFAULT_ABR)).toBe(true);
    expect(createStrategy('bola').name).toBe('bola');
    expect(codeOf(() => createStrategy('pensieve'))).toBe('PLAYER_ERR_UNKNOWN_STRATEGY');
  });
});
