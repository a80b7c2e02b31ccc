import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CdnError } from '../common/errors.js';
import { encoderToolsConfigFromEnv } from './config.js';
import { encodeTitle, type EncodeProgress, type EncodeResult } from './encodeTitle.js';
import { EncoderErrorCode } from './errors.js';
import { runFfmpeg } from './ffmpeg.js';
import { ladderFileSchema, type LadderFile } from './ladderFile.js';
import type { EncodeOptionsInput } from './options.js';
import { makeSyntheticSource } from './synthetic.js';
import { detectTools, type EncoderTools } from './tools.js';

const modelPath =
  process.env.VMAF_MODEL_PATH ?? resolve(import.meta.dirname, '../../shared/vmaf/vmaf_v0.6.1.pkl');

/** Everything this file creates lives under here; its path is unique, so `pgrep -f` finds our FFmpegs. */
let root: string;
/** A private TMPDIR for this worker, so leaked `cdn-encode-*` work dirs are ours alone to count. */
let privateTmp: string;
const savedTmpdir = process.env.TMPDIR;
let tools: EncoderTools;
let source360: string;
let source180: string;

const FAST: Partial<EncodeOptionsInput> = {
  resolutions: [
    { width: 640, height: 360 },
    { width: 416, height: 234 },
  ],
  preset: 'veryfast',
  sampleDurationS: 2,
  vmafSubsample: 5,
};

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function workDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith('cdn-encode-')).sort();
}

async function partialDirs(parent: string): Promise<string[]> {
  if (!(await exists(parent))) return [];
  return (await readdir(parent)).filter((name) => name.includes('.partial-'));
}

/** PIDs of processes whose command line mentions this file's root directory (none: []). */
function ourProcesses(): string[] {
  try {
    return execFileSync('pgrep', ['-f', root], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch (err) {
    if ((err as { status?: number }).status === 1) return [];
    throw err;
  }
}

async function ffprobeJson<T>(...args: string[]): Promise<T> {
  const result = await runFfmpeg(tools.ffprobePath, ['-v', 'error', ...args, '-of', 'json'], {
    captureStdout: true,
    timeoutMs: 60_000,
  });
  return JSON.parse(result.stdout) as T;
}

/** Keyframe times of a file's video, read independently of the encoder's own packet analysis. */
async function keyframeTimes(path: string): Promise<number[]> {
  const data = await ffprobeJson<{ frames?: { pts_time?: string }[] }>(
    '-select_streams',
    'v:0',
    '-skip_frame',
    'nokey',
    '-show_entries',
    'frame=pts_time',
    path,
  );
  return (data.frames ?? []).map((f) => Math.round(Number(f.pts_time) * 1000) / 1000);
}

interface ProbedStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  channels?: number;
  sample_rate?: string;
  nb_frames?: string;
}

async function streamsOf(path: string): Promise<ProbedStream[]> {
  const data = await ffprobeJson<{ streams?: ProbedStream[] }>(
    '-show_entries',
    'stream=codec_type,codec_name,width,height,channels,sample_rate,nb_frames',
    path,
  );
  return data.streams ?? [];
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'encode-title-test-'));
  privateTmp = join(root, 'tmp');
  await mkdir(privateTmp);
  // os.tmpdir() reads TMPDIR on every call: encodeTitle's work dirs now land in privateTmp.
  process.env.TMPDIR = privateTmp;
  expect(tmpdir()).toBe(privateTmp);

  tools = await detectTools({ ...encoderToolsConfigFromEnv(), vmafModelPath: modelPath });
  source360 = join(root, 'src', 'moderate-640x360.mp4');
  source180 = join(root, 'src', 'moderate-320x180.mp4');
  await mkdir(dirname(source360), { recursive: true });
  await Promise.all([
    makeSyntheticSource(
      tools.ffmpegPath,
      { pattern: 'moderate', resolution: { width: 640, height: 360 }, durationS: 6, fps: 25, audio: true },
      source360,
    ),
    makeSyntheticSource(
      tools.ffmpegPath,
      { pattern: 'moderate', resolution: { width: 320, height: 180 }, durationS: 4, fps: 25, audio: false },
      source180,
    ),
  ]);
});

