import { bitrateAtQuality, crfAtQuality, qualityAtBitrate, qualityRange, roundToTenth } from './curve.js';
import type { RdCurve } from './curve.js';
import type { PlannedRung, Resolution } from './types.js';

export interface RungSelectionOptions {
  /** Quality of the top rung (metric units; VMAF default 95). */
  targetQuality: number;
  /** Quality of the bottom rung (metric units; VMAF default 45). */
  floorQuality: number;
  /** The bottom rung never goes below this rate, in kbit/s (default 200). */
  floorBitrateKbps: number;
  /** Optional cap on the top rung's rate, in kbit/s. */
  maxBitrateKbps?: number;
  /** Minimum quality gap between adjacent rungs, about one JND (metric units; VMAF default 6). */
  qualityStep: number;
  /** Adjacent rungs at least this ratio apart in bitrate (dimensionless, >= 1; default 1.5). */
  minBitrateRatio: number;
  /** Most rungs in the ladder (count, >= 1; default 10). */
  maxRungs: number;
}

/** Defaults for VMAF (0..100 scale). */
export const DEFAULT_RUNG_SELECTION: Readonly<RungSelectionOptions> = {
  // VMAF 95: past ~93–95 viewers on a TV at 3H cannot tell the encode from the source; more bits are waste.
  targetQuality: 95,
  // VMAF 45: below this the picture is visibly poor; a lower rung is better served by a lower resolution ladder.
  floorQuality: 45,
  // 200 kbit/s: the lowest rung must still start playback on poor mobile links; below this, audio dominates.
  floorBitrateKbps: 200,
  // 6 VMAF points ≈ one just-noticeable difference: closer rungs look the same and only cost storage.
  qualityStep: 6,
  // ×1.5 in rate: ABR players need distinct bandwidth steps to switch on; closer rungs make them oscillate.
  minBitrateRatio: 1.5,
  // 10 rungs: more than players usually consider and than CDN cache efficiency tolerates.
  maxRungs: 10,
};

function pixels(resolution: Resolution): number {
  return resolution.width * resolution.height;
}

/** Planned rung on `curve` at a quality the curve covers, with its (interpolated) rate. */
function rungOn(curve: RdCurve, quality: number, bitrateKbps: number): PlannedRung | undefined {
  const crf = crfAtQuality(curve, quality);
  if (crf === undefined) return undefined;
  return {
    resolution: { ...curve.resolution },
    crf,
    predictedBitrateKbps: bitrateKbps,
    predictedQuality: quality,
  };
}

/**
 * Across resolutions, the one whose curve reaches `quality` at the lowest bitrate (ties: larger resolution).
 * Undefined when no curve covers that quality.
 */
export function bestAtQuality(curves: readonly RdCurve[], quality: number): PlannedRung | undefined {
  let best: PlannedRung | undefined;
  for (const curve of curves) {
    const bitrateKbps = bitrateAtQuality(curve, quality);
    if (bitrateKbps === undefined) continue;
    if (
      best === undefined ||
      bitrateKbps < best.predictedBitrateKbps ||
      (bitrateKbps === best.predictedBitrateKbps && pixels(curve.resolution) > pixels(best.resolution))
    ) {
      best = rungOn(curve, quality, bitrateKbps) ?? best;
    }
  }
  return best;
}

/**
 * Across resolutions, the one reaching the highest quality at `bitrateKbps` (ties: larger resolution).
 * Undefined when no curve covers that rate.
 */
export function bestAtBitrate(curves: readonly RdCurve[], bitrateKbps: number): PlannedRung | undefined {
  let best: PlannedRung | undefined;
  for (const curve of curves) {
    const quality = qualityAtBitrate(curve, bitrateKbps);
    if (quality === undefined) continue;
    if (
      best === undefined ||
      quality > best.predictedQuality ||
      (quality === best.predictedQuality && pixels(curve.resolution) > pixels(best.resolution))
    ) {
      best = rungOn(curve, quality, bitrateKbps) ?? best;
    }
  }
  return best;
}

/** The rung from a measured point of `curve` (exact rate, quality and CRF of that probe). */
function rungAtPoint(curve: RdCurve, index: number): PlannedRung | undefined {
  const point = curve.points[index];
  if (point === undefined) return undefined;
  return {
    resolution: { ...curve.resolution },
    crf: roundToTenth(point.crf),
    predictedBitrateKbps: point.bitrateKbps,
    predictedQuality: point.quality,
  };
}

/** Is `a` a better pick than `b` when maximizing quality (ties: lower rate, then larger resolution)? */
function higherQuality(a: PlannedRung, b: PlannedRung | undefined): boolean {
  if (b === undefined) return true;
  if (a.predictedQuality !== b.predictedQuality) return a.predictedQuality > b.predictedQuality;
  if (a.predictedBitrateKbps !== b.predictedBitrateKbps)
    return a.predictedBitrateKbps < b.predictedBitrateKbps;
  return pixels(a.resolution) > pixels(b.resolution);
}

