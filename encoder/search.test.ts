import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSampleExtractArgs, type VmafSetup } from './argv.js';
import { encoderToolsConfigFromEnv } from './config.js';
import { runFfmpeg } from './ffmpeg.js';
import { nextCrfStep, type CrfSearchStep } from './ladder/crfSearch.js';
import type { Probe, Resolution } from './ladder/types.js';
import { resolveEncodeSettings } from './options.js';
import { probeSource } from './probe.js';
import { runProbe, searchLadder, type ProbeContext } from './search.js';
import { makeSyntheticSource } from './synthetic.js';
import { detectTools, requireMetric } from './tools.js';

const modelPath =
  process.env.VMAF_MODEL_PATH ?? resolve(import.meta.dirname, '../../shared/vmaf/vmaf_v0.6.1.pkl');
const SAMPLE_S = 3;
const RES_180: Resolution = { width: 320, height: 180 };
const RES_144: Resolution = { width: 256, height: 144 };

let dir: string;
let ctx: ProbeContext;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'search-test-'));
  const tools = await detectTools({ ...encoderToolsConfigFromEnv(), vmafModelPath: modelPath });
  const vmaf: VmafSetup | undefined = requireMetric(tools, 'vmaf');
  const sourcePath = join(dir, 'source.mp4');
  await makeSyntheticSource(
    tools.ffmpegPath,
    { pattern: 'moderate', resolution: RES_180, durationS: SAMPLE_S, fps: 25, audio: false },
    sourcePath,
  );
  const facts = await probeSource(tools, sourcePath);
  const samplePath = join(dir, 'sample.mp4');
  await runFfmpeg(
    tools.ffmpegPath,
    buildSampleExtractArgs({
      sourcePath,
      windows: [{ startS: 0, durationS: SAMPLE_S }],
      frameRate: facts.video.frameRate,
      outPath: samplePath,
    }),
  );
  const workDir = join(dir, 'work');
  await mkdir(workDir);
  ctx = {
    ffmpegPath: tools.ffmpegPath,
    settings: resolveEncodeSettings({ outDir: join(dir, 'unused'), metric: 'vmaf', preset: 'veryfast' }),
    metric: 'vmaf',
    vmaf,
    workDir,
    samplePath,
    sampleDurationS: SAMPLE_S,
    referenceResolution: RES_180,
    frameRate: facts.video.frameRate,
    signal: undefined,
  };
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Checks that quality and bitrate both fall as CRF rises, over probes of one resolution. `slack` allows
 * plateaus where the VBV ceiling binds (there x264 spends the same bits whatever the CRF, and VMAF
 * moves by measurement noise).
 */
function expectMonotone(
  probes: readonly Probe[],
  slack: { quality: number; bitrateFraction: number } = { quality: 0, bitrateFraction: 0 },
): void {
  const byCrf = [...probes].sort((a, b) => a.crf - b.crf);
  for (let i = 1; i < byCrf.length; i++) {
    const lower = byCrf[i - 1]!;
    const higher = byCrf[i]!;
    expect(higher.crf).toBeGreaterThan(lower.crf);
    expect(higher.quality, `quality at crf ${higher.crf} vs ${lower.crf}`).toBeLessThan(
      lower.quality + slack.quality,
    );
    expect(higher.bitrateKbps, `bitrate at crf ${higher.crf} vs ${lower.crf}`).toBeLessThan(
      lower.bitrateKbps * (1 + slack.bitrateFraction),
    );
  }
}

