import { describe, it, expect } from 'vitest';
import { summarizeScores } from './stats.js';

describe('summarizeScores', () => {
  it('pools a known set of scores (values checked against numpy)', () => {
    // numpy: mean 70, percentile(…, 5) = 25.0, VMAF harmonic mean 8.70295329017263
    const stats = summarizeScores([90, 80, 0, 100, 70, 60, 50, 95, 85, 75, 65]);
    expect(stats.mean).toBeCloseTo(70, 12);
    expect(stats.p5).toBeCloseTo(25, 12);
    expect(stats.harmonicMean).toBeCloseTo(8.70295329017263, 10);
    expect(stats.min).toBe(0);
    expect(stats.frames).toBe(11);
  });

  it('interpolates the 5th percentile between closest ranks like numpy', () => {
    const scores = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted order on purpose
    // numpy.percentile(arange(1, 101), 5) = 5.95
    expect(summarizeScores(scores).p5).toBeCloseTo(5.95, 12);
  });

  it('tolerates zero scores in the harmonic mean', () => {
    const stats = summarizeScores([0, 0]);
    expect(stats.harmonicMean).toBe(0);
    // one frame at 0 pulls the harmonic mean far below the arithmetic mean: 2 / (1 + 1/101) - 1
    expect(summarizeScores([0, 100]).harmonicMean).toBeCloseTo(2 / (1 + 1 / 101) - 1, 12);
  });

  it('handles a single frame', () => {
    expect(summarizeScores([42.5])).toEqual({
      mean: 42.5,
      harmonicMean: 42.5,
      p5: 42.5,
      min: 42.5,
      frames: 1,
    });
  });

  it('throws RangeError on empty input', () => {
    expect(() => summarizeScores([])).toThrow(RangeError);
  });

  it('rejects non-finite scores (caller must clamp PSNR inf)', () => {
    expect(() => summarizeScores([40, Infinity])).toThrow(RangeError);
    expect(() => summarizeScores([NaN])).toThrow(RangeError);
    expect(() => summarizeScores([-1])).toThrow(RangeError);
  });

  it('does not mutate its input', () => {
    const scores = [3, 1, 2];
    summarizeScores(scores);
    expect(scores).toEqual([3, 1, 2]);
  });
});
