import { paretoFront } from './hull.js';
import type { Probe, Resolution } from './types.js';

/** Rate-quality curve of one resolution: probes with bitrate and quality both strictly increasing. */
export interface RdCurve {
  resolution: Resolution;
  points: Probe[];
}

/** CRFs are planned with one decimal (x264/x265 accept fractional CRF; finer steps change nothing visible). */
export function roundToTenth(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * Builds the rate-quality curve of one resolution from its probes: sorted by ascending bitrate, keeping only
 * points whose quality strictly increases with bitrate (a probe with a higher bitrate but not a higher
 * quality than a kept one is measurement noise or a wasted rate, and is dropped).
 *
 * @throws RangeError on no probes, probes of different resolutions, or a non-positive/non-finite bitrate.
 */
export function buildCurve(probes: readonly Probe[]): RdCurve {
  const first = probes[0];
  if (first === undefined) throw new RangeError('buildCurve: no probes');
  const { width, height } = first.resolution;
  for (const probe of probes) {
    if (probe.resolution.width !== width || probe.resolution.height !== height) {
      throw new RangeError(
        `buildCurve: mixed resolutions ${width}x${height} and ${probe.resolution.width}x${probe.resolution.height}`,
      );
    }
    if (!(probe.bitrateKbps > 0)) {
      throw new RangeError(`buildCurve: bitrate must be > 0 kbit/s, got ${probe.bitrateKbps}`);
    }
  }
  return { resolution: { width, height }, points: paretoFront(probes) };
}

/** Lowest and highest quality the curve covers, or undefined for an empty curve. */
export function qualityRange(curve: RdCurve): { min: number; max: number } | undefined {
  const first = curve.points[0];
  const last = curve.points[curve.points.length - 1];
  if (first === undefined || last === undefined) return undefined;
  return { min: first.quality, max: last.quality };
}

/** Lowest and highest bitrate the curve covers, in kbit/s, or undefined for an empty curve. */
export function bitrateRangeKbps(curve: RdCurve): { min: number; max: number } | undefined {
  const first = curve.points[0];
  const last = curve.points[curve.points.length - 1];
  if (first === undefined || last === undefined) return undefined;
  return { min: first.bitrateKbps, max: last.bitrateKbps };
}

/**
 * The segment [left, right] of `points` containing `value` of `key` (ascending), with the fraction `t` of
 * the way from left to right computed by `fraction`. Exact point hits return left === right, t = 0.
 */
function findSegment(
  points: readonly Probe[],
  key: 'quality' | 'bitrateKbps',
  value: number,
  fraction: (value: number, left: number, right: number) => number,
): { left: Probe; right: Probe; t: number } | undefined {
  for (let i = 0; i < points.length; i++) {
    const left = points[i];
    if (left === undefined) break;
    if (left[key] === value) return { left, right: left, t: 0 };
    const right = points[i + 1];
    if (right !== undefined && left[key] < value && value < right[key]) {
      return { left, right, t: fraction(value, left[key], right[key]) };
    }
  }
  return undefined;
}

const linearFraction = (value: number, left: number, right: number): number =>
  (value - left) / (right - left);
const logFraction = (value: number, left: number, right: number): number =>
  Math.log(value / left) / Math.log(right / left);

/**
 * Bitrate (kbit/s) the curve needs for `quality`: linear interpolation in (quality, ln bitrate) between the
 * neighbouring points, exact at points. Undefined outside the curve's quality range (no extrapolation).
 */
export function bitrateAtQuality(curve: RdCurve, quality: number): number | undefined {
  const segment = findSegment(curve.points, 'quality', quality, linearFraction);
  if (segment === undefined) return undefined;
  const { left, right, t } = segment;
  if (left === right) return left.bitrateKbps;
  const bitrateKbps = Math.exp(
    Math.log(left.bitrateKbps) + t * Math.log(right.bitrateKbps / left.bitrateKbps),
  );
  // Keep float rounding from stepping outside the segment (callers feed the result back into the curve).
  return Math.min(Math.max(bitrateKbps, left.bitrateKbps), right.bitrateKbps);
}

/**
 * Quality the curve reaches at `bitrateKbps`: the inverse of {@link bitrateAtQuality} (linear in
 * (quality, ln bitrate)), exact at points. Undefined outside the curve's bitrate range.
 */
export function qualityAtBitrate(curve: RdCurve, bitrateKbps: number): number | undefined {
  if (!(bitrateKbps > 0)) return undefined;
  const segment = findSegment(curve.points, 'bitrateKbps', bitrateKbps, logFraction);
  if (segment === undefined) return undefined;
  const { left, right, t } = segment;
  if (left === right) return left.quality;
  const quality = left.quality + t * (right.quality - left.quality);
  // Keep float rounding from stepping outside the segment (callers feed the result back into the curve).
  return Math.min(Math.max(quality, left.quality), right.quality);
}

/**
 * CRF that reaches `quality` on this curve: linear in quality between the neighbouring points, rounded to
 * one decimal. Undefined outside the curve's quality range.
 */
export function crfAtQuality(curve: RdCurve, quality: number): number | undefined {
  const segment = findSegment(curve.points, 'quality', quality, linearFraction);
  if (segment === undefined) return undefined;
  const { left, right, t } = segment;
  return roundToTenth(left.crf + t * (right.crf - left.crf));
}
