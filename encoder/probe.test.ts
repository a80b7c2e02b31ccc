import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FfprobeData } from 'fluent-ffmpeg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CdnError } from '../common/errors.js';
import { commonFfmpegArgs } from './argv.js';
import { encoderToolsConfigFromEnv } from './config.js';
import { EncoderErrorCode } from './errors.js';
import { runFfmpeg } from './ffmpeg.js';
import { looksLikeMediaContainer, probeSource, sourceFactsFromProbe, type SourceFacts } from './probe.js';
import { makeSyntheticSource } from './synthetic.js';
import { detectTools, type EncoderTools } from './tools.js';

const modelPath =
  process.env.VMAF_MODEL_PATH ?? resolve(import.meta.dirname, '../../shared/vmaf/vmaf_v0.6.1.pkl');

let dir: string;
let tools: EncoderTools;
/** Paths of the real files the tests probe. */
const files = {
  good: '',
  empty: '',
  text: '',
  audioOnly: '',
  y4mNoFrames: '',
  png: '',
  plainMp4: '',
  truncated: '',
  garbled: '',
  directory: '',
};

async function ffmpeg(...args: string[]): Promise<void> {
  await runFfmpeg(tools.ffmpegPath, [...commonFfmpegArgs(), ...args], { timeoutMs: 60_000 });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'probe-test-'));
  tools = await detectTools({ ...encoderToolsConfigFromEnv(), vmafModelPath: modelPath });

  files.good = join(dir, 'good.mp4');
  files.empty = join(dir, 'empty.mp4');
  files.text = join(dir, 'notes.mp4');
  files.audioOnly = join(dir, 'tone.m4a');
  files.y4mNoFrames = join(dir, 'header-only.y4m');
  files.png = join(dir, 'still.png');
  files.plainMp4 = join(dir, 'plain.mp4');
  files.truncated = join(dir, 'truncated.mp4');
  files.garbled = join(dir, 'garbled.mp4');
  files.directory = join(dir, 'a-directory.mp4');

  await Promise.all([
    makeSyntheticSource(
      tools.ffmpegPath,
      {
        pattern: 'moderate',
        resolution: { width: 640, height: 360 },
        durationS: 3,
        fps: 25,
        audio: true,
      },
      files.good,
    ),
    ffmpeg('-f', 'lavfi', '-i', 'sine=duration=2', '-c:a', 'aac', files.audioOnly),
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-frames:v', '1', files.png),
    // Without +faststart the moov atom is written after the media data.
    ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x180:rate=25:duration=3',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      files.plainMp4,
    ),
    ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x180:rate=25:duration=4',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      '-g',
      '250',
      '-movflags',
      '+faststart',
      files.garbled,
    ),
    writeFile(files.empty, ''),
    writeFile(files.text, 'These are meeting notes, not a video.\n'.repeat(20)),
    writeFile(files.y4mNoFrames, 'YUV4MPEG2 W320 H180 F25:1 Ip A1:1 C420jpeg\n'),
    mkdir(files.directory),
  ]);

  const plain = await readFile(files.plainMp4);
  expect(plain.length).toBeGreaterThan(20_000);
  await writeFile(files.truncated, plain.subarray(0, 20_000));

  const garbled = await readFile(files.garbled);
  const mdat = garbled.indexOf('mdat');
  expect(mdat).toBeGreaterThan(0);
  // faststart puts moov first, so the header survives and only the coded frames are damaged.
  expect(garbled.indexOf('moov')).toBeLessThan(mdat);
  for (let i = mdat + 2000; i < garbled.length; i += 3) garbled[i] = (garbled[i]! * 31 + 7) & 255;
  await writeFile(files.garbled, garbled);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('probeSource on real files', () => {
  it('reads the facts of a 640x360 25 fps source with stereo AAC', async () => {
    const facts = await probeSource(tools, files.good);
    expect(facts.path).toBe(files.good);
    expect(facts.sizeBytes).toBeGreaterThan(0);
    expect(facts.container).toContain('mp4');
    expect(facts.durationS).toBeGreaterThan(2.9);
    expect(facts.durationS).toBeLessThan(3.1);
    expect(facts.video).toMatchObject({
      codec: 'h264',
      width: 640,
      height: 360,
      displayWidth: 640,
      displayHeight: 360,
      frameRate: { num: 25, den: 1 },
      pixelFormat: 'yuv420p',
    });
    expect(facts.video.bitrateKbps).toBeGreaterThan(0);
    expect(facts.audio).toHaveLength(1);
    expect(facts.audio[0]).toMatchObject({ audioIndex: 0, codec: 'aac', channels: 2, sampleRateHz: 48000 });
  });

  it('rejects a missing file with ENC_ERR_SOURCE_NOT_FOUND', async () => {
    await expect(probeSource(tools, join(dir, 'does-not-exist.mp4'))).rejects.toMatchObject({
      code: EncoderErrorCode.SourceNotFound,
    });
  });

  it('rejects a directory with ENC_ERR_SOURCE_NOT_FOUND', async () => {
    await expect(probeSource(tools, files.directory)).rejects.toMatchObject({
      code: EncoderErrorCode.SourceNotFound,
    });
  });

  it('rejects an empty file with ENC_ERR_NOT_MEDIA', async () => {
    await expect(probeSource(tools, files.empty)).rejects.toMatchObject({
      code: EncoderErrorCode.NotMedia,
    });
  });

  it('rejects a text file with ENC_ERR_NOT_MEDIA', async () => {
    await expect(probeSource(tools, files.text)).rejects.toMatchObject({
      code: EncoderErrorCode.NotMedia,
    });
  });

  it('rejects an audio-only file with ENC_ERR_NO_VIDEO', async () => {
    await expect(probeSource(tools, files.audioOnly)).rejects.toMatchObject({
      code: EncoderErrorCode.NoVideo,
      message: expect.stringContaining('audio') as unknown,
    });
  });

  it('rejects a y4m stream with a header and no frames with ENC_ERR_ZERO_DURATION', async () => {
    await expect(probeSource(tools, files.y4mNoFrames)).rejects.toMatchObject({
      code: EncoderErrorCode.ZeroDuration,
    });
  });

  it('rejects a single PNG image with ENC_ERR_ZERO_DURATION', async () => {
    await expect(probeSource(tools, files.png)).rejects.toMatchObject({
      code: EncoderErrorCode.ZeroDuration,
    });
  });

  it('rejects an mp4 truncated before its moov atom with ENC_ERR_SOURCE_CORRUPT', async () => {
    await expect(probeSource(tools, files.truncated)).rejects.toMatchObject({
      code: EncoderErrorCode.SourceCorrupt,
    });
  });

  it('rejects an mp4 with garbled media data with ENC_ERR_SOURCE_CORRUPT (the decode check)', async () => {
    await expect(probeSource(tools, files.garbled)).rejects.toMatchObject({
      code: EncoderErrorCode.SourceCorrupt,
      message: expect.stringContaining('does not decode') as unknown,
    });
  });

  it('rejects with a CdnError whose message names the file', async () => {
    const err: unknown = await probeSource(tools, files.text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CdnError);
    expect((err as CdnError).message).toContain(files.text);
  });
});

