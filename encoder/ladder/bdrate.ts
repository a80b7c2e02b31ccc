import { paretoFront } from './hull.js';
import type { RdPoint } from './types.js';

/** Piecewise cubic Hermite interpolant: knots `xs` (strictly increasing), values `ys`, derivatives `ds`. */
export interface Pchip {
  xs: number[];
  ys: number[];
  ds: number[];
}

const sign = (value: number): number => (value > 0 ? 1 : value < 0 ? -1 : 0);

/** Reads index `i` of an array whose bounds the caller has checked. */
function at(values: readonly number[], i: number): number {
  const value = values[i];
  if (value === undefined) throw new RangeError(`index ${i} out of bounds`);
  return value;
}

/**
 * Shape-preserving piecewise cubic Hermite interpolation (PCHIP, Fritsch–Carlson monotonicity with the
 * Fritsch–Butland weighted harmonic mean derivatives and the three-point end conditions, exactly as SciPy's
 * `PchipInterpolator`). Monotone data gives a monotone interpolant; collinear data gives the line.
 *
 * @throws RangeError with fewer than 2 knots, mismatched lengths, non-finite values or non-increasing xs.
 */
export function pchip(xs: readonly number[], ys: readonly number[]): Pchip {
  const n = xs.length;
  if (n < 2 || ys.length !== n) throw new RangeError('pchip: need >= 2 knots and as many values');
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(at(xs, i)) || !Number.isFinite(at(ys, i)))
      throw new RangeError('pchip: non-finite knot');
    if (i > 0 && !(at(xs, i) > at(xs, i - 1))) throw new RangeError('pchip: xs must be strictly increasing');
  }
  const h: number[] = [];
  const m: number[] = [];
  for (let i = 0; i < n - 1; i++) {
    h.push(at(xs, i + 1) - at(xs, i));
    m.push((at(ys, i + 1) - at(ys, i)) / at(h, i));
  }
  const ds: number[] = new Array<number>(n).fill(0);
  if (n === 2) {
    ds[0] = at(m, 0);
    ds[1] = at(m, 0);
    return { xs: [...xs], ys: [...ys], ds };
  }
  for (let k = 1; k < n - 1; k++) {
    const mPrev = at(m, k - 1);
    const mNext = at(m, k);
    if (mPrev * mNext <= 0) continue; // local extremum or flat: zero derivative keeps the shape
    const w1 = 2 * at(h, k) + at(h, k - 1);
    const w2 = at(h, k) + 2 * at(h, k - 1);
    ds[k] = (w1 + w2) / (w1 / mPrev + w2 / mNext);
  }
  const endDerivative = (h0: number, h1: number, m0: number, m1: number): number => {
    const d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1);
    if (sign(d) !== sign(m0)) return 0;
    if (sign(m0) !== sign(m1) && Math.abs(d) > 3 * Math.abs(m0)) return 3 * m0;
    return d;
  };
  ds[0] = endDerivative(at(h, 0), at(h, 1), at(m, 0), at(m, 1));
  ds[n - 1] = endDerivative(at(h, n - 2), at(h, n - 3), at(m, n - 2), at(m, n - 3));
  return { xs: [...xs], ys: [...ys], ds };
}

/** Cubic coefficients of segment i in s = x - xs[i]: y = c0 + c1 s + c2 s² + c3 s³. */
function segmentCoefficients(p: Pchip, i: number): [number, number, number, number] {
  const x0 = at(p.xs, i);
  const hi = at(p.xs, i + 1) - x0;
  const y0 = at(p.ys, i);
  const d0 = at(p.ds, i);
  const d1 = at(p.ds, i + 1);
  const slope = (at(p.ys, i + 1) - y0) / hi;
  return [y0, d0, (3 * slope - 2 * d0 - d1) / hi, (d0 + d1 - 2 * slope) / (hi * hi)];
}

/** Index of the segment containing x (the last segment for x = the last knot), or -1 outside the range. */
function segmentIndex(p: Pchip, x: number): number {
  const n = p.xs.length;
  if (!(x >= at(p.xs, 0) && x <= at(p.xs, n - 1))) return -1;
  for (let i = 0; i < n - 2; i++) if (x < at(p.xs, i + 1)) return i;
  return n - 2;
}

