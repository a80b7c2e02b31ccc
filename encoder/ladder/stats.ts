import type { QualityStats } from './types.js';

/** 5th percentile: the "bad moments" score reported alongside the mean (percent, 0..100). */
const P5_PERCENT = 5;

/**
 * Percentile of an ascending-sorted array by linear interpolation between the closest ranks
 * (numpy's default `method='linear'`): rank h = (n - 1) * p / 100, value = x[floor(h)] + frac(h) * step.
 */
function percentileSorted(sorted: readonly number[], percent: number): number {
  const rank = ((sorted.length - 1) * percent) / 100;
  const lowerIndex = Math.floor(rank);
  const lower = sorted[lowerIndex];
  if (lower === undefined) throw new RangeError('percentile of an empty array');
  const upper = sorted[lowerIndex + 1];
  if (upper === undefined) return lower;
  return lower + (rank - lowerIndex) * (upper - lower);
}

/**
 * Pools per-frame quality scores of one encode into per-title statistics.
 *
 * - `mean`: arithmetic mean.
 * - `harmonicMean`: as VMAF pools it, `n / sum(1 / (s + 1)) - 1`; the +1 shift tolerates frames scoring 0.
 * - `p5`: 5th percentile, linear interpolation between closest ranks (numpy default).
 * - `min`, `frames` (= count).
 *
 * The caller must pass finite numbers greater than -1 (VMAF 0..100, SSIM 0..1, PSNR in dB). In particular
 * PSNR reports `inf` for identical frames: the caller must clamp those (e.g. to the metric's peak value,
 * as FFmpeg's `psnr` filter users commonly do with 100 dB) before calling. Non-finite or <= -1 scores
 * throw a `RangeError` rather than silently poisoning the averages.
 *
 * @throws RangeError on an empty array or an invalid score.
 */
export function summarizeScores(scores: readonly number[]): QualityStats {
  const frames = scores.length;
  if (frames === 0) throw new RangeError('summarizeScores: no scores');
  let sum = 0;
  let reciprocalSum = 0;
  let min = Infinity;
  for (const score of scores) {
    if (!Number.isFinite(score) || score <= -1) {
      throw new RangeError(`summarizeScores: invalid score ${score} (must be finite and > -1)`);
    }
    sum += score;
    reciprocalSum += 1 / (score + 1);
    if (score < min) min = score;
  }
  const sorted = [...scores].sort((a, b) => a - b);
  return {
    mean: sum / frames,
    harmonicMean: frames / reciprocalSum - 1,
    p5: percentileSorted(sorted, P5_PERCENT),
    min,
    frames,
  };
}
