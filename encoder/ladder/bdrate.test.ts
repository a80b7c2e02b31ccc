import { describe, it, expect } from 'vitest';
import { bdRate, pchip, pchipEvaluate, pchipIntegrate } from './bdrate.js';
import type { RdPoint } from './types.js';

const curve = (rates: readonly number[], qualities: readonly number[]): RdPoint[] =>
  rates.map((bitrateKbps, i) => ({ bitrateKbps, quality: qualities[i]! }));

const scale = (points: readonly RdPoint[], factor: number): RdPoint[] =>
  points.map((point) => ({ ...point, bitrateKbps: point.bitrateKbps * factor }));

// A VMAF-like anchor: rate grows faster and faster towards the top of the scale.
const ANCHOR = curve([300, 750, 1800, 4300, 9000], [52, 71, 84.5, 92, 95.5]);

describe('pchip', () => {
  const spline = pchip(
    ANCHOR.map((point) => point.quality),
    ANCHOR.map((point) => Math.log(point.bitrateKbps)),
  );

  it('matches SciPy PchipInterpolator (values and derivatives computed with SciPy 1.17)', () => {
    expect(pchipEvaluate(spline, 60)).toBeCloseTo(6.048801226955838, 12);
    expect(pchipEvaluate(spline, 93.3)).toBeCloseTo(8.602898719416288, 12);
    const scipyDerivatives = [0.03850735, 0.0557783, 0.08552697, 0.15526064, 0.24123339];
    spline.ds.forEach((d, i) => expect(d).toBeCloseTo(scipyDerivatives[i]!, 7));
  });

  it('passes through the knots and does not extrapolate', () => {
    for (const point of ANCHOR)
      expect(pchipEvaluate(spline, point.quality)).toBe(Math.log(point.bitrateKbps));
    expect(pchipEvaluate(spline, 51.9)).toBeUndefined();
    expect(pchipEvaluate(spline, 95.6)).toBeUndefined();
  });

  it('is monotone on monotone data, even with a sharp step', () => {
    const step = pchip([0, 1, 2, 3, 4], [0, 0, 0, 10, 10]);
    let previous = -Infinity;
    for (let x = 0; x <= 4; x += 0.01) {
      const y = pchipEvaluate(step, x)!;
      expect(y).toBeGreaterThanOrEqual(previous - 1e-12);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(10);
      previous = y;
    }
  });

  it('reproduces a line exactly', () => {
    const line = pchip([1, 2, 4, 7], [3, 5, 9, 15]);
    expect(pchipEvaluate(line, 5.5)).toBeCloseTo(12, 12);
    expect(pchipIntegrate(line, 1, 7)).toBeCloseTo(((3 + 15) / 2) * 6, 12);
  });

  it('integrates exactly (checked against composite Simpson on a fine grid)', () => {
    const from = 55;
    const to = 94;
    const intervals = 20000;
    const h = (to - from) / intervals;
    let simpson = 0;
    for (let i = 0; i <= intervals; i++) {
      const weight = i === 0 || i === intervals ? 1 : i % 2 === 1 ? 4 : 2;
      simpson += weight * pchipEvaluate(spline, from + i * h)!;
    }
    simpson *= h / 3;
    expect(pchipIntegrate(spline, from, to)).toBeCloseTo(simpson, 9);
  });

  it('rejects bad knots', () => {
    expect(() => pchip([1], [1])).toThrow(RangeError);
    expect(() => pchip([1, 1], [1, 2])).toThrow(RangeError);
    expect(() => pchip([1, 2], [1])).toThrow(RangeError);
  });
});