/** The interpolant at x, or undefined outside [first knot, last knot] (no extrapolation). */
export function pchipEvaluate(p: Pchip, x: number): number | undefined {
  const i = segmentIndex(p, x);
  if (i < 0) return undefined;
  if (x === at(p.xs, i)) return at(p.ys, i);
  if (x === at(p.xs, i + 1)) return at(p.ys, i + 1);
  const [c0, c1, c2, c3] = segmentCoefficients(p, i);
  const s = x - at(p.xs, i);
  return c0 + s * (c1 + s * (c2 + s * c3));
}

/**
 * Exact integral of the interpolant over [from, to] (both within the knots' range, from <= to), by
 * integrating each segment's cubic analytically.
 */
export function pchipIntegrate(p: Pchip, from: number, to: number): number {
  const first = at(p.xs, 0);
  const last = at(p.xs, p.xs.length - 1);
  if (!(from >= first && to <= last && from <= to))
    throw new RangeError('pchipIntegrate: interval out of range');
  let total = 0;
  for (let i = 0; i < p.xs.length - 1; i++) {
    const a = Math.max(from, at(p.xs, i));
    const b = Math.min(to, at(p.xs, i + 1));
    if (b <= a) continue;
    const [c0, c1, c2, c3] = segmentCoefficients(p, i);
    const antiderivative = (s: number): number => s * (c0 + s * (c1 / 2 + s * (c2 / 3 + (s * c3) / 4)));
    total += antiderivative(b - at(p.xs, i)) - antiderivative(a - at(p.xs, i));
  }
  return total;
}

/** ln(rate) as a PCHIP function of quality over the curve's non-dominated points, or undefined if < 2. */
function logRateOfQuality(points: readonly RdPoint[]): Pchip | undefined {
  for (const point of points) {
    if (!(point.bitrateKbps > 0) || !Number.isFinite(point.bitrateKbps) || !Number.isFinite(point.quality)) {
      throw new RangeError(`bdRate: invalid point (${point.bitrateKbps} kbit/s, quality ${point.quality})`);
    }
  }
  // Non-dominated points are strictly increasing in both rate and quality.
  const front = paretoFront(points);
  if (front.length < 2) return undefined;
  return pchip(
    front.map((point) => point.quality),
    front.map((point) => Math.log(point.bitrateKbps)),
  );
}

/**
 * Bjøntegaard delta rate, in percent: the average bitrate difference of `test` against `anchor` at equal
 * quality (negative = test needs fewer bits). Both curves are reduced to their non-dominated points (rate
 * and quality strictly increasing), ln(rate) is interpolated as a function of quality by PCHIP (as the
 * modern BD-rate implementations do, instead of VCEG-M33's cubic polynomial fit), and the difference is
 * integrated exactly over the overlapping quality interval:
 *
 *   BD-rate = (exp(∫(ln r_test − ln r_anchor) dq / (q_hi − q_lo)) − 1) × 100
 *
 * Undefined when either curve has fewer than 2 usable points or the quality intervals do not overlap
 * (or touch only at a point).
 *
 * @throws RangeError on a non-positive or non-finite bitrate, or a non-finite quality.
 */
export function bdRate(anchor: readonly RdPoint[], test: readonly RdPoint[]): number | undefined {
  const anchorCurve = logRateOfQuality(anchor);
  const testCurve = logRateOfQuality(test);
  if (anchorCurve === undefined || testCurve === undefined) return undefined;
  const low = Math.max(at(anchorCurve.xs, 0), at(testCurve.xs, 0));
  const high = Math.min(
    at(anchorCurve.xs, anchorCurve.xs.length - 1),
    at(testCurve.xs, testCurve.xs.length - 1),
  );
  if (!(high > low)) return undefined;
  const meanLogDifference =
    (pchipIntegrate(testCurve, low, high) - pchipIntegrate(anchorCurve, low, high)) / (high - low);
  return (Math.exp(meanLogDifference) - 1) * 100;
}
