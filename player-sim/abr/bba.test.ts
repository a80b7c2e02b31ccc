import { describe, expect, it } from 'vitest';
import { abrContext, constantTrace, evenLadder, simulate } from '../../test/player/helpers.js';
import { bba, bbaRateMap, BBA_CUSHION_MS, BBA_RESERVOIR_MS } from './bba.js';

const ladder = evenLadder([1000, 2000, 3000, 4000, 5000], 30, 2000);
const strategy = bba();
const rungAt = (bufferMs: number, lastRungIndex: number | undefined) =>
  strategy.decide(null, abrContext(ladder, { bufferMs, lastRungIndex })).decision.rungIndex;

describe('BBA-0 (Huang et al. 2014)', () => {
  it('rate map: R_min in the reservoir, R_max above the cushion, linear between', () => {
    expect(bbaRateMap(3000, 1000, 5000, 5000, 10_000)).toBe(1000);
    expect(bbaRateMap(10_000, 1000, 5000, 5000, 10_000)).toBe(3000);
    expect(bbaRateMap(20_000, 1000, 5000, 5000, 10_000)).toBe(5000);
    expect([BBA_RESERVOIR_MS, BBA_CUSHION_MS]).toEqual([5000, 10_000]);
  });

  it('stays at the lowest rung inside the reservoir, whatever came before', () => {
    for (const last of [0, 2, 4, undefined]) {
      for (const buffer of [0, 1000, 4999]) expect(rungAt(buffer, last)).toBe(0);
    }
  });

  it('takes the highest rung above reservoir + cushion', () => {
    for (const last of [0, 2, 4]) expect(rungAt(15_000, last)).toBe(4);
  });

  it('in the cushion, moves only when f(B) crosses the neighbouring rates (hysteresis)', () => {
    // f(10 s) = 3000 kbit/s.
    expect(rungAt(10_000, 0)).toBe(1); // up: highest rate strictly below f(B)
    expect(rungAt(10_000, 4)).toBe(3); // down: lowest rate strictly above f(B)
    expect(rungAt(10_000, 2)).toBe(2); // between its neighbours: stay
  });

  it('climbs to the top as the buffer fills on a fast link', async () => {
    const result = await simulate(ladder, constantTrace(20_000), strategy);
    expect(result.segments[0]!.rungIndex).toBe(0);
    expect(result.segments.at(-1)!.rungIndex).toBe(4);
    const rungs = result.segments.map((s) => s.rungIndex);
    expect(rungs).toEqual([...rungs].sort((a, b) => a - b));
  });
});