afterAll(async () => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  if (root) await rm(root, { recursive: true, force: true });
});

describe('encodeTitle: a full VMAF encode of a 640x360 6 s title with audio', () => {
  let outDir: string;
  let result: EncodeResult;
  let ladder: LadderFile;
  const progress: EncodeProgress[] = [];
  let workDirsBefore: string[];
  let workDirsAfter: string[];
  let workDirSeenDuringSearch = false;

  beforeAll(async () => {
    outDir = join(root, 'out', 'moderate');
    workDirsBefore = await workDirs();
    result = await encodeTitle(
      source360,
      { ...FAST, outDir, metric: 'vmaf', compareFixed: true },
      {
        tools,
        onProgress: (p) => {
          progress.push(p);
          if (p.phase === 'searching' && !workDirSeenDuringSearch) {
            // Proves the leak check below looks where the encoder works.
            workDirSeenDuringSearch = execFileSync('ls', [tmpdir()], { encoding: 'utf8' }).includes(
              'cdn-encode-',
            );
          }
        },
      },
    );
    workDirsAfter = await workDirs();
    ladder = ladderFileSchema.parse(JSON.parse(await readFile(join(outDir, 'ladder.json'), 'utf8')));
  }, 600_000);

  it('publishes a ladder.json that passes the schema and matches the returned ladder', () => {
    expect(result.outDir).toBe(outDir);
    expect(ladder).toEqual(ladderFileSchema.parse(JSON.parse(JSON.stringify(result.ladder))));
    expect(ladder.metric).toMatchObject({ name: 'vmaf', model: basename(modelPath), subsample: 5 });
    expect(ladder.source).toMatchObject({ path: source360, durationS: expect.closeTo(6, 1) as unknown });
    expect(ladder.frameRate).toEqual({ num: 25, den: 1 });
    expect(ladder.gopDurationS).toBe(2);
    expect(ladder.gopFrames).toBe(50);
    expect(ladder.keyframesAligned).toBe(true);
    expect(ladder.settings.resolutions).toEqual(FAST.resolutions);
    expect(ladder.probes.length).toBeGreaterThanOrEqual(2);
  });

  it('writes exactly the video and audio files the ladder names, and nothing half-done', async () => {
    const videoFiles = (await readdir(join(outDir, 'video'))).sort();
    expect(videoFiles.every((f) => f.endsWith('.mp4'))).toBe(true);
    expect(videoFiles.map((f) => `video/${f}`)).toEqual(ladder.rungs.map((r) => r.file).sort());
    ladder.rungs.forEach((r, i) =>
      expect(r.file).toBe(`video/v${i}_${r.resolution.width}x${r.resolution.height}.mp4`),
    );
    expect(ladder.audio).toHaveLength(1);
    const audio = ladder.audio[0]!;
    expect((await readdir(join(outDir, 'audio'))).map((f) => `audio/${f}`)).toEqual([audio.file]);
    expect((await readdir(outDir)).sort()).toEqual(['audio', 'ladder.json', 'video']);
    for (const r of ladder.rungs) {
      // sizeBytes counts the video packets; the file adds only the MP4 boxes around them.
      const fileBytes = (await stat(join(outDir, r.file))).size;
      expect(r.sizeBytes).toBeLessThan(fileBytes);
      expect(r.sizeBytes).toBeGreaterThan(fileBytes * 0.9);
    }
    expect(await partialDirs(dirname(outDir))).toEqual([]);
  });

  it('leaves no work directory behind in the temp dir', () => {
    expect(workDirSeenDuringSearch).toBe(true);
    expect(workDirsAfter).toEqual(workDirsBefore);
  });

  it('builds a monotone ladder: rate, measured quality and size rise together', () => {
    const rungs = ladder.rungs;
    expect(rungs.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < rungs.length; i++) {
      const lo = rungs[i - 1]!;
      const hi = rungs[i]!;
      expect(hi.averageBitrateKbps).toBeGreaterThan(lo.averageBitrateKbps);
      expect(hi.quality!.mean).toBeGreaterThan(lo.quality!.mean);
      expect(hi.resolution.width * hi.resolution.height).toBeGreaterThanOrEqual(
        lo.resolution.width * lo.resolution.height,
      );
      // Planned at least minBitrateRatio (1.5) apart; measured rates drift from the plan a little.
      expect(hi.averageBitrateKbps / lo.averageBitrateKbps).toBeGreaterThanOrEqual(1.3);
    }
    for (const r of rungs) {
      expect(r.quality).not.toBeNull();
      expect(r.quality!.frames).toBeGreaterThanOrEqual(25); // every 5th of 150 frames
      expect(r.frames).toBe(150);
      expect(r.peakBitrateKbps).toBeGreaterThanOrEqual(r.averageBitrateKbps * 0.99);
      expect(ladder.settings.resolutions).toContainEqual(r.resolution);
      // The measured rung lands near what the search predicted for it.
      expect(Math.abs(r.quality!.mean - r.predicted.quality)).toBeLessThan(6);
    }
    const top = rungs[rungs.length - 1]!;
    expect(Math.abs(top.quality!.mean - 95)).toBeLessThanOrEqual(4);
    expect(top.resolution).toEqual({ width: 640, height: 360 });
    const bottom = rungs[0]!;
    expect(bottom.averageBitrateKbps).toBeGreaterThanOrEqual(200 * 0.8); // floorBitrateKbps, give or take
  });

  it('records a hull increasing in both bitrate and quality', () => {
    expect(ladder.hull.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < ladder.hull.length; i++) {
      expect(ladder.hull[i]!.bitrateKbps).toBeGreaterThan(ladder.hull[i - 1]!.bitrateKbps);
      expect(ladder.hull[i]!.quality).toBeGreaterThan(ladder.hull[i - 1]!.quality);
    }
  });

  it('aligns keyframes across rungs every gopDurationS, as ffprobe sees them', async () => {
    const times = await Promise.all(ladder.rungs.map((r) => keyframeTimes(join(outDir, r.file))));
    for (const t of times) expect(t).toEqual([0, 2, 4]);
  });

  it('encodes each rung as H.264 at its resolution', async () => {
    for (const r of ladder.rungs) {
      const streams = await streamsOf(join(outDir, r.file));
      expect(streams).toHaveLength(1);
      expect(streams[0]).toMatchObject({
        codec_type: 'video',
        codec_name: 'h264',
        width: r.resolution.width,
        height: r.resolution.height,
      });
    }
  });

  it('encodes the audio as one AAC stereo 48 kHz stream', async () => {
    const streams = await streamsOf(join(outDir, ladder.audio[0]!.file));
    expect(streams).toHaveLength(1);
    expect(streams[0]).toMatchObject({
      codec_type: 'audio',
      codec_name: 'aac',
      channels: 2,
      sample_rate: '48000',
    });
    expect(ladder.audio[0]).toMatchObject({
      codec: 'aac',
      channels: 2,
      sampleRateHz: 48000,
      bitrateKbps: 128,
    });
  });

  it('compares against the Apple fixed rungs at or below 360p', () => {
    const fixed = ladder.fixedLadder;
    expect(fixed).not.toBeNull();
    expect(fixed!.rungs.map((r) => [r.resolution, r.targetBitrateKbps])).toEqual([
      [{ width: 416, height: 234 }, 145],
      [{ width: 640, height: 360 }, 365],
    ]);
    for (const r of fixed!.rungs) {
      expect(r.quality.frames).toBeGreaterThan(0);
      expect(r.quality.mean).toBeGreaterThan(0);
      expect(r.quality.mean).toBeLessThanOrEqual(100);
      // ABR at the target with a 110% ceiling: the measured average is near the target.
      expect(r.averageBitrateKbps).toBeGreaterThan(r.targetBitrateKbps * 0.5);
      expect(r.averageBitrateKbps).toBeLessThan(r.targetBitrateKbps * 1.5);
    }
    expect(fixed!.rungs[1]!.quality.mean).toBeGreaterThan(fixed!.rungs[0]!.quality.mean);
    expect(typeof fixed!.bdRatePercent).toBe('number');
    expect(Number.isFinite(fixed!.bdRatePercent)).toBe(true);
  });

  it('reports progress through every phase in order, never going back, ending at 100', () => {
    const phases = progress.map((p) => p.phase).filter((phase, i, all) => i === 0 || all[i - 1] !== phase);
    expect(phases).toEqual(['probing', 'searching', 'encoding', 'measuring', 'comparing', 'writing', 'done']);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.percent, `${progress[i]!.phase}: ${progress[i]!.message}`).toBeGreaterThanOrEqual(
        progress[i - 1]!.percent,
      );
    }
    expect(progress[0]!.percent).toBe(0);
    expect(progress[progress.length - 1]).toMatchObject({ phase: 'done', percent: 100 });
    for (const p of progress) expect(p.message.length).toBeGreaterThan(0);
  });

  it('refuses to write over the output without overwrite, leaving it untouched', async () => {
    const ladderPath = join(outDir, 'ladder.json');
    const before = await stat(ladderPath);
    const content = await readFile(ladderPath, 'utf8');
    await expect(encodeTitle(source360, { ...FAST, outDir }, { tools })).rejects.toMatchObject({
      code: EncoderErrorCode.OutputExists,
      statusCode: 409,
    });
    const after = await stat(ladderPath);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(await readFile(ladderPath, 'utf8')).toBe(content);
    expect(await partialDirs(dirname(outDir))).toEqual([]);
  });
});

