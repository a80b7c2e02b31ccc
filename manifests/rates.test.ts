import { describe, expect, it } from 'vitest';
import { averageRateBps, dashBandwidthBps, peakSegmentRateBps } from './rates.js';

const seg = (sizeBytes: number, durationS: number) => ({ sizeBytes, durationS });

describe('segment rates', () => {
  it('peak is the largest per-segment rate, average is total bits over total time', () => {
    const segments = [seg(100_000, 4), seg(300_000, 4), seg(25_000, 2)];
    expect(peakSegmentRateBps(segments)).toBe(600_000);
    expect(averageRateBps(segments)).toBe(Math.ceil((425_000 * 8) / 10));
  });

  it('a short last segment with the same rate does not raise the peak', () => {
    expect(peakSegmentRateBps([seg(50_000, 4), seg(25_000, 2)])).toBe(100_000);
  });

  it('ignores zero-length segments and empty lists', () => {
    expect(peakSegmentRateBps([seg(10, 0)])).toBe(0);
    expect(averageRateBps([])).toBe(0);
    expect(dashBandwidthBps([], 2)).toBe(0);
  });

  it('DASH bandwidth of a constant-rate stream is just under that rate', () => {
    const segments = Array.from({ length: 10 }, () => seg(500_000, 4));
    // 1 Mbit/s for 40 s with 2 s of start-up buffer: the end is the tightest, 40 Mbit by 42 s.
    expect(dashBandwidthBps(segments, 2)).toBe(Math.ceil(40_000_000 / 42));
    expect(dashBandwidthBps(segments, 0)).toBe(1_000_000);
  });

  it('DASH bandwidth absorbs a big segment with the slack before it, unlike the HLS peak', () => {
    const segments = [
      ...Array.from({ length: 8 }, () => seg(100_000, 4)),
      seg(1_000_000, 4),
      seg(100_000, 4),
    ];
    const dash = dashBandwidthBps(segments, 2);
    // Bits of segments 0..8 must arrive by 2 + 36 s.
    expect(dash).toBe(Math.ceil((1_800_000 * 8) / 38));
    expect(dash).toBeLessThan(peakSegmentRateBps(segments) / 4);
    // A client that downloads at exactly that rate has every segment by the end of its play-out.
    let arrivedS = 0;
    let endS = 0;
    for (const s of segments) {
      arrivedS += (s.sizeBytes * 8) / dash;
      endS += s.durationS;
      expect(arrivedS).toBeLessThanOrEqual(2 + endS + 1e-9);
    }
    // A little less and the big segment would be late.
    expect((1_800_000 * 8) / (dash - 1)).toBeGreaterThan(38);
  });
});