describe('CRF search with real FFmpeg and VMAF', () => {
  it('converges to VMAF 90 within 1.0 at 320x180 in at most 6 probes, monotone in CRF', async () => {
    const probes: Probe[] = [];
    const settings = {
      targetQuality: 90,
      toleranceQuality: 1,
      minCrf: 12,
      maxCrf: 51,
      maxProbes: 6,
      initialCrf: 20,
    };
    let step: CrfSearchStep = nextCrfStep(settings, probes);
    while (step.kind === 'probe') {
      const probe = await runProbe(ctx, RES_180, step.crf);
      expect(probe.resolution).toEqual(RES_180);
      expect(probe.crf).toBe(step.crf);
      expect(probe.stats.frames).toBeGreaterThan(0);
      expect(probe.quality).toBe(probe.stats.mean);
      probes.push(probe);
      expect(probes.length).toBeLessThanOrEqual(6);
      step = nextCrfStep(settings, probes);
    }
    expect(step.reason).toBe('converged');
    expect(Math.abs(step.quality - 90)).toBeLessThanOrEqual(1);
    expect(probes.length).toBeLessThanOrEqual(6);
    // Starting at CRF 20 lands well above 90 on this content, so the search had to move.
    expect(probes.length).toBeGreaterThanOrEqual(2);
    expect(probes.map((p) => p.crf)).toContain(step.crf);

    // Add a high CRF so the monotonicity check spans a wide range. (Not a lower one: below about CRF
    // 20 the default VBV ceiling of 0.15 bit/pixel, 216 kbit/s here, binds and the curve is flat.)
    if (!probes.some((p) => p.crf === 36)) probes.push(await runProbe(ctx, RES_180, 36));
    expectMonotone(probes);
    const byCrf = [...probes].sort((a, b) => a.crf - b.crf);
    // Over the whole span, quality falls by a lot, not by noise.
    expect(byCrf[0]!.quality - byCrf[byCrf.length - 1]!.quality).toBeGreaterThan(10);
    // The probe files are cleaned up; only the metric logs stay in the work directory.
    expect((await readdir(ctx.workDir)).filter((f) => f.endsWith('.mp4'))).toEqual([]);
  });

  it('searchLadder plans monotone rungs from curves that are monotone per resolution', async () => {
    const seen: { done: number; expected: number }[] = [];
    const narrow: ProbeContext = {
      ...ctx,
      settings: resolveEncodeSettings({
        outDir: join(dir, 'unused'),
        metric: 'vmaf',
        preset: 'veryfast',
        floorQuality: 70,
        floorBitrateKbps: 20,
        minBitrateRatio: 1.3,
      }),
    };
    const result = await searchLadder(narrow, [RES_180, RES_144], (_probe, done, expected) =>
      seen.push({ done, expected }),
    );
    expect(result.probes.length).toBeGreaterThanOrEqual(2);
    expect(seen.map((s) => s.done)).toEqual(result.probes.map((_, i) => i + 1));
    for (const s of seen) expect(s.expected).toBeGreaterThan(s.done - 1);

    // Monotone per resolution, up to the plateaus where the VBV ceiling binds (at 256x144 the search
    // for VMAF 95 drives CRF down to the minimum, all at the same capped rate).
    for (const res of [RES_180, RES_144]) {
      const own = result.probes.filter((p) => p.resolution.width === res.width);
      expect(own.length).toBeGreaterThanOrEqual(2);
      expectMonotone(own, { quality: 1, bitrateFraction: 0.02 });
    }
    // The top of the search reaches the target at the largest resolution.
    const top = result.probes.filter((p) => p.resolution.width === RES_180.width);
    expect(top.some((p) => Math.abs(p.quality - 95) <= 1)).toBe(true);

    expect(result.rungs.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < result.rungs.length; i++) {
      const a = result.rungs[i - 1]!;
      const b = result.rungs[i]!;
      expect(b.predictedBitrateKbps).toBeGreaterThan(a.predictedBitrateKbps);
      expect(b.predictedQuality).toBeGreaterThan(a.predictedQuality);
      expect(b.predictedBitrateKbps / a.predictedBitrateKbps).toBeGreaterThanOrEqual(1.3 - 1e-6);
    }
    const last = result.rungs[result.rungs.length - 1]!;
    expect(last.predictedQuality).toBeGreaterThan(95 - 1.5);
    expect(result.rungs[0]!.predictedQuality).toBeGreaterThan(70 - 1.5);

    for (let i = 1; i < result.hull.length; i++) {
      expect(result.hull[i]!.bitrateKbps).toBeGreaterThan(result.hull[i - 1]!.bitrateKbps);
      expect(result.hull[i]!.quality).toBeGreaterThan(result.hull[i - 1]!.quality);
    }
  }, 300_000);
});