describe('encodeTitle: cancellation', () => {
  it('stops every FFmpeg, and leaves no output, staging or work directory', async () => {
    const outDir = join(root, 'out', 'cancelled');
    const before = await workDirs();
    const controller = new AbortController();
    let runningAtAbort: string[] = [];
    let poll: NodeJS.Timeout | undefined;
    const started = performance.now();
    const encode = encodeTitle(
      source360,
      { ...FAST, outDir },
      {
        tools,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase !== 'searching' || poll) return;
          // Abort while one of our FFmpegs is running, so the abort has a process to stop.
          poll = setInterval(() => {
            const running = ourProcesses();
            if (running.length > 0 || performance.now() - started > 30_000) {
              clearInterval(poll);
              runningAtAbort = running;
              controller.abort();
            }
          }, 100);
        },
      },
    );
    const err: unknown = await encode.catch((e: unknown) => e);
    clearInterval(poll);
    expect(err).toBeInstanceOf(CdnError);
    expect(err).toMatchObject({ code: EncoderErrorCode.Cancelled });
    expect(controller.signal.aborted).toBe(true);
    expect(runningAtAbort.length).toBeGreaterThan(0);
    expect(ourProcesses()).toEqual([]);
    expect(await exists(outDir)).toBe(false);
    expect(await partialDirs(dirname(outDir))).toEqual([]);
    expect(await workDirs()).toEqual(before);
  });
});