describe('bdRate', () => {
  it('gives -20 % when every rate is scaled by 0.8', () => {
    expect(bdRate(ANCHOR, scale(ANCHOR, 0.8))).toBeCloseTo(-20, 2);
  });

  it('gives +25 % when every rate is scaled by 1.25', () => {
    expect(bdRate(ANCHOR, scale(ANCHOR, 1.25))).toBeCloseTo(25, 2);
  });

  it('gives 0 for identical curves', () => {
    expect(bdRate(ANCHOR, ANCHOR)).toBeCloseTo(0, 12);
  });

  it('is undefined without an overlap or with fewer than 2 points', () => {
    const high = curve([5000, 8000, 12000], [96, 97, 98]);
    expect(bdRate(ANCHOR, high)).toBeUndefined();
    // touching at a single quality: zero-width overlap
    expect(bdRate(ANCHOR, curve([9000, 12000], [95.5, 97]))).toBeUndefined();
    expect(bdRate(ANCHOR, curve([1000], [80]))).toBeUndefined();
    expect(bdRate([], ANCHOR)).toBeUndefined();
    // two points, one dominated: a single usable point
    expect(bdRate(ANCHOR, curve([1000, 2000], [80, 79]))).toBeUndefined();
  });

  it('matches an independent trapezoid integration on curves linear in (quality, ln rate)', () => {
    // ln r = a + b q on both curves, sampled at different qualities; PCHIP is exact on lines.
    const anchorLogRate = (q: number): number => 2 + 0.12 * q;
    const testLogRate = (q: number): number => 1.7 + 0.125 * q;
    const anchor = [30, 34, 37, 40].map((q) => ({ bitrateKbps: Math.exp(anchorLogRate(q)), quality: q }));
    const test = [31, 35, 38, 42].map((q) => ({ bitrateKbps: Math.exp(testLogRate(q)), quality: q }));
    // Independent: dense trapezoid of linear interpolation between the test's own samples over [31, 40].
    const linear = (points: readonly RdPoint[], q: number): number => {
      for (let i = 1; i < points.length; i++) {
        const left = points[i - 1]!;
        const right = points[i]!;
        if (q <= right.quality) {
          const t = (q - left.quality) / (right.quality - left.quality);
          return Math.log(left.bitrateKbps) + t * (Math.log(right.bitrateKbps) - Math.log(left.bitrateKbps));
        }
      }
      throw new Error('out of range');
    };
    const low = 31;
    const high = 40;
    const steps = 100000;
    let integral = 0;
    for (let i = 0; i < steps; i++) {
      const q0 = low + ((high - low) * i) / steps;
      const q1 = low + ((high - low) * (i + 1)) / steps;
      integral +=
        ((linear(test, q0) - linear(anchor, q0) + linear(test, q1) - linear(anchor, q1)) / 2) * (q1 - q0);
    }
    const expected = (Math.exp(integral / (high - low)) - 1) * 100;
    // closed form for a check of the check: mean of (-0.3 + 0.005 q) over [31, 40] = -0.3 + 0.005 * 35.5
    expect(expected).toBeCloseTo((Math.exp(-0.3 + 0.005 * 35.5) - 1) * 100, 6);
    expect(bdRate(anchor, test)).toBeCloseTo(expected, 6);
  });

  it('matches a SciPy PCHIP BD-rate on a classic 4-point PSNR example', () => {
    // Reference: scipy.interpolate.PchipInterpolator(q, ln r).integrate over the overlap, SciPy 1.17.
    const anchor = curve([100, 200, 400, 800], [30, 33.5, 36.6, 39.2]);
    const test = curve([90, 180, 350, 700], [30.4, 33.9, 36.8, 39.6]);
    expect(bdRate(anchor, test)).toBeCloseTo(-17.36749296267369, 9);
  });

  it('matches a SciPy PCHIP BD-rate on a 5-point VMAF example', () => {
    const test = curve([260, 700, 1500, 3800, 8000], [50, 72.5, 85, 93, 96]);
    expect(bdRate(ANCHOR, test)).toBeCloseTo(-15.690368302544966, 9);
  });

  it('ignores input order and dominated points', () => {
    const test = curve([8000, 260, 3800, 700, 1500, 2000], [96, 50, 93, 72.5, 85, 84]);
    expect(bdRate([...ANCHOR].reverse(), test)).toBeCloseTo(-15.690368302544966, 9);
  });

  it('rejects non-positive rates', () => {
    expect(() => bdRate(curve([0, 100], [30, 40]), ANCHOR)).toThrow(RangeError);
  });
});
