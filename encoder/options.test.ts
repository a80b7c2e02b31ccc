import { describe, expect, it } from 'vitest';
import { isCdnError } from '../common/errors.js';
import {
  candidateResolutions,
  DEFAULT_RESOLUTIONS,
  defaultSampleCount,
  fixedLadderFor,
  maxrateKbpsFor,
  parseResolution,
  resolveEncodeSettings,
} from './options.js';

function invalid(input: unknown): string {
  try {
    resolveEncodeSettings(input, 2);
  } catch (err) {
    expect(isCdnError(err, 'ENC_ERR_INVALID_OPTIONS')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected ENC_ERR_INVALID_OPTIONS');
}

describe('resolveEncodeSettings', () => {
  it('fills defaults per metric and per machine', () => {
    const vmaf = resolveEncodeSettings({ outDir: 'o' }, 2);
    expect(vmaf).toMatchObject({
      metric: 'vmaf',
      targetQuality: 95,
      floorQuality: 45,
      qualityStep: 6,
      floorBitrateKbps: 200,
    });
    expect(vmaf).toMatchObject({
      segmentDurationS: 4,
      gopDurationS: 2,
      preset: 'medium',
      searchPreset: 'medium',
      concurrency: 1,
      threadsPerEncode: 2,
    });
    expect(Object.isFrozen(vmaf)).toBe(true);
    const psnr = resolveEncodeSettings({ outDir: 'o', metric: 'psnr', searchPreset: 'fast' }, 8);
    expect(psnr).toMatchObject({
      targetQuality: 45,
      floorQuality: 30,
      searchPreset: 'fast',
      concurrency: 4,
      threadsPerEncode: 2,
    });
  });

  it('names each bad option', () => {
    expect(invalid({})).toContain('outDir');
    expect(invalid({ outDir: 'o', metric: 'mos' })).toContain('metric');
    expect(invalid({ outDir: 'o', targetQuality: 150 })).toContain('targetQuality');
    expect(invalid({ outDir: 'o', floorQuality: 96 })).toContain('floorQuality');
    expect(invalid({ outDir: 'o', segmentDurationS: 5, gopDurationS: 2 })).toContain('segmentDurationS');
    expect(invalid({ outDir: 'o', minCrf: 40, maxCrf: 30 })).toContain('minCrf');
    expect(invalid({ outDir: 'o', preset: 'ludicrous' })).toContain('preset');
    expect(invalid({ outDir: 'o', resolutions: [{ width: 0, height: 10 }] })).toContain('resolutions');
    expect(invalid({ outDir: 'o', unknownOption: 1 })).toContain('unknownOption');
  });
});

describe('candidateResolutions', () => {
  it('never goes above the source and keeps its aspect ratio with even sizes', () => {
    expect(candidateResolutions(DEFAULT_RESOLUTIONS, { width: 1280, height: 720 })).toEqual([
      { width: 1280, height: 720 },
      { width: 960, height: 540 },
      { width: 768, height: 432 },
      { width: 640, height: 360 },
      { width: 416, height: 234 },
    ]);
    // 2.39:1 scope: widths follow the source's ratio.
    expect(candidateResolutions(DEFAULT_RESOLUTIONS, { width: 1920, height: 804 })[0]).toEqual({
      width: 1720,
      height: 720,
    });
  });
  it('handles portrait sources by their short side', () => {
    const r = candidateResolutions(DEFAULT_RESOLUTIONS, { width: 1080, height: 1920 });
    expect(r[0]).toEqual({ width: 1080, height: 1920 });
    expect(r[1]).toEqual({ width: 720, height: 1280 });
  });
  it('falls back to the source size when every candidate is larger', () => {
    expect(candidateResolutions(DEFAULT_RESOLUTIONS, { width: 321, height: 181 })).toEqual([
      { width: 322, height: 182 },
    ]);
  });
});

describe('ladder helpers', () => {
  it('parses WIDTHxHEIGHT', () => {
    expect(parseResolution('1280x720')).toEqual({ width: 1280, height: 720 });
    expect(parseResolution('1280*720')).toBeUndefined();
    expect(parseResolution('x720')).toBeUndefined();
  });
  it('sizes the capped-CRF ceiling by pixels per second', () => {
    expect(maxrateKbpsFor({ width: 1920, height: 1080 }, 30, 0.15)).toBe(9331);
    expect(maxrateKbpsFor({ width: 640, height: 360 }, 30, 0.15)).toBe(1037);
  });
  it('picks one sample a minute, 2 to 20', () => {
    expect(defaultSampleCount(20)).toBe(2);
    expect(defaultSampleCount(600)).toBe(10);
    expect(defaultSampleCount(7200)).toBe(20);
  });
  it("caps Apple's fixed ladder at the source", () => {
    expect(fixedLadderFor({ width: 640, height: 360 })).toEqual([
      { resolution: { width: 416, height: 234 }, bitrateKbps: 145 },
      { resolution: { width: 640, height: 360 }, bitrateKbps: 365 },
    ]);
    expect(fixedLadderFor({ width: 1920, height: 1080 })).toHaveLength(9);
  });
});
