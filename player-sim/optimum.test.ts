import { describe, expect, it } from 'vitest';
import { codeOf } from '../test/helpers/errors.js';
import { constantTrace, evenLadder, scriptedStrategy, simulate, stepTrace } from '../test/player/helpers.js';
import { createStrategy } from './abr/index.js';
import { ABR_NAMES } from './abr/types.js';
import type { PlayerConfigInput } from './config.js';
import type { Ladder } from './ladder.js';
import { NetworkModel } from './network.js';
import { offlineOptimum } from './optimum.js';
import { seededRandom } from '../common/random.js';
import type { Trace } from './trace.js';

/** The best QoE over every rung sequence, each played by the session engine itself. */
async function bruteForce(
  ladder: Ladder,
  trace: Trace,
  config: PlayerConfigInput,
  objective: 'lin' | 'vmaf',
): Promise<number> {
  const n = ladder.segmentDurationsMs.length;
  const rungs = ladder.rungs.length;
  let best = -Infinity;
  for (let code = 0; code < rungs ** n; code++) {
    const script = Array.from({ length: n }, (_, k) => Math.floor(code / rungs ** k) % rungs);
    const result = await simulate(ladder, trace, scriptedStrategy(script), config);
    best = Math.max(best, objective === 'lin' ? result.qoe.qoeLin : result.qoe.qoeVmaf!);
  }
  return best;
}

function randomTrace(random: () => number, name: string): Trace {
  return stepTrace(
    Array.from({ length: 2 + Math.floor(random() * 5) }, (): [number, number] => [
      500 + Math.floor(random() * 6000),
      random() < 0.15 ? 0 : 100 + Math.floor(random() * 3000),
    ]).concat([[1000, 800]]),
    Math.floor(random() * 120),
    name,
  );
}

describe('offline optimum (DP over segment, rung, discretised buffer)', () => {
  it('matches exhaustive search on small cases', async () => {
    const random = seededRandom(11);
    const base = evenLadder([300, 900, 2000], 6, 2000);
    const ladder: Ladder = { ...base, rungs: base.rungs.map((r, i) => ({ ...r, vmaf: [55, 80, 93][i]! })) };
    const configs: PlayerConfigInput[] = [
      {},
      { maxBufferMs: 4000 },
      { startupBufferMs: 4000, rebufferResumeMs: 2000 },
    ];
    for (let n = 0; n < 9; n++) {
      const trace = randomTrace(random, `t${n}`);
      const config = configs[n % configs.length]!;
      const objective = n % 2 === 0 ? 'lin' : 'vmaf';
      const optimum = offlineOptimum(ladder, new NetworkModel(trace), {
        config,
        objective,
        bufferStepMs: 50,
      });
      const exhaustive = await bruteForce(ladder, trace, config, objective);
      // Buffer bins may merge paths a bin apart: never below exhaustive search, at most a little above.
      const tolerance = 0.002 * Math.abs(exhaustive) + 0.05;
      expect(optimum.qoe).toBeGreaterThanOrEqual(exhaustive - tolerance);
      expect(optimum.qoe).toBeLessThanOrEqual(exhaustive + tolerance);
      // Its rung sequence, played by the engine, scores what the DP says.
      const replay = await simulate(ladder, trace, scriptedStrategy(optimum.rungs), config);
      const replayed = objective === 'lin' ? replay.qoe.qoeLin : replay.qoe.qoeVmaf!;
      expect(replayed).toBeCloseTo(optimum.qoe, 6);
    }
  });

  it('is the top rung with no stall beyond the first download on an ample link (hand-computed)', () => {
    // 2 Mbit/s segments of 2 s at 10 Mbit/s: the first takes 400 ms, then the buffer never runs dry.
    const optimum = offlineOptimum(
      evenLadder([500, 2000], 10, 2000),
      new NetworkModel(constantTrace(10_000)),
    );
    expect(optimum.rungs).toEqual(Array(10).fill(1));
    expect(optimum.stallMs).toBeCloseTo(400, 9);
    expect(optimum.qoe).toBeCloseTo(10 * 2 - 4.3 * 0.4, 9);
  });

  it('no strategy beats it (beyond discretisation) on many traces', async () => {
    const random = seededRandom(5);
    const ladder = evenLadder([230, 477, 991, 2056, 4000], 30, 3000);
    for (let n = 0; n < 20; n++) {
      const trace = randomTrace(random, `r${n}`);
      const optimum = offlineOptimum(ladder, new NetworkModel(trace));
      for (const name of ABR_NAMES) {
        const result = await simulate(ladder, trace, createStrategy(name));
        expect(result.qoe.qoeLin, `${name} on ${trace.name}`).toBeLessThanOrEqual(
          optimum.qoe + 0.005 * Math.abs(optimum.qoe) + 0.1,
        );
      }
    }
  });

  it('needs VMAF for the vmaf objective', () => {
    expect(
      codeOf(() =>
        offlineOptimum(evenLadder([500], 2), new NetworkModel(constantTrace(1000)), { objective: 'vmaf' }),
      ),
    ).toBe('PLAYER_ERR_INVALID_OPTIONS');
  });
});
