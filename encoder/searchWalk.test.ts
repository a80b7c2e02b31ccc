import { describe, expect, it } from 'vitest';
import type { Probe, Resolution } from './ladder/types.js';
import { resolveEncodeSettings } from './options.js';
import { searchLadder, type ProbeContext } from './search.js';

const RESOLUTIONS: Resolution[] = [
  { width: 1920, height: 1080 },
  { width: 1280, height: 720 },
  { width: 960, height: 540 },
  { width: 640, height: 360 },
  { width: 416, height: 234 },
];

/**
 * A rate-quality model of x264 with upscaling: the rate halves every 6 CRF and grows with pixels;
 * quality falls with CRF and is capped lower at smaller sizes, so each size wins a band of the hull.
 */
function modelProbe(complexity: number) {
  return (_ctx: ProbeContext, resolution: Resolution, crf: number): Promise<Probe> => {
    const megapixels = (resolution.width * resolution.height) / 1e6;
    const bitrateKbps = complexity * 1500 * megapixels ** 0.75 * 2 ** (-(crf - 23) / 6);
    const ceiling = 100 - 30 * (1 - Math.sqrt(megapixels / 2.07));
    const quality = Math.max(
      0,
      Math.min(ceiling, ceiling * (1 - Math.exp(-bitrateKbps / (complexity * 500 * megapixels ** 0.9)))),
    );
    const stats = { mean: quality, harmonicMean: quality, p5: quality, min: quality, frames: 10 };
    return Promise.resolve({ resolution, crf, bitrateKbps, quality, stats, elapsedMs: 0 });
  };
}

function context(overrides: Record<string, unknown> = {}): ProbeContext {
  return {
    ffmpegPath: 'unused',
    settings: resolveEncodeSettings({ outDir: 'unused', ...overrides }, 2),
    metric: 'vmaf',
    vmaf: undefined,
    workDir: 'unused',
    samplePath: 'unused',
    sampleDurationS: 8,
    referenceResolution: { width: 1920, height: 1080 },
    frameRate: { num: 30, den: 1 },
    signal: undefined,
  };
}

describe('searchLadder walk (on a rate-quality model)', () => {
  it('builds a monotonic ladder that moves down in resolution as the rate falls', async () => {
    let calls = 0;
    const result = await searchLadder(context(), RESOLUTIONS, () => calls++, modelProbe(1));
    expect(calls).toBe(result.probes.length);
    expect(result.probes.length).toBeLessThanOrEqual(30);
    const rungs = result.rungs;
    expect(rungs.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < rungs.length; i++) {
      expect(rungs[i]!.predictedBitrateKbps).toBeGreaterThan(rungs[i - 1]!.predictedBitrateKbps * 1.49);
      expect(rungs[i]!.predictedQuality).toBeGreaterThan(rungs[i - 1]!.predictedQuality);
      const pixels = (r: Resolution): number => r.width * r.height;
      expect(pixels(rungs[i]!.resolution)).toBeGreaterThanOrEqual(pixels(rungs[i - 1]!.resolution));
    }
    expect(rungs.at(-1)!.predictedQuality).toBeGreaterThan(93);
    expect(new Set(rungs.map((r) => r.resolution.height)).size).toBeGreaterThan(1);
  });

  it('stops early on easy content whose hull falls below the floor rate, leaving small sizes unprobed', async () => {
    const result = await searchLadder(context(), RESOLUTIONS, () => {}, modelProbe(0.05));
    const probedHeights = new Set(result.probes.map((p) => p.resolution.height));
    expect(probedHeights.has(234)).toBe(false);
    expect(result.rungs.length).toBeGreaterThanOrEqual(1);
    for (const r of result.rungs) expect(r.predictedBitrateKbps).toBeGreaterThan(0);
  });
});
