import { describe, it, expect } from 'vitest';
import { nextCrfStep } from './crfSearch.js';
import type { CrfProbeResult, CrfSearchSettings, CrfSearchStep } from './crfSearch.js';

const BASE: CrfSearchSettings = {
  targetQuality: 93,
  toleranceQuality: 0.5,
  minCrf: 10,
  maxCrf: 51,
  maxProbes: 10,
  initialCrf: 23,
};

/** Runs the search against a closed-form quality(crf), as the caller would with real encodes. */
function drive(
  settings: CrfSearchSettings,
  qualityOf: (crf: number) => number,
): { result: Extract<CrfSearchStep, { kind: 'done' }>; probes: CrfProbeResult[] } {
  const probes: CrfProbeResult[] = [];
  for (let guard = 0; guard < 100; guard++) {
    const step = nextCrfStep(settings, probes);
    if (step.kind === 'done') return { result: step, probes };
    probes.push({ crf: step.crf, quality: qualityOf(step.crf) });
  }
  throw new Error('search did not terminate');
}

const SHAPES: Record<string, (crf: number) => number> = {
  linear: (crf) => 130 - 1.5 * crf,
  // quality falls faster and faster with CRF
  concave: (crf) => 100 - 0.004 * Math.pow(crf, 2.5),
  // quality falls slower and slower with CRF
  convex: (crf) => 40 + 60 * Math.exp(-(crf - 10) / 20),
  logistic: (crf) => 100 / (1 + Math.exp((crf - 35) / 5)),
};

