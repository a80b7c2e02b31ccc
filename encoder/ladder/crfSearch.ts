import { roundToTenth } from './curve.js';

export interface CrfSearchSettings {
  /** Quality to reach (metric units, e.g. VMAF). */
  targetQuality: number;
  /** Accept a probe within ± this many quality points of the target. */
  toleranceQuality: number;
  /** Lowest CRF allowed (best quality, most bits). */
  minCrf: number;
  /** Highest CRF allowed (worst quality, fewest bits). */
  maxCrf: number;
  /** Most probes (encodes + measurements) before giving up with the best one so far. */
  maxProbes: number;
  /** First CRF to probe (clamped to [minCrf, maxCrf]). */
  initialCrf: number;
}

export type CrfSearchStep =
  | { kind: 'probe'; crf: number }
  | {
      kind: 'done';
      crf: number;
      quality: number;
      reason: 'converged' | 'max-probes' | 'unreachable-high' | 'unreachable-low';
    };

export interface CrfProbeResult {
  crf: number;
  quality: number;
}

/**
 * Slope of quality against CRF used when only one probe exists, in quality points per CRF step. For x264 /
 * x265 and VMAF, one CRF step costs roughly 1–2 VMAF points around the 80–95 range (rate halves every ~6
 * CRF); -1.5 is the middle of that and errs towards a moderate first jump.
 */
const DEFAULT_QUALITY_PER_CRF = -1.5;

/**
 * Flattest measured slope trusted for extrapolation, in quality points per CRF step. Flatter (or positive,
 * i.e. noisy) slopes would send the next probe to the far bound; past this we use the default slope.
 */
const MIN_ABS_QUALITY_PER_CRF = 0.05;

/**
 * Illinois weight (dimensionless) applied per repeated same-side probe to the far bracket end's error. The
 * classic 1/2; tried 1/4 and bisection after two repeats on linear, convex, concave and logistic curves, both
 * needed more probes.
 */
const ILLINOIS_FACTOR = 0.5;

/**
 * Extrapolation stride across a flat stretch (measured slope flatter than MIN_ABS_QUALITY_PER_CRF), in
 * CRF steps: 10 steps change the rate about 3x (x264 halves the rate about every 6 CRF), far enough to
 * cross the plateau of easy content in one probe without jumping to the far bound.
 */
const MAX_EXTRAPOLATION_CRF = 10;

/** CRF granularity of the search: one decimal. */
const CRF_STEP = 0.1;

function validate(settings: CrfSearchSettings): void {
  const { targetQuality, toleranceQuality, minCrf, maxCrf, maxProbes, initialCrf } = settings;
  for (const [name, value] of Object.entries({
    targetQuality,
    toleranceQuality,
    minCrf,
    maxCrf,
    initialCrf,
  })) {
    if (!Number.isFinite(value)) throw new RangeError(`nextCrfStep: ${name} must be finite`);
  }
  if (toleranceQuality < 0) throw new RangeError('nextCrfStep: toleranceQuality must be >= 0');
  if (roundToTenth(minCrf) > roundToTenth(maxCrf))
    throw new RangeError('nextCrfStep: minCrf must be <= maxCrf');
  if (!Number.isInteger(maxProbes) || maxProbes < 1) {
    throw new RangeError('nextCrfStep: maxProbes must be an integer >= 1');
  }
}

function done(
  probe: CrfProbeResult,
  reason: 'converged' | 'max-probes' | 'unreachable-high' | 'unreachable-low',
): CrfSearchStep {
  return { kind: 'done', crf: probe.crf, quality: probe.quality, reason };
}

/** The final pick without convergence: the probe closest to the target among those >= target, else the closest. */
function bestEffort(probes: readonly CrfProbeResult[], targetQuality: number): CrfProbeResult {
  let best: CrfProbeResult | undefined;
  const reaching = probes.filter((probe) => probe.quality >= targetQuality);
  for (const probe of reaching.length > 0 ? reaching : probes) {
    const distance = Math.abs(probe.quality - targetQuality);
    const bestDistance = best === undefined ? Infinity : Math.abs(best.quality - targetQuality);
    if (
      best === undefined ||
      distance < bestDistance ||
      (distance === bestDistance && probe.crf > best.crf)
    ) {
      best = probe;
    }
  }
  if (best === undefined) throw new RangeError('bestEffort: no probes');
  return best;
}