describe('looksLikeMediaContainer', () => {
  const bytes = (...values: (number | string)[]): Uint8Array =>
    Uint8Array.from(
      values.flatMap((v) => (typeof v === 'string' ? [...v].map((c) => c.charCodeAt(0)) : [v])),
    );

  it('recognises container signatures', () => {
    expect(looksLikeMediaContainer(bytes(0, 0, 0, 0x20, 'ftypisom'))).toBe(true);
    expect(looksLikeMediaContainer(bytes(0, 0, 0, 8, 'moov'))).toBe(true);
    expect(looksLikeMediaContainer(bytes(0x1a, 0x45, 0xdf, 0xa3, 0x9f))).toBe(true);
    expect(looksLikeMediaContainer(bytes('RIFF', 0, 0, 0, 0, 'AVI '))).toBe(true);
    expect(looksLikeMediaContainer(bytes('OggS', 0))).toBe(true);
    expect(looksLikeMediaContainer(bytes('FLV', 1, 5))).toBe(true);
    expect(looksLikeMediaContainer(bytes('YUV4MPEG2 W320'))).toBe(true);
    expect(looksLikeMediaContainer(bytes(0, 0, 1, 0xba, 0x44))).toBe(true);
    expect(looksLikeMediaContainer(bytes(0, 0, 0, 1, 0x67))).toBe(true);
  });

  it('recognises MPEG-TS only with a second sync byte at 188 when the head is long enough', () => {
    const ts = new Uint8Array(376);
    ts[0] = 0x47;
    ts[188] = 0x47;
    expect(looksLikeMediaContainer(ts)).toBe(true);
    const notTs = new Uint8Array(376);
    notTs[0] = 0x47;
    notTs[188] = 0x48;
    expect(looksLikeMediaContainer(notTs)).toBe(false);
  });

  it('rejects text, short heads and unknown bytes', () => {
    expect(looksLikeMediaContainer(bytes('These are meeting notes'))).toBe(false);
    expect(looksLikeMediaContainer(bytes('{"json": true}'))).toBe(false);
    expect(looksLikeMediaContainer(bytes(0, 0, 0))).toBe(false);
    expect(looksLikeMediaContainer(new Uint8Array(0))).toBe(false);
    expect(looksLikeMediaContainer(bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a))).toBe(false);
  });
});