describe('encodeTitle: metric choices and VMAF availability', () => {
  it('encodes with PSNR when VMAF has no model', async () => {
    const noModel = await detectTools({ ...encoderToolsConfigFromEnv(), vmafModelPath: undefined });
    expect(noModel.vmaf).toBeInstanceOf(CdnError);
    expect(noModel.vmaf).toMatchObject({ code: EncoderErrorCode.VmafModelMissing });
    const outDir = join(root, 'out', 'psnr');
    const { ladder } = await encodeTitle(
      source180,
      {
        outDir,
        metric: 'psnr',
        resolutions: [{ width: 320, height: 180 }],
        preset: 'veryfast',
        sampleDurationS: 2,
        // 320x180 needs far less than the default 200 kbit/s floor; a low one leaves room for rungs.
        floorBitrateKbps: 20,
      },
      { tools: noModel },
    );
    expect(ladderFileSchema.parse(JSON.parse(await readFile(join(outDir, 'ladder.json'), 'utf8')))).toEqual(
      ladderFileSchema.parse(JSON.parse(JSON.stringify(ladder))),
    );
    expect(ladder.metric).toMatchObject({ name: 'psnr', model: null, subsample: 1 });
    expect(ladder.settings).toMatchObject({ targetQuality: 45, floorQuality: 30, qualityStep: 2 });
    expect(ladder.rungs.length).toBeGreaterThanOrEqual(2);
    expect(ladder.audio).toEqual([]);
    expect(await exists(join(outDir, 'audio'))).toBe(false);
    for (const r of ladder.rungs) {
      expect(r.resolution).toEqual({ width: 320, height: 180 });
      // PSNR in dB, not a VMAF score: capped at 60 and well above the 30 dB floor at these rates.
      expect(r.quality!.mean).toBeGreaterThan(25);
      expect(r.quality!.mean).toBeLessThanOrEqual(60);
    }
    for (let i = 1; i < ladder.rungs.length; i++) {
      expect(ladder.rungs[i]!.quality!.mean).toBeGreaterThan(ladder.rungs[i - 1]!.quality!.mean);
    }
  }, 300_000);

  it('rejects VMAF without a model before any work, writing nothing', async () => {
    const noModel = await detectTools({ ...encoderToolsConfigFromEnv(), vmafModelPath: undefined });
    const parent = join(root, 'out', 'no-model');
    const outDir = join(parent, 'title');
    const before = await workDirs();
    const err: unknown = await encodeTitle(source180, { outDir, metric: 'vmaf' }, { tools: noModel }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: EncoderErrorCode.VmafModelMissing });
    expect((err as Error).message).toContain('VMAF_MODEL_PATH');
    expect((err as Error).message).toContain('psnr');
    expect(await exists(outDir)).toBe(false);
    expect(await exists(parent)).toBe(false);
    expect(await workDirs()).toEqual(before);
  });

  it('rejects a model path that does not exist with ENC_ERR_VMAF_MODEL_MISSING', async () => {
    const missing = join(root, 'nowhere', 'vmaf_v0.6.1.pkl');
    const badTools = await detectTools({ ...encoderToolsConfigFromEnv(), vmafModelPath: missing });
    const outDir = join(root, 'out', 'bad-model');
    const err: unknown = await encodeTitle(source180, { outDir }, { tools: badTools }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: EncoderErrorCode.VmafModelMissing });
    expect((err as Error).message).toContain(missing);
    expect(await exists(outDir)).toBe(false);
  });
});

describe('encodeTitle: invalid options fail before any work', () => {
  const cases: [string, Partial<EncodeOptionsInput>, string][] = [
    ['a VMAF target above 100', { metric: 'vmaf', targetQuality: 150 }, 'targetQuality'],
    ['a floor at or above the target', { targetQuality: 80, floorQuality: 80 }, 'floorQuality'],
    ['segments that are not whole GOPs', { segmentDurationS: 5, gopDurationS: 2 }, 'segmentDurationS'],
    ['an unknown option', { speed: 'fast' } as Partial<EncodeOptionsInput>, 'speed'],
  ];
  for (const [name, options, named] of cases) {
    it(`rejects ${name} with ENC_ERR_INVALID_OPTIONS`, async () => {
      const outDir = join(root, 'out', 'invalid', named);
      const started = performance.now();
      const err: unknown = await encodeTitle(source180, { ...options, outDir }, { tools }).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: EncoderErrorCode.InvalidOptions, statusCode: 400 });
      expect((err as Error).message).toContain(named);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(await exists(dirname(outDir))).toBe(false);
    });
  }
});
