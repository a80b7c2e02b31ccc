import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVideoEncodeArgs } from './argv.js';
import { encoderToolsConfigFromEnv } from './config.js';
import { runFfmpeg } from './ffmpeg.js';
import { MAX_DB, measureQuality, parsePsnrLog, parseSsimLog, parseVmafLog } from './measure.js';
import { makeSyntheticSource } from './synthetic.js';

describe('metric log parsers', () => {
  it('reads per-frame VMAF from a libvmaf JSON log', () => {
    const log = JSON.stringify({
      version: '1.3.7',
      frames: [
        { frameNum: 0, metrics: { vmaf: 90.5 } },
        { frameNum: 5, metrics: { vmaf: 80 } },
      ],
    });
    expect(parseVmafLog(log)).toEqual([90.5, 80]);
  });
  it('rejects a VMAF log that is not JSON or has no scores with ENC_ERR_METRIC_PARSE', () => {
    expect(() => parseVmafLog('{"frames": [')).toThrow(
      expect.objectContaining({ code: 'ENC_ERR_METRIC_PARSE' }),
    );
    expect(() => parseVmafLog('{"frames": []}')).toThrow(
      expect.objectContaining({ code: 'ENC_ERR_METRIC_PARSE' }),
    );
    expect(() => parseVmafLog('{}')).toThrow(expect.objectContaining({ code: 'ENC_ERR_METRIC_PARSE' }));
  });
  it('reads PSNR, capping identical frames', () => {
    const log =
      'n:1 mse_avg:1.50 mse_y:1.2 psnr_avg:46.37 psnr_y:47.3\nn:2 mse_avg:0.00 psnr_avg:inf psnr_y:inf\n';
    expect(parsePsnrLog(log)).toEqual([46.37, MAX_DB]);
    expect(() => parsePsnrLog('garbage')).toThrow(expect.objectContaining({ code: 'ENC_ERR_METRIC_PARSE' }));
  });
  it('reads SSIM as dB', () => {
    const scores = parseSsimLog(
      'n:1 Y:0.99 U:0.99 V:0.99 All:0.990000 (20.000000)\nn:2 Y:1 U:1 V:1 All:1.000000 (inf)\n',
    );
    expect(scores[0]).toBeCloseTo(20, 6);
    expect(scores[1]).toBe(MAX_DB);
  });
});

describe('measureQuality with real FFmpeg', () => {
  let dir: string;
  let reference: string;
  let distorted: string;
  const modelPath =
    process.env.VMAF_MODEL_PATH ?? resolve(import.meta.dirname, '../../shared/vmaf/vmaf_v0.6.1.pkl');
  const config = encoderToolsConfigFromEnv();
  const frameRate = { num: 25, den: 1 };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cdn-measure-test-'));
    reference = await makeSyntheticSource(
      config.ffmpegPath,
      { pattern: 'moderate', resolution: { width: 320, height: 180 }, durationS: 2, fps: 25, audio: false },
      join(dir, 'ref.mp4'),
    );
    distorted = join(dir, 'dist.mp4');
    await runFfmpeg(
      config.ffmpegPath,
      buildVideoEncodeArgs({
        inputPath: reference,
        outPath: distorted,
        resolution: { width: 160, height: 90 },
        frameRate,
        rateControl: { kind: 'capped-crf', crf: 30, maxrateKbps: 500, bufsizeKbps: 1000 },
        preset: 'veryfast',
        gopFrames: 50,
        threads: 1,
      }),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('scores an upscaled encode below its reference, and the reference against itself near the top, per metric', async () => {
    const input = {
      referencePath: reference,
      referenceResolution: { width: 320, height: 180 },
      frameRate,
      threads: 2,
      subsample: 1,
    };
    const vmaf = { flavour: 'libvmaf1' as const, modelPath };
    const low = await measureQuality(config.ffmpegPath, {
      ...input,
      distortedPath: distorted,
      metric: 'vmaf',
      vmaf,
      logPath: join(dir, 'a.json'),
    });
    const same = await measureQuality(config.ffmpegPath, {
      ...input,
      distortedPath: reference,
      metric: 'vmaf',
      vmaf,
      logPath: join(dir, 'b.json'),
    });
    expect(low.frames).toBe(50);
    expect(low.mean).toBeLessThan(same.mean - 10);
    expect(same.mean).toBeGreaterThan(95);
    expect(low.p5).toBeLessThanOrEqual(low.mean);
    expect(low.harmonicMean).toBeLessThanOrEqual(low.mean);
    const psnr = await measureQuality(config.ffmpegPath, {
      ...input,
      distortedPath: distorted,
      metric: 'psnr',
      logPath: join(dir, 'p.log'),
    });
    expect(psnr.mean).toBeGreaterThan(15);
    expect(psnr.mean).toBeLessThan(45);
    const ssim = await measureQuality(config.ffmpegPath, {
      ...input,
      distortedPath: distorted,
      metric: 'ssim',
      logPath: join(dir, 's.log'),
    });
    expect(ssim.mean).toBeGreaterThan(3);
    expect(ssim.mean).toBeLessThan(30);
  });

  it('handles model and log paths with filtergraph special characters', async () => {
    const odd = join(dir, "we:ird, [dir]'s");
    await mkdir(odd, { recursive: true });
    await copyFile(modelPath, join(odd, 'vmaf_v0.6.1.pkl'));
    await copyFile(`${modelPath}.model`, join(odd, 'vmaf_v0.6.1.pkl.model'));
    const stats = await measureQuality(config.ffmpegPath, {
      distortedPath: distorted,
      referencePath: reference,
      referenceResolution: { width: 320, height: 180 },
      frameRate,
      metric: 'vmaf',
      vmaf: { flavour: 'libvmaf1', modelPath: join(odd, 'vmaf_v0.6.1.pkl') },
      logPath: join(odd, 'log;1.json'),
      threads: 1,
      subsample: 5,
    });
    expect(stats.frames).toBe(10);
  });
});