/**
 * The highest quality reachable at a rate <= `capKbps`: bestAtBitrate(cap) when a curve covers the cap, also
 * compared with the top measured point of every curve that ends below the cap (a rate gap between curves).
 */
function bestAtOrBelowBitrate(curves: readonly RdCurve[], capKbps: number): PlannedRung | undefined {
  let best = bestAtBitrate(curves, capKbps);
  for (const curve of curves) {
    let index = -1;
    curve.points.forEach((point, i) => {
      if (point.bitrateKbps <= capKbps) index = i;
    });
    const candidate = rungAtPoint(curve, index);
    if (candidate !== undefined && higherQuality(candidate, best)) best = candidate;
  }
  return best;
}

/** bestAtBitrate(floor) when covered, else the cheapest measured point above the floor. */
function bestAtOrAboveBitrate(curves: readonly RdCurve[], floorKbps: number): PlannedRung | undefined {
  const covered = bestAtBitrate(curves, floorKbps);
  if (covered !== undefined) return covered;
  let best: PlannedRung | undefined;
  for (const curve of curves) {
    const index = curve.points.findIndex((point) => point.bitrateKbps >= floorKbps);
    const candidate = rungAtPoint(curve, index);
    if (candidate === undefined) continue;
    if (
      best === undefined ||
      candidate.predictedBitrateKbps < best.predictedBitrateKbps ||
      (candidate.predictedBitrateKbps === best.predictedBitrateKbps && higherQuality(candidate, best))
    ) {
      best = candidate;
    }
  }
  return best;
}

/** bestAtQuality(q), or when q falls in a gap between curves' ranges, at the highest covered quality below q. */
function bestAtOrBelowQuality(curves: readonly RdCurve[], quality: number): PlannedRung | undefined {
  const covered = bestAtQuality(curves, quality);
  if (covered !== undefined) return covered;
  let below: number | undefined;
  for (const curve of curves) {
    const range = qualityRange(curve);
    if (range !== undefined && range.max < quality && (below === undefined || range.max > below))
      below = range.max;
  }
  return below === undefined ? undefined : bestAtQuality(curves, below);
}

/** bestAtQuality(q), or when q falls in a gap between curves' ranges, at the lowest covered quality above q. */
function bestAtOrAboveQuality(curves: readonly RdCurve[], quality: number): PlannedRung | undefined {
  const covered = bestAtQuality(curves, quality);
  if (covered !== undefined) return covered;
  let above: number | undefined;
  for (const curve of curves) {
    const range = qualityRange(curve);
    if (range !== undefined && range.min > quality && (above === undefined || range.min < above))
      above = range.min;
  }
  return above === undefined ? undefined : bestAtQuality(curves, above);
}

function validateOptions(options: RungSelectionOptions): void {
  const finite: (keyof RungSelectionOptions)[] = [
    'targetQuality',
    'floorQuality',
    'floorBitrateKbps',
    'qualityStep',
    'minBitrateRatio',
  ];
  for (const key of finite) {
    if (!Number.isFinite(options[key])) throw new RangeError(`selectRungs: ${key} must be finite`);
  }
  if (options.floorQuality > options.targetQuality) {
    throw new RangeError('selectRungs: floorQuality must be <= targetQuality');
  }
  if (!(options.qualityStep > 0)) throw new RangeError('selectRungs: qualityStep must be > 0');
  if (!(options.minBitrateRatio >= 1)) throw new RangeError('selectRungs: minBitrateRatio must be >= 1');
  if (!Number.isInteger(options.maxRungs) || options.maxRungs < 1) {
    throw new RangeError('selectRungs: maxRungs must be an integer >= 1');
  }
  if (options.maxBitrateKbps !== undefined && !(options.maxBitrateKbps > 0)) {
    throw new RangeError('selectRungs: maxBitrateKbps must be > 0');
  }
}

/** Keeps `count` rungs of an ascending ladder, the first and the last included, spread evenly by index. */
function thinEvenly(ladder: readonly PlannedRung[], count: number): PlannedRung[] {
  if (ladder.length <= count) return [...ladder];
  if (count === 1) return ladder.slice(-1); // the top rung
  const kept: PlannedRung[] = [];
  // Index spacing (n-1)/(count-1) >= 1, so the rounded indices are strictly increasing (no duplicates).
  for (let i = 0; i < count; i++) {
    const rung = ladder[Math.round((i * (ladder.length - 1)) / (count - 1))];
    if (rung !== undefined) kept.push(rung);
  }
  return kept;
}