/**
 * One step of the interpolated CRF search for a target quality (quality falls as CRF rises). The caller
 * encodes and measures at `probe` steps, appends `{ crf, quality }` and asks again, until `done`.
 *
 * 1. No probes: probe initialCrf (clamped, one decimal).
 * 2. A probe within ±tolerance of the target: done 'converged' with the highest such CRF.
 * 3. The probe at minCrf is still below target − tolerance: done 'unreachable-high' (crf = minCrf); the probe
 *    at maxCrf still above target + tolerance: done 'unreachable-low' (crf = maxCrf).
 * 4. maxProbes probes made: done 'max-probes' with the probe closest to the target among those >= target,
 *    else the closest.
 * 5. Bracketed (a probe above and one below the target): regula falsi between the tightest bracket (the
 *    highest CRF above target, the lowest CRF below) with the Illinois weighting against stalling, rounded
 *    to 0.1; if that lands on an endpoint, bisect. If no CRF at 0.1 granularity is strictly inside the
 *    bracket, done 'converged' with the bracket's above-target end (the best achievable at this
 *    granularity). If measurements are not monotone (the above-target CRF is higher than the below-target
 *    one), probe their midpoint to settle it; with nothing left between them, done 'converged' with the
 *    max-probes pick.
 * 6. Not bracketed: extrapolate from the two probes nearest the target side with their slope (the default
 *    {@link DEFAULT_QUALITY_PER_CRF} with one probe; a stride of {@link MAX_EXTRAPOLATION_CRF} toward the
 *    target when the measured slope is flat or positive), clamp to [minCrf, maxCrf],
 *    and step past the already probed side if rounding lands on it.
 *
 * Never returns a CRF already probed (compared at one decimal).
 *
 * @param probes The probes made so far, in the order they were made (any order works, but the Illinois
 *   weighting of step 5 reads the latest probes from the end).
 * @throws RangeError on invalid settings or non-finite probe values.
 */
