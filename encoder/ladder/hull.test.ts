import { describe, it, expect } from 'vitest';
import { paretoFront, upperConvexHull } from './hull.js';
import type { RdPoint } from './types.js';

interface Tagged extends RdPoint {
  tag: string;
}

const p = (tag: string, bitrateKbps: number, quality: number): Tagged => ({ tag, bitrateKbps, quality });
const tags = (points: readonly Tagged[]): string[] => points.map((point) => point.tag);

function slopes(points: readonly RdPoint[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < points.length; i++) {
    out.push(
      (points[i]!.quality - points[i - 1]!.quality) / (points[i]!.bitrateKbps - points[i - 1]!.bitrateKbps),
    );
  }
  return out;
}

describe('paretoFront', () => {
  it('drops dominated points and sorts by bitrate', () => {
    const front = paretoFront([p('c', 3000, 90), p('a', 500, 60), p('x', 1000, 55), p('b', 1000, 75)]);
    expect(tags(front)).toEqual(['a', 'b', 'c']);
  });

  it('keeps the first of exact duplicates', () => {
    expect(tags(paretoFront([p('first', 100, 50), p('second', 100, 50)]))).toEqual(['first']);
  });
});

describe('upperConvexHull', () => {
  it('handles 0, 1 and 2 points', () => {
    expect(upperConvexHull([])).toEqual([]);
    expect(tags(upperConvexHull([p('a', 100, 50)]))).toEqual(['a']);
    expect(tags(upperConvexHull([p('b', 200, 60), p('a', 100, 50)]))).toEqual(['a', 'b']);
    // the second point is dominated (more bits, less quality)
    expect(tags(upperConvexHull([p('a', 100, 50), p('b', 200, 40)]))).toEqual(['a']);
  });

  it('drops points below the hull and keeps the original objects', () => {
    const a = p('a', 200, 40);
    const b = p('b', 400, 70);
    const under = p('under', 800, 75); // below the chord b–c: 70 + (400/1200)*20 = 76.7
    const c = p('c', 1600, 90);
    const hull = upperConvexHull([c, under, a, b]);
    expect(tags(hull)).toEqual(['a', 'b', 'c']);
    expect(hull[0]).toBe(a);
  });

  it('drops the middle of collinear points', () => {
    expect(tags(upperConvexHull([p('a', 100, 10), p('mid', 200, 20), p('b', 300, 30)]))).toEqual(['a', 'b']);
  });

  it('drops duplicates and dominated points at equal bitrate', () => {
    const hull = upperConvexHull([p('a', 100, 50), p('a2', 100, 50), p('lo', 100, 40), p('b', 300, 70)]);
    expect(tags(hull)).toEqual(['a', 'b']);
  });

  it('never keeps a dominated point: equal quality at higher bitrate', () => {
    expect(tags(upperConvexHull([p('a', 100, 50), p('b', 200, 80), p('flat', 400, 80)]))).toEqual(['a', 'b']);
  });

  it('returns a concave, strictly increasing hull on a noisy cloud of points', () => {
    // deterministic pseudo-random cloud under a concave curve
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const cloud: Tagged[] = [];
    for (let i = 0; i < 200; i++) {
      const bitrateKbps = 100 + random() * 8000;
      const quality = 100 * (1 - Math.exp(-bitrateKbps / 2000)) - random() * 15;
      cloud.push(p(String(i), bitrateKbps, quality));
    }
    const hull = upperConvexHull(cloud);
    expect(hull.length).toBeGreaterThan(2);
    for (let i = 1; i < hull.length; i++) {
      expect(hull[i]!.bitrateKbps).toBeGreaterThan(hull[i - 1]!.bitrateKbps);
      expect(hull[i]!.quality).toBeGreaterThan(hull[i - 1]!.quality);
    }
    const s = slopes(hull);
    for (let i = 1; i < s.length; i++) expect(s[i]!).toBeLessThan(s[i - 1]!);
    // every input point lies on or below the hull's piecewise-linear interpolation within its span
    for (const point of cloud) {
      const j = hull.findIndex((h) => h.bitrateKbps >= point.bitrateKbps);
      if (j <= 0) continue;
      const left = hull[j - 1]!;
      const right = hull[j]!;
      const t = (point.bitrateKbps - left.bitrateKbps) / (right.bitrateKbps - left.bitrateKbps);
      expect(point.quality).toBeLessThanOrEqual(left.quality + t * (right.quality - left.quality) + 1e-9);
    }
    // the best point overall is the hull's last one
    const best = Math.max(...cloud.map((point) => point.quality));
    expect(hull[hull.length - 1]!.quality).toBe(best);
  });

  it('rejects non-finite points', () => {
    expect(() => upperConvexHull([p('a', NaN, 1)])).toThrow(RangeError);
  });
});