describe('sourceFactsFromProbe', () => {
  const video = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    index: 0,
    codec_type: 'video',
    codec_name: 'h264',
    width: 1280,
    height: 720,
    avg_frame_rate: '30000/1001',
    r_frame_rate: '30000/1001',
    pix_fmt: 'yuv420p',
    sample_aspect_ratio: '1:1',
    ...extra,
  });
  const probe = (
    streams: Record<string, unknown>[],
    format: Record<string, unknown> = {
      format_name: 'mov,mp4,m4a,3gp,3g2,mj2',
      duration: 10,
      bit_rate: 2_000_000,
    },
  ): FfprobeData => ({ streams, format, chapters: [] }) as unknown as FfprobeData;
  const facts = (data: FfprobeData): SourceFacts => {
    const result = sourceFactsFromProbe('/in.mp4', 1234, data);
    if (result instanceof CdnError) throw result;
    return result;
  };

  it('maps streams and format into facts', () => {
    const f = facts(
      probe([
        video({ bit_rate: '1500000' }),
        {
          index: 1,
          codec_type: 'audio',
          codec_name: 'aac',
          channels: 6,
          sample_rate: '44100',
          tags: { language: 'eng' },
        },
        { index: 2, codec_type: 'audio', codec_name: 'ac3', channels: 2, sample_rate: '48000' },
      ]),
    );
    expect(f).toMatchObject({
      path: '/in.mp4',
      sizeBytes: 1234,
      container: 'mov,mp4,m4a,3gp,3g2,mj2',
      durationS: 10,
    });
    expect(f.video).toEqual({
      codec: 'h264',
      width: 1280,
      height: 720,
      displayWidth: 1280,
      displayHeight: 720,
      frameRate: { num: 30000, den: 1001 },
      pixelFormat: 'yuv420p',
      bitrateKbps: 1500,
    });
    expect(f.audio).toEqual([
      { audioIndex: 0, codec: 'aac', channels: 6, sampleRateHz: 44100, language: 'eng' },
      { audioIndex: 1, codec: 'ac3', channels: 2, sampleRateHz: 48000, language: undefined },
    ]);
  });

  it('treats a video stream that is only an attached picture as no video', () => {
    const result = sourceFactsFromProbe(
      '/song.m4a',
      10,
      probe([
        { index: 0, codec_type: 'audio', codec_name: 'aac', channels: 2, sample_rate: '48000' },
        video({ index: 1, codec_name: 'mjpeg', disposition: { attached_pic: 1 } }),
      ]),
    );
    expect(result).toBeInstanceOf(CdnError);
    expect(result).toMatchObject({ code: EncoderErrorCode.NoVideo });
    expect((result as CdnError).message).toContain('audio (aac)');
  });

  it('reports no streams at all as no video', () => {
    expect(sourceFactsFromProbe('/x', 10, probe([]))).toMatchObject({
      code: EncoderErrorCode.NoVideo,
      message: expect.stringContaining('no streams') as unknown,
    });
  });

  it('reports a missing duration (format and stream) as zero duration', () => {
    expect(sourceFactsFromProbe('/x', 10, probe([video()], { format_name: 'image2' }))).toMatchObject({
      code: EncoderErrorCode.ZeroDuration,
    });
    expect(
      sourceFactsFromProbe(
        '/x',
        10,
        probe([video({ duration: 'N/A' })], { format_name: 'mp4', duration: 'N/A' }),
      ),
    ).toMatchObject({ code: EncoderErrorCode.ZeroDuration });
  });

  it("falls back to the video stream's duration when the format has none", () => {
    expect(facts(probe([video({ duration: '7.5' })], { format_name: 'mp4' })).durationS).toBe(7.5);
  });

  it('reports a video stream without a frame size or frame rate as corrupt', () => {
    expect(sourceFactsFromProbe('/x', 10, probe([video({ width: 0 })]))).toMatchObject({
      code: EncoderErrorCode.SourceCorrupt,
    });
    expect(
      sourceFactsFromProbe('/x', 10, probe([video({ avg_frame_rate: '0/0', r_frame_rate: '0/0' })])),
    ).toMatchObject({ code: EncoderErrorCode.SourceCorrupt });
  });

  it('falls back to r_frame_rate when avg_frame_rate is 0/0', () => {
    expect(facts(probe([video({ avg_frame_rate: '0/0', r_frame_rate: '25/1' })])).video.frameRate).toEqual({
      num: 25,
      den: 1,
    });
  });

  it('applies the sample aspect ratio to the display size', () => {
    const wide = facts(probe([video({ width: 720, height: 576, sample_aspect_ratio: '4:3' })]));
    expect(wide.video).toMatchObject({ width: 720, height: 576, displayWidth: 960, displayHeight: 576 });
    const tall = facts(probe([video({ width: 720, height: 576, sample_aspect_ratio: '8:9' })]));
    expect(tall.video).toMatchObject({ width: 720, height: 576, displayWidth: 720, displayHeight: 648 });
    const unknown = facts(probe([video({ width: 720, height: 576, sample_aspect_ratio: '0:1' })]));
    expect(unknown.video).toMatchObject({ displayWidth: 720, displayHeight: 576 });
  });
});
