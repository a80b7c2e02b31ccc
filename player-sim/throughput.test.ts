import { describe, expect, it } from 'vitest';
import type { Ladder } from './ladder.js';
import {
  EMPTY_EWMA,
  ewmaLatencyMs,
  ewmaThroughputKbps,
  goodputKbps,
  harmonicMean,
  rungForThroughput,
  transferKbps,
  updateEwma,
  type DownloadSample,
} from './throughput.js';

const sample = (bytes: number, requestMs: number, firstByteMs: number, endMs: number): DownloadSample => ({
  segmentIndex: 0,
  rungIndex: 0,
  bytes,
  requestMs,
  firstByteMs,
  endMs,
  abandoned: false,
});

describe('throughput measures', () => {
  it('transfer rate excludes latency, goodput includes it', () => {
    const s = sample(125_000, 0, 200, 1200); // 1,000,000 bits
    expect(transferKbps(s)).toBe(1000);
    expect(goodputKbps(s)).toBeCloseTo(1000 / 1.2, 9);
  });

  it('harmonic mean', () => {
    expect(harmonicMean([1000, 4000])).toBe(1600);
    expect(harmonicMean([])).toBeUndefined();
  });
});

describe('dash.js EWMA', () => {
  it('one sample is estimated exactly (zero-start correction)', () => {
    const state = updateEwma(EMPTY_EWMA, sample(125_000, 0, 20, 1020));
    expect(ewmaThroughputKbps(state)).toBeCloseTo(1000, 9);
    expect(ewmaLatencyMs(state)).toBeCloseTo(20, 9);
    expect(ewmaThroughputKbps(EMPTY_EWMA)).toBeUndefined();
    expect(ewmaLatencyMs(EMPTY_EWMA)).toBeUndefined();
  });

  it('weights by download time and takes the lower of the 3 s and 8 s estimates', () => {
    // 1000 kbit/s over 1 s, then 500 kbit/s over 2 s.
    let state = updateEwma(EMPTY_EWMA, sample(125_000, 0, 0, 1000));
    state = updateEwma(state, sample(125_000, 1000, 1000, 3000));
    const fast =
      (0.5 ** (2 / 3) * (1 - 0.5 ** (1 / 3)) * 1000 + (1 - 0.5 ** (2 / 3)) * 500) / (1 - 0.5 ** (3 / 3));
    const slow =
      (0.5 ** (2 / 8) * (1 - 0.5 ** (1 / 8)) * 1000 + (1 - 0.5 ** (2 / 8)) * 500) / (1 - 0.5 ** (3 / 8));
    expect(fast).toBeCloseTo(630.0, 1);
    expect(slow).toBeCloseTo(652.45, 1);
    expect(ewmaThroughputKbps(state)).toBeCloseTo(Math.min(fast, slow), 9);
  });

  it('takes the higher latency estimate', () => {
    let state = updateEwma(EMPTY_EWMA, sample(1000, 0, 100, 200));
    state = updateEwma(state, sample(1000, 0, 20, 200));
    // Fast (half-life 1 sample): (0.5 * 0.5 * 100 + 0.5 * 20) / 0.75; slow (2 samples) is higher.
    const fast = (0.25 * 100 + 0.5 * 20) / 0.75;
    const a = 0.5 ** 0.5;
    const slow = (a * (1 - a) * 100 + (1 - a) * 20) / (1 - 0.5);
    expect(ewmaLatencyMs(state)).toBeCloseTo(Math.max(fast, slow), 9);
    expect(slow).toBeGreaterThan(fast);
  });
});

describe('rungForThroughput', () => {
  const ladder: Ladder = {
    source: 'sabre',
    segmentDurationsMs: [4000],
    rungs: [
      { id: '0', bitrateBps: 500_000 },
      { id: '1', bitrateBps: 1_000_000 },
      { id: '2', bitrateBps: 2_000_000 },
    ],
  };

  it('the highest rung that arrives within a segment duration, latency included', () => {
    expect(rungForThroughput(ladder, 2000, 0, 4000)).toBe(2);
    // 2000 kbit/s with 100 ms latency: rung 2 needs 100 + 4000 = 4100 ms > 4000.
    expect(rungForThroughput(ladder, 2000, 100, 4000)).toBe(1);
    expect(rungForThroughput(ladder, 100, 0, 4000)).toBe(0);
  });
});
