import { describe, it, expect } from 'vitest';
import { buildCurve } from './curve.js';
import type { RdCurve } from './curve.js';
import { DEFAULT_RUNG_SELECTION, bestAtBitrate, bestAtQuality, selectRungs } from './select.js';
import type { RungSelectionOptions } from './select.js';
import type { PlannedRung, Probe, Resolution } from './types.js';

/** Closed-form model per resolution: quality(b) = qMax * (1 - exp(-b / kKbps)). */
interface Model {
  resolution: Resolution;
  qMax: number;
  kKbps: number;
}

const MODELS: Model[] = [
  { resolution: { width: 640, height: 360 }, qMax: 72, kKbps: 300 },
  { resolution: { width: 960, height: 540 }, qMax: 84, kKbps: 700 },
  { resolution: { width: 1280, height: 720 }, qMax: 92, kKbps: 1400 },
  { resolution: { width: 1920, height: 1080 }, qMax: 98, kKbps: 2800 },
];

const modelQuality = (model: Model, bitrateKbps: number): number =>
  model.qMax * (1 - Math.exp(-bitrateKbps / model.kKbps));

/** Probes at CRF 10..50 step 1: rate doubles every 6 CRF (x264 rule of thumb), k at CRF 30. */
function probesOf(model: Model): Probe[] {
  const probes: Probe[] = [];
  for (let crf = 10; crf <= 50; crf++) {
    const bitrateKbps = model.kKbps * Math.pow(2, (30 - crf) / 6);
    const quality = modelQuality(model, bitrateKbps);
    probes.push({
      resolution: model.resolution,
      crf,
      bitrateKbps,
      quality,
      stats: { mean: quality, harmonicMean: quality, p5: quality, min: quality, frames: 48 },
      elapsedMs: 0,
    });
  }
  return probes;
}

const curveOf = (model: Model): RdCurve => buildCurve(probesOf(model));
const CURVES = MODELS.map(curveOf);
const pixels = (resolution: Resolution): number => resolution.width * resolution.height;