/**
 * Chooses the ladder's rungs from per-resolution rate-quality curves.
 *
 * Algorithm:
 * 1. Achievable quality = union of the curves' quality ranges. Top quality = min(targetQuality, max
 *    achievable); top rung = bestAtQuality of it (if it falls in a gap between curves, the highest covered
 *    quality below; if the target is below every curve, the lowest covered quality). If maxBitrateKbps is
 *    set and the top rung's rate exceeds it, the top becomes bestAtBitrate(cap), or, when no curve covers
 *    the cap, the highest-quality measured point with rate <= cap. If nothing fits under the cap, the
 *    ladder is empty.
 * 2. Bottom quality = max(floorQuality, min achievable); bottom rung = bestAtQuality of it. If its rate is
 *    below floorBitrateKbps, the bottom moves up to bestAtBitrate(floorBitrateKbps) (or, when no curve
 *    covers that rate, the cheapest measured point above it). If the bottom is not at least
 *    minBitrateRatio below the top in rate (or not below it in quality), the ladder is just the top rung.
 * 3. Walk down from the top: next quality = previous quality − qualityStep and next rate =
 *    min(rate at that quality, previous rate / minBitrateRatio); when the rate bound binds the rung is
 *    bestAtBitrate(previous rate / minBitrateRatio). So adjacent rungs are at least one step apart in
 *    quality AND minBitrateRatio apart in rate. The walk stops when the next rung would be within
 *    minBitrateRatio of the bottom rung's rate (or below it); then the bottom rung is appended. The gap
 *    between the last walked rung and the bottom can be smaller than qualityStep in quality (never in rate).
 * 4. maxRungs: the walk runs to completion and, if the ladder is too long, rungs are dropped from the
 *    middle evenly by index, keeping the top and the bottom (stopping the walk early would leave one big
 *    hole at the bottom instead). Dropping rungs only widens the gaps.
 *
 * Every rung sits at the resolution that is best (lowest rate for its quality, i.e. on the upper envelope
 * of the curves) at its rate. Output: ascending bitrate, strictly increasing in bitrate and quality.
 *
 * @throws RangeError on invalid options.
 */
export function selectRungs(curves: readonly RdCurve[], options: RungSelectionOptions): PlannedRung[] {
  validateOptions(options);
  const { targetQuality, floorQuality, floorBitrateKbps, maxBitrateKbps, qualityStep, minBitrateRatio } =
    options;
  const usable = curves.filter((curve) => curve.points.length > 0);
  let minAchievable = Infinity;
  let maxAchievable = -Infinity;
  for (const curve of usable) {
    const range = qualityRange(curve);
    if (range === undefined) continue;
    minAchievable = Math.min(minAchievable, range.min);
    maxAchievable = Math.max(maxAchievable, range.max);
  }
  if (usable.length === 0) return [];

  // 1. Top.
  const topQuality = Math.min(targetQuality, maxAchievable);
  let top = bestAtOrBelowQuality(usable, topQuality) ?? bestAtOrAboveQuality(usable, topQuality);
  if (top === undefined) return [];
  if (maxBitrateKbps !== undefined && top.predictedBitrateKbps > maxBitrateKbps) {
    top = bestAtOrBelowBitrate(usable, maxBitrateKbps);
    if (top === undefined) return [];
  }

  // A rung found by quality sits on the curves that reach that quality; a smaller size whose curve does
  // not reach down so far can still give more quality at the same rate. The hull decides at each rate.
  const onHull = (rung: PlannedRung | undefined): PlannedRung | undefined => {
    if (rung === undefined) return undefined;
    const atRate = bestAtBitrate(usable, rung.predictedBitrateKbps);
    return atRate !== undefined && atRate.predictedQuality > rung.predictedQuality ? atRate : rung;
  };

  // 2. Bottom.
  let bottom = onHull(bestAtOrAboveQuality(usable, Math.max(floorQuality, minAchievable)));
  if (bottom !== undefined && bottom.predictedBitrateKbps < floorBitrateKbps) {
    bottom = bestAtOrAboveBitrate(usable, floorBitrateKbps);
  }
  if (
    bottom === undefined ||
    bottom.predictedBitrateKbps * minBitrateRatio > top.predictedBitrateKbps ||
    bottom.predictedQuality >= top.predictedQuality
  ) {
    return [top];
  }

  // 3. Walk down from the top.
  const descending: PlannedRung[] = [top];
  let previous = top;
  for (;;) {
    const rateLimitKbps = previous.predictedBitrateKbps / minBitrateRatio;
    const byQuality = bestAtOrBelowQuality(usable, previous.predictedQuality - qualityStep);
    const next = onHull(
      byQuality !== undefined && byQuality.predictedBitrateKbps <= rateLimitKbps
        ? byQuality
        : bestAtOrBelowBitrate(usable, rateLimitKbps),
    );
    if (next === undefined) break;
    if (next.predictedBitrateKbps < bottom.predictedBitrateKbps * minBitrateRatio) break;
    if (next.predictedQuality <= bottom.predictedQuality) break;
    // Guards termination on inconsistent curves: every step must go strictly down in rate and quality.
    if (next.predictedBitrateKbps >= previous.predictedBitrateKbps) break;
    if (next.predictedQuality >= previous.predictedQuality) break;
    descending.push(next);
    previous = next;
  }
  descending.push(bottom); // below `previous` in rate (by >= minBitrateRatio) and quality, by the checks above

  // 4. Ascending, capped in count.
  return thinEvenly(descending.reverse(), options.maxRungs);
}
