import { describe, expect, it } from 'vitest';
import { abrContext, evenLadder, history, simulate, stepTrace } from '../../test/player/helpers.js';
import { throughputAbandon } from './common.js';
import { throughputRule } from './throughputRule.js';

const ladder = evenLadder([500, 1000, 2000, 4000], 40, 3000);
const rule = throughputRule();
const decide = (rates: number[], bufferMs = 20_000, latencyMs = 0) =>
  rule.decide({ ibrSafety: 0.9 }, abrContext(ladder, { bufferMs, throughput: history(rates, latencyMs) }))
    .decision.rungIndex;

describe('throughput rule', () => {
  it('tracks the estimate: the highest rung below 0.9 x EWMA', () => {
    expect(decide([3000, 3000, 3000])).toBe(2); // 2700 >= 2000
    expect(decide([4400, 4400, 4400])).toBe(2); // 3960 < 4000
    expect(decide([4500, 4500, 4500])).toBe(3); // 4050 >= 4000
    expect(decide([600, 600])).toBe(0);
    expect(rule.decide({ ibrSafety: 0.9 }, abrContext(ladder)).decision.rungIndex).toBe(0);
  });

  it('counts latency as dead time', () => {
    // 2300 x 0.9 = 2070 kbit/s: rung 2 needs 3000 x 2000 / 2070 = 2899 ms, plus 150 ms > 3000.
    expect(decide([2300, 2300], 20_000, 0)).toBe(2);
    expect(decide([2300, 2300], 20_000, 150)).toBe(1);
  });

  it('lowers the rung when the buffer cannot cover the download (insufficient-buffer rule)', () => {
    expect(decide([10_000, 10_000], 500)).toBe(1); // 0.9 x 0.5 s x 10 Mbit/s = 4.5 Mbit: rung 1 (3 Mbit) only
  });

  it('follows a step up and a step down in bandwidth', async () => {
    const trace = stepTrace([
      [60_000, 1500],
      [60_000, 8000],
      [1_000_000, 1200],
    ]);
    const result = await simulate(evenLadder([500, 1000, 2000, 4000], 80, 3000), trace, rule);
    const at = (ms: number) => result.segments.filter((s) => s.requestMs <= ms).at(-1)!.rungIndex;
    expect(at(50_000)).toBe(1);
    expect(at(115_000)).toBe(3);
    expect(at(200_000)).toBe(1); // 0.9 x 1200 = 1080 kbit/s
    expect(result.qoe.rebufferCount).toBe(0);
  });

  it('abandons (dash.js rule) once a download is projected past 1.8 segment durations', () => {
    const ctx = abrContext(ladder, { throughput: history([5000, 5000]) });
    const progress = { segmentIndex: 1, rungIndex: 3, requestMs: 0, firstByteMs: 0, totalBytes: 1_500_000 };
    // 1 s in, 125,000 bytes: 1000 kbit/s, 11 s left: abandon to what 900 kbit/s carries (rung 0).
    expect(throughputAbandon(ctx, { ...progress, loadedBytes: 125_000, nowMs: 1000 })).toEqual({
      kind: 'abandon',
      rungIndex: 0,
    });
    // Not before the 500 ms grace time, and not when on course.
    expect(throughputAbandon(ctx, { ...progress, loadedBytes: 50_000, nowMs: 400 })).toEqual({
      kind: 'continue',
    });
    expect(throughputAbandon(ctx, { ...progress, loadedBytes: 1_000_000, nowMs: 1000 })).toEqual({
      kind: 'continue',
    });
  });
});