export function nextCrfStep(settings: CrfSearchSettings, probes: readonly CrfProbeResult[]): CrfSearchStep {
  validate(settings);
  const { targetQuality, toleranceQuality, maxProbes } = settings;
  const minCrf = roundToTenth(settings.minCrf);
  const maxCrf = roundToTenth(settings.maxCrf);
  const clamp = (crf: number): number => Math.min(maxCrf, Math.max(minCrf, roundToTenth(crf)));
  for (const probe of probes) {
    if (!Number.isFinite(probe.crf) || !Number.isFinite(probe.quality)) {
      throw new RangeError(`nextCrfStep: non-finite probe (crf ${probe.crf}, quality ${probe.quality})`);
    }
  }
  const probed = new Set(probes.map((probe) => roundToTenth(probe.crf)));
  const isProbed = (crf: number): boolean => probed.has(roundToTenth(crf));

  // 1. First probe.
  if (probes.length === 0) return { kind: 'probe', crf: clamp(settings.initialCrf) };

  // 2. Converged.
  let converged: CrfProbeResult | undefined;
  for (const probe of probes) {
    if (
      Math.abs(probe.quality - targetQuality) <= toleranceQuality &&
      (!converged || probe.crf > converged.crf)
    ) {
      converged = probe;
    }
  }
  if (converged !== undefined) return done(converged, 'converged');

  // Every probe is now strictly above or strictly below the tolerance band.
  const above = probes.filter((probe) => probe.quality > targetQuality); // needs a higher CRF
  const below = probes.filter((probe) => probe.quality < targetQuality); // needs a lower CRF

  // 3. Unreachable: the bound itself was probed and is still on the wrong side.
  const atMin = below.find((probe) => roundToTenth(probe.crf) <= minCrf);
  if (atMin !== undefined) return done(atMin, 'unreachable-high');
  const atMax = above.find((probe) => roundToTenth(probe.crf) >= maxCrf);
  if (atMax !== undefined) return done(atMax, 'unreachable-low');

  // 4. Out of probes.
  if (probes.length >= maxProbes) return done(bestEffort(probes, targetQuality), 'max-probes');

  const highestAbove = above.reduce<CrfProbeResult | undefined>(
    (a, b) => (a && a.crf >= b.crf ? a : b),
    undefined,
  );
  const lowestBelow = below.reduce<CrfProbeResult | undefined>(
    (a, b) => (a && a.crf <= b.crf ? a : b),
    undefined,
  );

  // 5. Bracketed.
  if (highestAbove !== undefined && lowestBelow !== undefined) {
    const lowCrf = Math.min(highestAbove.crf, lowestBelow.crf);
    const highCrf = Math.max(highestAbove.crf, lowestBelow.crf);
    const strictlyInside = (crf: number): boolean => crf > lowCrf && crf < highCrf && !isProbed(crf);
    if (highestAbove.crf < lowestBelow.crf) {
      // Illinois modification of regula falsi: when the latest probes keep landing on the same side, the
      // other end's error is halved per repeat, so the far end cannot stall the search (plain regula falsi
      // converges one-sidedly and slowly on convex or concave curves).
      const latest = probes[probes.length - 1];
      const latestAbove = latest !== undefined && latest.quality > targetQuality;
      let repeats = 0;
      for (let i = probes.length - 2; i >= 0; i--) {
        const probe = probes[i];
        if (probe === undefined || probe.quality > targetQuality !== latestAbove) break;
        repeats++;
      }
      const aboveWeight = latestAbove ? 1 : Math.pow(ILLINOIS_FACTOR, repeats);
      const belowWeight = latestAbove ? Math.pow(ILLINOIS_FACTOR, repeats) : 1;
      const aboveError = (highestAbove.quality - targetQuality) * aboveWeight;
      const belowError = (targetQuality - lowestBelow.quality) * belowWeight;
      const t = aboveError / (aboveError + belowError);
      const secant = roundToTenth(highestAbove.crf + t * (lowestBelow.crf - highestAbove.crf));
      if (strictlyInside(secant)) return { kind: 'probe', crf: secant };
    }
    const midpoint = roundToTenth((lowCrf + highCrf) / 2);
    if (strictlyInside(midpoint)) return { kind: 'probe', crf: midpoint };
    // No unprobed CRF strictly inside at one-decimal granularity (e.g. 23.0 and 23.1 bracket the target).
    return done(
      highestAbove.crf < lowestBelow.crf ? highestAbove : bestEffort(probes, targetQuality),
      'converged',
    );
  }

  // 6. One-sided: extrapolate towards the target from the probes nearest to it in CRF.
  const side = above.length > 0 ? above : below;
  const ordered = [...side].sort((a, b) => (above.length > 0 ? b.crf - a.crf : a.crf - b.crf));
  const nearest = ordered[0];
  // Unreachable: probes is non-empty and no probe is within tolerance, so `side` is non-empty.
  if (nearest === undefined) return done(bestEffort(probes, targetQuality), 'max-probes');
  const second = ordered[1];
  let stepCrf = (targetQuality - nearest.quality) / DEFAULT_QUALITY_PER_CRF;
  if (second !== undefined && second.crf !== nearest.crf) {
    const measured = (nearest.quality - second.quality) / (nearest.crf - second.crf);
    // A flat stretch (easy content far above the target) calls for a long stride, not a default step.
    stepCrf =
      measured <= -MIN_ABS_QUALITY_PER_CRF
        ? (targetQuality - nearest.quality) / measured
        : Math.sign(targetQuality - nearest.quality) * -MAX_EXTRAPOLATION_CRF;
  }
  let crf = clamp(nearest.crf + stepCrf);
  // Move away from the probed side in 0.1 steps until the CRF is new (the bound is unprobed, by step 3).
  const direction = above.length > 0 ? CRF_STEP : -CRF_STEP;
  while (isProbed(crf) || (direction > 0 ? crf <= nearest.crf : crf >= nearest.crf)) {
    crf = clamp(crf + direction);
    if (crf === (direction > 0 ? maxCrf : minCrf)) break;
  }
  return { kind: 'probe', crf };
}
