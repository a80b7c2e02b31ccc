import { describe, expect, it } from 'vitest';
import { computeQoe, percentileNearestRank, qoeLin, qoeVmaf, type PlayedSegment } from './qoe.js';

const played = (rungs: Array<[number, number, number?]>, durationMs = 4000): PlayedSegment[] =>
  rungs.map(([rungIndex, mbps, vmaf], segmentIndex) => ({
    segmentIndex,
    rungIndex,
    bitrateBps: mbps * 1e6,
    durationMs,
    ...(vmaf === undefined ? {} : { vmaf }),
  }));

describe('QoE formulas (hand-computed)', () => {
  it('QoE_lin = sum Mbps - 4.3 x stall s - sum |change| Mbps', () => {
    // 1 + 2 + 2 + 1 = 6; changes 1 + 0 + 1 = 2; stall 1 s -> 6 - 4.3 - 2.
    expect(qoeLin([1e6, 2e6, 2e6, 1e6], 1000)).toBeCloseTo(-0.3, 12);
    expect(qoeLin([], 0)).toBe(0);
  });

  it('QoE_vmaf = sum VMAF - 100 x stall s - sum |change|', () => {
    expect(qoeVmaf([80, 90, 70], 500)).toBeCloseTo(240 - 50 - 30, 12);
  });

  it('nearest-rank percentile', () => {
    const values = Array.from({ length: 40 }, (_, i) => 40 - i); // 40..1
    expect(percentileNearestRank(values, 5)).toBe(2); // ceil(0.05 x 40) = 2nd smallest
    expect(percentileNearestRank(values, 50)).toBe(20);
    expect(percentileNearestRank(values, 100)).toBe(40);
    expect(percentileNearestRank([7], 5)).toBe(7);
    expect(percentileNearestRank([], 5)).toBeUndefined();
  });

  it('summary of a session', () => {
    const summary = computeQoe({
      segments: played([
        [0, 1, 60],
        [2, 3, 90],
        [2, 3, 90],
        [1, 2, 80],
      ]),
      startupDelayMs: 500,
      rebuffers: [{ durationMs: 300 }, { durationMs: 700 }],
      playedMs: 16_000,
    });
    expect(summary).toEqual({
      startupDelayMs: 500,
      playedMs: 16_000,
      rebufferCount: 2,
      rebufferDurationMs: 1000,
      rebufferRatio: 1000 / 17_000,
      avgBitrateBps: 2.25e6,
      avgVmaf: 80,
      p5Vmaf: 60,
      switchCount: 2,
      switchMagnitudeBps: 3e6,
      // 9 Mbps - 4.3 x 1.5 s - 3
      qoeLin: expect.closeTo(9 - 6.45 - 3, 9),
      // 320 - 100 x 1.5 - (30 + 10)
      qoeVmaf: expect.closeTo(320 - 150 - 40, 9),
    });
  });

  it('weights averages by segment duration and leaves out VMAF when a segment lacks it', () => {
    const segments = [...played([[0, 1, 50]], 1000), ...played([[1, 4]], 3000)];
    const summary = computeQoe({ segments, startupDelayMs: undefined, rebuffers: [], playedMs: 4000 });
    expect(summary.avgBitrateBps).toBe(3.25e6);
    expect(summary.avgVmaf).toBeUndefined();
    expect(summary.qoeVmaf).toBeUndefined();
    expect(summary.startupDelayMs).toBeUndefined();
    expect(computeQoe({ segments: [], startupDelayMs: undefined, rebuffers: [], playedMs: 0 })).toMatchObject(
      {
        avgBitrateBps: 0,
        rebufferRatio: 0,
        qoeLin: 0,
      },
    );
  });
});
