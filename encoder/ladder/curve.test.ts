import { describe, it, expect } from 'vitest';
import {
  bitrateAtQuality,
  buildCurve,
  crfAtQuality,
  qualityAtBitrate,
  qualityRange,
  roundToTenth,
} from './curve.js';
import type { Probe, Resolution } from './types.js';

const R720: Resolution = { width: 1280, height: 720 };

function probe(crf: number, bitrateKbps: number, quality: number, resolution: Resolution = R720): Probe {
  return {
    resolution,
    crf,
    bitrateKbps,
    quality,
    stats: { mean: quality, harmonicMean: quality, p5: quality, min: quality, frames: 10 },
    elapsedMs: 1,
  };
}

// 3 clean points plus two noisy ones that must be dropped
const probes = [
  probe(23, 2000, 90),
  probe(35, 500, 70),
  probe(29, 1000, 82),
  probe(27, 1400, 81), // more bits than the 1000 kbit/s point, less quality
  probe(22, 2400, 90), // more bits than the 2000 kbit/s point, same quality
];

describe('buildCurve', () => {
  it('sorts by bitrate and keeps strictly increasing quality', () => {
    const curve = buildCurve(probes);
    expect(curve.resolution).toEqual(R720);
    expect(curve.points.map((point) => point.crf)).toEqual([35, 29, 23]);
  });

  it('rejects empty input, mixed resolutions and non-positive bitrates', () => {
    expect(() => buildCurve([])).toThrow(RangeError);
    expect(() => buildCurve([probe(23, 1000, 80), probe(23, 500, 60, { width: 640, height: 360 })])).toThrow(
      RangeError,
    );
    expect(() => buildCurve([probe(23, 0, 80)])).toThrow(RangeError);
  });
});

describe('curve interpolation', () => {
  const curve = buildCurve(probes);

  it('reports the quality range', () => {
    expect(qualityRange(curve)).toEqual({ min: 70, max: 90 });
    expect(qualityRange({ resolution: R720, points: [] })).toBeUndefined();
  });

  it('is exact at points', () => {
    expect(bitrateAtQuality(curve, 82)).toBe(1000);
    expect(qualityAtBitrate(curve, 2000)).toBe(90);
    expect(crfAtQuality(curve, 70)).toBe(35);
  });

  it('interpolates bitrate linearly in (quality, ln bitrate)', () => {
    // halfway in quality between 500 and 1000 kbit/s is the geometric mean
    expect(bitrateAtQuality(curve, 76)).toBeCloseTo(Math.sqrt(500 * 1000), 9);
    // a quarter of the way from 82 to 90
    expect(bitrateAtQuality(curve, 84)).toBeCloseTo(1000 * Math.pow(2, 0.25), 9);
  });

  it('interpolates quality at a bitrate as the inverse', () => {
    expect(qualityAtBitrate(curve, Math.sqrt(1000 * 2000))).toBeCloseTo(86, 9);
    for (const quality of [71, 75.5, 83, 89.9]) {
      expect(qualityAtBitrate(curve, bitrateAtQuality(curve, quality)!)).toBeCloseTo(quality, 9);
    }
  });

  it('interpolates the CRF linearly in quality, rounded to one decimal', () => {
    expect(crfAtQuality(curve, 76)).toBe(32); // halfway between 35 and 29
    expect(crfAtQuality(curve, 85)).toBe(roundToTenth(29 - (3 / 8) * 6)); // 26.75 → 26.8
    expect(crfAtQuality(curve, 85)).toBe(26.8);
  });

  it('does not extrapolate', () => {
    expect(bitrateAtQuality(curve, 69.9)).toBeUndefined();
    expect(bitrateAtQuality(curve, 90.1)).toBeUndefined();
    expect(qualityAtBitrate(curve, 499)).toBeUndefined();
    expect(qualityAtBitrate(curve, 2001)).toBeUndefined();
    expect(crfAtQuality(curve, 95)).toBeUndefined();
    expect(bitrateAtQuality(curve, NaN)).toBeUndefined();
  });

  it('works with a single point', () => {
    const single = buildCurve([probe(30, 800, 75)]);
    expect(bitrateAtQuality(single, 75)).toBe(800);
    expect(qualityAtBitrate(single, 800)).toBe(75);
    expect(bitrateAtQuality(single, 74)).toBeUndefined();
  });
});