describe('nextCrfStep', () => {
  it('starts at the initial CRF, clamped and rounded to one decimal', () => {
    expect(nextCrfStep(BASE, [])).toEqual({ kind: 'probe', crf: 23 });
    expect(nextCrfStep({ ...BASE, initialCrf: 60 }, [])).toEqual({ kind: 'probe', crf: 51 });
    expect(nextCrfStep({ ...BASE, initialCrf: 22.46 }, [])).toEqual({ kind: 'probe', crf: 22.5 });
  });

  for (const [name, qualityOf] of Object.entries(SHAPES)) {
    it(`converges within tolerance in <= 5 probes on a ${name} curve`, () => {
      for (const targetQuality of [80, 88, 93, 95]) {
        for (const initialCrf of [18, 23, 28]) {
          for (const toleranceQuality of [0.5, 1]) {
            const settings = { ...BASE, targetQuality, initialCrf, toleranceQuality };
            const { result, probes } = drive(settings, qualityOf);
            const context = `${name} target ${targetQuality} from ${initialCrf} ±${toleranceQuality}`;
            expect(result.reason, context).toBe('converged');
            expect(Math.abs(result.quality - targetQuality), context).toBeLessThanOrEqual(toleranceQuality);
            expect(probes.length, context).toBeLessThanOrEqual(5);
            const crfs = probes.map((probe) => probe.crf);
            expect(new Set(crfs).size, context).toBe(crfs.length);
            for (const crf of crfs) {
              expect(crf).toBeGreaterThanOrEqual(settings.minCrf);
              expect(crf).toBeLessThanOrEqual(settings.maxCrf);
              expect(Math.round(crf * 10) / 10).toBe(crf);
            }
            expect(crfs).toContain(result.crf);
          }
        }
      }
    });
  }

  it('recovers from a far-off initial CRF in <= 8 probes (regula falsi without Illinois needs up to 16)', () => {
    for (const [name, qualityOf] of Object.entries(SHAPES)) {
      for (const targetQuality of [80, 85, 90, 93, 95]) {
        for (const initialCrf of [10, 40, 45]) {
          for (const toleranceQuality of [0.25, 0.5]) {
            const settings = { ...BASE, targetQuality, initialCrf, toleranceQuality, maxProbes: 30 };
            const { result, probes } = drive(settings, qualityOf);
            const context = `${name} target ${targetQuality} from ${initialCrf} ±${toleranceQuality}`;
            expect(result.reason, context).toBe('converged');
            expect(Math.abs(result.quality - targetQuality), context).toBeLessThanOrEqual(toleranceQuality);
            expect(probes.length, context).toBeLessThanOrEqual(8);
          }
        }
      }
    }
  });

  it('never repeats a CRF or leaves the bounds, even on a very steep curve', () => {
    const steep = (crf: number): number => 100 / (1 + Math.exp((crf - 30) / 1.5));
    for (const targetQuality of [60, 80, 95]) {
      const settings = { ...BASE, targetQuality, toleranceQuality: 0.25, maxProbes: 20 };
      const { result, probes } = drive(settings, steep);
      const crfs = probes.map((probe) => probe.crf);
      expect(new Set(crfs).size).toBe(crfs.length);
      expect(Math.min(...crfs)).toBeGreaterThanOrEqual(10);
      expect(Math.max(...crfs)).toBeLessThanOrEqual(51);
      // one tenth of a CRF moves quality by more than the tolerance here: the search stops at the bracket
      expect(result.reason).toBe('converged');
      expect(result.quality).toBeGreaterThanOrEqual(targetQuality - 0.25);
      expect(probes.length).toBeLessThanOrEqual(10);
    }
  });

  it('reports unreachable-high when even minCrf is below the target', () => {
    const { result, probes } = drive({ ...BASE, targetQuality: 95 }, (crf) => 80 - crf);
    expect(result).toEqual({ kind: 'done', crf: 10, quality: 70, reason: 'unreachable-high' });
    expect(probes.length).toBeLessThanOrEqual(3);
  });

  it('reports unreachable-low when even maxCrf is above the target', () => {
    const { result, probes } = drive({ ...BASE, targetQuality: 50 }, (crf) => 100 - 0.1 * crf);
    expect(result.reason).toBe('unreachable-low');
    expect(result.crf).toBe(51);
    expect(result.quality).toBeCloseTo(94.9, 9);
    expect(probes.length).toBeLessThanOrEqual(3);
  });

  it('stops after maxProbes with the closest probe at or above the target', () => {
    const step = nextCrfStep({ ...BASE, maxProbes: 3, toleranceQuality: 0.1 }, [
      { crf: 20, quality: 96 },
      { crf: 24, quality: 93.5 },
      { crf: 25, quality: 91 },
    ]);
    expect(step).toEqual({ kind: 'done', crf: 24, quality: 93.5, reason: 'max-probes' });
  });

  it('falls back to the closest probe when none reaches the target at maxProbes', () => {
    const step = nextCrfStep({ ...BASE, maxProbes: 2, toleranceQuality: 0.1 }, [
      { crf: 30, quality: 80 },
      { crf: 26, quality: 88 },
    ]);
    expect(step).toEqual({ kind: 'done', crf: 26, quality: 88, reason: 'max-probes' });
  });

  it('picks the highest CRF among probes within tolerance', () => {
    const step = nextCrfStep(BASE, [
      { crf: 20, quality: 93.2 },
      { crf: 21, quality: 92.8 },
      { crf: 24, quality: 90 },
    ]);
    expect(step).toEqual({ kind: 'done', crf: 21, quality: 92.8, reason: 'converged' });
  });

  it('extrapolates one probe with the default slope of -1.5 quality per CRF', () => {
    expect(nextCrfStep(BASE, [{ crf: 23, quality: 90 }])).toEqual({ kind: 'probe', crf: 21 });
    expect(nextCrfStep(BASE, [{ crf: 23, quality: 96 }])).toEqual({ kind: 'probe', crf: 25 });
  });

  it('extrapolates two one-sided probes with their slope, or strides 10 CRF across a flat stretch', () => {
    // slope (84 - 90) / (26 - 23) = -2 → 23 + (93 - 90) / -2 = 21.5
    expect(
      nextCrfStep(BASE, [
        { crf: 26, quality: 84 },
        { crf: 23, quality: 90 },
      ]),
    ).toEqual({
      kind: 'probe',
      crf: 21.5,
    });
    // noisy, positive slope → a 10-CRF stride toward the target: 23 - 10 = 13
    expect(
      nextCrfStep(BASE, [
        { crf: 26, quality: 91 },
        { crf: 23, quality: 90 },
      ]),
    ).toEqual({
      kind: 'probe',
      crf: 13,
    });
    // a plateau far above the target (easy content): 97.7 → 97.6 over 1.8 CRF → 21.8 + 10 = 31.8
    expect(
      nextCrfStep(BASE, [
        { crf: 20, quality: 97.7 },
        { crf: 21.8, quality: 97.62 },
      ]),
    ).toEqual({ kind: 'probe', crf: 31.8 });
  });

  it('clamps extrapolation to the CRF bounds', () => {
    expect(nextCrfStep(BASE, [{ crf: 12, quality: 70 }])).toEqual({ kind: 'probe', crf: 10 });
    expect(nextCrfStep({ ...BASE, targetQuality: 20 }, [{ crf: 45, quality: 80 }])).toEqual({
      kind: 'probe',
      crf: 51,
    });
  });

  it('interpolates linearly between the bracket', () => {
    // 93 is 40 % of the way from 95 to 90
    expect(
      nextCrfStep({ ...BASE, toleranceQuality: 0.1 }, [
        { crf: 20, quality: 95 },
        { crf: 25, quality: 90 },
      ]),
    ).toEqual({
      kind: 'probe',
      crf: 22,
    });
  });

  it('bisects when the interpolated CRF rounds onto a bracket end', () => {
    // secant: 20 + (0.5 / 13.5) * 0.2 ≈ 20.007 → 20.0, already probed → midpoint 20.1
    const probes = [
      { crf: 20, quality: 93.5 },
      { crf: 20.2, quality: 80 },
    ];
    expect(nextCrfStep({ ...BASE, toleranceQuality: 0.1 }, probes)).toEqual({ kind: 'probe', crf: 20.1 });
  });

  it('stops at one-decimal granularity with the above-target end of the bracket', () => {
    const probes = [
      { crf: 20, quality: 93.5 },
      { crf: 20.1, quality: 80 },
    ];
    expect(nextCrfStep({ ...BASE, toleranceQuality: 0.1 }, probes)).toEqual({
      kind: 'done',
      crf: 20,
      quality: 93.5,
      reason: 'converged',
    });
  });

  it('probes between non-monotone measurements', () => {
    const probes = [
      { crf: 20, quality: 90 }, // below target at a lower CRF than …
      { crf: 22, quality: 95 }, // … a probe above target: noise
    ];
    expect(nextCrfStep(BASE, probes)).toEqual({ kind: 'probe', crf: 21 });
  });

  it('rejects invalid settings and probes', () => {
    expect(() => nextCrfStep({ ...BASE, minCrf: 40, maxCrf: 30 }, [])).toThrow(RangeError);
    expect(() => nextCrfStep({ ...BASE, maxProbes: 0 }, [])).toThrow(RangeError);
    expect(() => nextCrfStep({ ...BASE, toleranceQuality: -1 }, [])).toThrow(RangeError);
    expect(() => nextCrfStep(BASE, [{ crf: 20, quality: NaN }])).toThrow(RangeError);
  });
});