/** Rate (kbit/s) where two models give the same quality, by bisection on the closed form. */
function crossingKbps(low: Model, high: Model): number {
  let lo = 10;
  let hi = 1e6;
  // low resolution wins at low rates, high resolution at high rates
  for (let i = 0; i < 200; i++) {
    const mid = Math.sqrt(lo * hi);
    if (modelQuality(low, mid) > modelQuality(high, mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

function bestModelAt(bitrateKbps: number): Model {
  return MODELS.reduce((best, model) =>
    modelQuality(model, bitrateKbps) > modelQuality(best, bitrateKbps) ? model : best,
  );
}

const RATIO_EPSILON = 1e-9;
const QUALITY_EPSILON = 1e-6;

function expectWellFormed(ladder: readonly PlannedRung[], options: RungSelectionOptions): void {
  expect(ladder.length).toBeGreaterThan(0);
  expect(ladder.length).toBeLessThanOrEqual(options.maxRungs);
  for (let i = 1; i < ladder.length; i++) {
    const lower = ladder[i - 1]!;
    const upper = ladder[i]!;
    expect(upper.predictedBitrateKbps).toBeGreaterThan(lower.predictedBitrateKbps);
    expect(upper.predictedQuality).toBeGreaterThan(lower.predictedQuality);
    expect(upper.predictedBitrateKbps / lower.predictedBitrateKbps).toBeGreaterThanOrEqual(
      options.minBitrateRatio - RATIO_EPSILON,
    );
    // the bottom rung may sit closer than one step in quality (it is placed by the floor, not the walk)
    if (i > 1) {
      expect(upper.predictedQuality - lower.predictedQuality).toBeGreaterThanOrEqual(
        options.qualityStep - QUALITY_EPSILON,
      );
    }
    expect(pixels(upper.resolution)).toBeGreaterThanOrEqual(pixels(lower.resolution));
    expect(upper.crf).toBeLessThanOrEqual(lower.crf + 10); // sanity: CRF is a number in the probed range
  }
  if (options.maxBitrateKbps !== undefined) {
    expect(ladder[ladder.length - 1]!.predictedBitrateKbps).toBeLessThanOrEqual(options.maxBitrateKbps);
  }
  for (const rung of ladder) {
    expect(rung.crf).toBeGreaterThanOrEqual(10);
    expect(rung.crf).toBeLessThanOrEqual(50);
    expect(Math.round(rung.crf * 10) / 10).toBe(rung.crf);
  }
}

describe('bestAtQuality / bestAtBitrate', () => {
  const crossing540to720 = crossingKbps(MODELS[1]!, MODELS[2]!);

  it('switches resolution at the models’ crossing point', () => {
    // well below the crossing 540p is cheaper, well above it 720p is (sampling is dense enough for ±15 %)
    expect(bestAtBitrate(CURVES, crossing540to720 * 0.85)!.resolution).toEqual(MODELS[1]!.resolution);
    expect(bestAtBitrate(CURVES, crossing540to720 * 1.15)!.resolution).toEqual(MODELS[2]!.resolution);
    const qualityBelow = modelQuality(MODELS[1]!, crossing540to720 * 0.85);
    expect(bestAtQuality(CURVES, qualityBelow)!.resolution).toEqual(MODELS[1]!.resolution);
    const qualityAbove = modelQuality(MODELS[2]!, crossing540to720 * 1.15);
    expect(bestAtQuality(CURVES, qualityAbove)!.resolution).toEqual(MODELS[2]!.resolution);
  });

  it('returns the lowest rate at a quality and the highest quality at a rate', () => {
    const atQuality = bestAtQuality(CURVES, 80)!;
    expect(atQuality.predictedQuality).toBe(80);
    for (const model of MODELS) {
      const rate = -model.kKbps * Math.log(1 - 80 / model.qMax); // NaN where unreachable
      if (Number.isFinite(rate)) expect(atQuality.predictedBitrateKbps).toBeLessThanOrEqual(rate * 1.01);
    }
    const atRate = bestAtBitrate(CURVES, 3000)!;
    expect(atRate.predictedBitrateKbps).toBe(3000);
    expect(atRate.predictedQuality).toBeCloseTo(modelQuality(bestModelAt(3000), 3000), 0);
  });

  it('breaks ties towards the larger resolution', () => {
    const small = buildCurve(probesOf(MODELS[0]!));
    const large = buildCurve(probesOf({ ...MODELS[0]!, resolution: { width: 1280, height: 720 } }));
    expect(bestAtQuality([small, large], 50)!.resolution).toEqual({ width: 1280, height: 720 });
    expect(bestAtBitrate([large, small], 500)!.resolution).toEqual({ width: 1280, height: 720 });
  });

  it('returns undefined when nothing covers the request', () => {
    expect(bestAtQuality(CURVES, 99)).toBeUndefined();
    expect(bestAtBitrate(CURVES, 1)).toBeUndefined();
    expect(bestAtQuality([], 50)).toBeUndefined();
  });

  it('returns the interpolated CRF of the chosen curve', () => {
    const rung = bestAtQuality([CURVES[3]!], modelQuality(MODELS[3]!, 2800))!; // exactly the CRF 30 probe
    expect(rung.crf).toBe(30);
  });
});

describe('selectRungs', () => {
  const options = { ...DEFAULT_RUNG_SELECTION };

  it('returns [] for no curves or empty curves', () => {
    expect(selectRungs([], options)).toEqual([]);
    expect(selectRungs([{ resolution: { width: 640, height: 360 }, points: [] }], options)).toEqual([]);
  });

  it('builds a well-formed ladder from the target down to the floor', () => {
    const ladder = selectRungs(CURVES, options);
    expectWellFormed(ladder, options);
    expect(ladder.length).toBeGreaterThanOrEqual(5);
    const top = ladder[ladder.length - 1]!;
    expect(top.predictedQuality).toBeCloseTo(95, 9);
    expect(top.resolution).toEqual({ width: 1920, height: 1080 });
    const bottom = ladder[0]!;
    // floor quality 45 on 360p is at 300 * ln(72 / 27) ≈ 294 kbit/s, above the 200 kbit/s floor
    expect(bottom.predictedQuality).toBeCloseTo(45, 9);
    expect(bottom.predictedBitrateKbps).toBeGreaterThan(200);
    expect(bottom.resolution).toEqual({ width: 640, height: 360 });
    // every rung is on the resolution the closed-form model says is best, away from the crossings
    const crossings = MODELS.slice(1).map((model, i) => crossingKbps(MODELS[i]!, model));
    for (const rung of ladder) {
      const nearCrossing = crossings.some(
        (rate) => rung.predictedBitrateKbps > rate * 0.85 && rung.predictedBitrateKbps < rate * 1.15,
      );
      if (!nearCrossing) expect(rung.resolution).toEqual(bestModelAt(rung.predictedBitrateKbps).resolution);
      expect(rung.predictedQuality).toBeCloseTo(
        modelQuality(bestModelAt(rung.predictedBitrateKbps), rung.predictedBitrateKbps),
        0,
      );
    }
    // several resolutions are used
    expect(new Set(ladder.map((rung) => rung.resolution.height)).size).toBeGreaterThanOrEqual(3);
  });

  it('raises the bottom to the floor bitrate when the floor quality is too cheap', () => {
    const ladder = selectRungs(CURVES, { ...options, floorBitrateKbps: 500 });
    expectWellFormed(ladder, { ...options, floorBitrateKbps: 500 });
    expect(ladder[0]!.predictedBitrateKbps).toBe(500);
    expect(ladder[0]!.predictedQuality).toBeGreaterThan(45);
  });

  it('respects the bitrate cap on the top rung', () => {
    const capped = { ...options, maxBitrateKbps: 4000 };
    const ladder = selectRungs(CURVES, capped);
    expectWellFormed(ladder, capped);
    const top = ladder[ladder.length - 1]!;
    expect(top.predictedBitrateKbps).toBe(4000);
    expect(top.predictedQuality).toBe(bestAtBitrate(CURVES, 4000)!.predictedQuality);
    expect(top.predictedQuality).toBeLessThan(95);
  });

  it('clamps to the best point below a cap that falls in a rate gap between curves', () => {
    const low = buildCurve(probesOf(MODELS[0]!).filter((probe) => probe.bitrateKbps <= 1000));
    const high = buildCurve(probesOf(MODELS[3]!).filter((probe) => probe.bitrateKbps >= 2000));
    const capped = { ...options, maxBitrateKbps: 1500 };
    const ladder = selectRungs([low, high], capped);
    expectWellFormed(ladder, capped);
    const top = ladder[ladder.length - 1]!;
    const lowTop = low.points[low.points.length - 1]!;
    expect(top.predictedBitrateKbps).toBe(lowTop.bitrateKbps);
    expect(top.crf).toBe(lowTop.crf);
  });

  it('returns [] when the cap is below every probe', () => {
    expect(selectRungs(CURVES, { ...options, maxBitrateKbps: 5 })).toEqual([]);
  });

  it('uses the best achievable quality when the target is out of reach', () => {
    const ladder = selectRungs(CURVES.slice(0, 2), options); // 360p and 540p only: max ≈ 84
    expectWellFormed(ladder, options);
    const top = ladder[ladder.length - 1]!;
    const lastPoint = CURVES[1]!.points[CURVES[1]!.points.length - 1]!;
    expect(top.predictedQuality).toBe(lastPoint.quality);
  });

  it('handles a single resolution', () => {
    const ladder = selectRungs([CURVES[2]!], options);
    expectWellFormed(ladder, options);
    expect(ladder.every((rung) => rung.resolution.height === 720)).toBe(true);
    expect(ladder[ladder.length - 1]!.predictedQuality).toBeCloseTo(
      Math.min(95, CURVES[2]!.points.at(-1)!.quality),
      9,
    );
    expect(ladder[0]!.predictedQuality).toBeGreaterThanOrEqual(45 - QUALITY_EPSILON);
  });

  it('returns just the top rung when the range is narrower than one rate step', () => {
    const narrow = buildCurve(probesOf(MODELS[3]!).filter((probe) => probe.crf >= 20 && probe.crf <= 22));
    const ladder = selectRungs([narrow], options);
    expect(ladder).toHaveLength(1);
    expect(ladder[0]!.predictedQuality).toBe(narrow.points.at(-1)!.quality);
  });

  it('thins the ladder evenly to maxRungs, keeping the top and the bottom', () => {
    const dense = { ...options, qualityStep: 2, minBitrateRatio: 1.2, maxRungs: 100 };
    const full = selectRungs(CURVES, dense);
    expect(full.length).toBeGreaterThan(10);
    const capped = { ...dense, maxRungs: 4 };
    const thinned = selectRungs(CURVES, capped);
    expectWellFormed(thinned, capped);
    expect(thinned).toHaveLength(4);
    expect(thinned[0]).toEqual(full[0]);
    expect(thinned[3]).toEqual(full[full.length - 1]);
    expect(full).toContainEqual(thinned[1]);
    expect(full).toContainEqual(thinned[2]);
    expect(selectRungs(CURVES, { ...dense, maxRungs: 1 })).toEqual([full[full.length - 1]]);
  });

  it('rejects invalid options', () => {
    expect(() => selectRungs(CURVES, { ...options, qualityStep: 0 })).toThrow(RangeError);
    expect(() => selectRungs(CURVES, { ...options, minBitrateRatio: 0.9 })).toThrow(RangeError);
    expect(() => selectRungs(CURVES, { ...options, maxRungs: 0 })).toThrow(RangeError);
    expect(() => selectRungs(CURVES, { ...options, floorQuality: 99 })).toThrow(RangeError);
  });
});
