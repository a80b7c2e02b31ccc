import { open, stat } from 'node:fs/promises';
import ffmpeg, { type FfprobeData, type FfprobeStream } from 'fluent-ffmpeg';
import { CdnError } from '../common/errors.js';
import { lastLines } from '../common/process.js';
import { buildDecodeCheckArgs, type FrameRate } from './argv.js';
import { EncoderErrorCode, encoderError } from './errors.js';
import { runFfmpeg } from './ffmpeg.js';
import type { Resolution } from './ladder/types.js';
import type { EncoderTools } from './tools.js';

export interface AudioStreamFacts {
  /** Index among the audio streams (for `-map 0:a:N`). */
  audioIndex: number;
  codec: string;
  channels: number;
  sampleRateHz: number;
  language: string | undefined;
}

/** What the encoder needs to know about a source before any work starts. */
export interface SourceFacts {
  path: string;
  sizeBytes: number;
  container: string;
  durationS: number;
  video: {
    codec: string;
    /** Coded size. */
    width: number;
    height: number;
    /** Size as displayed (sample aspect ratio applied), which the ladder keeps. */
    displayWidth: number;
    displayHeight: number;
    frameRate: FrameRate;
    pixelFormat: string;
    bitrateKbps: number | undefined;
  };
  audio: AudioStreamFacts[];
}

/** Container signatures, to tell a damaged media file from something that is not media at all. */
export function looksLikeMediaContainer(head: Uint8Array): boolean {
  const ascii = (from: number, to: number): string => String.fromCharCode(...head.subarray(from, to));
  if (head.length < 4) return false;
  const box = ascii(4, 8);
  if (['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip', 'styp', 'moof'].includes(box)) return true; // ISO BMFF
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return true; // EBML: Matroska/WebM
  if (['RIFF', 'OggS', 'fLaC'].includes(ascii(0, 4)) || ascii(0, 3) === 'FLV' || ascii(0, 3) === 'ID3')
    return true;
  if (ascii(0, 9) === 'YUV4MPEG2') return true;
  if (head[0] === 0x47 && (head.length < 189 || head[188] === 0x47)) return true; // MPEG-TS sync bytes
  if (head[0] === 0 && head[1] === 0 && head[2] === 1 && (head[3] === 0xba || head[3] === 0xb3)) return true; // MPEG-PS/ES
  if (head[0] === 0 && head[1] === 0 && ((head[2] === 0 && head[3] === 1) || head[2] === 1)) return true; // Annex B
  return false;
}

function parseRate(text: string | undefined): FrameRate | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(text ?? '');
  if (!match) return undefined;
  const num = Number(match[1]);
  const den = Number(match[2]);
  return num > 0 && den > 0 ? { num, den } : undefined;
}

function parseRatio(text: string | undefined): number {
  const match = /^(\d+):(\d+)$/.exec(text ?? '');
  if (!match) return 1;
  const num = Number(match[1]);
  const den = Number(match[2]);
  return num > 0 && den > 0 ? num / den : 1;
}

function positiveNumber(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Turns ffprobe's answer into source facts, or the coded reason the source cannot be encoded. */
export function sourceFactsFromProbe(
  path: string,
  sizeBytes: number,
  data: FfprobeData,
): SourceFacts | CdnError {
  const streams: FfprobeStream[] = data.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  if (!video) {
    return encoderError(
      EncoderErrorCode.NoVideo,
      `${path} has no video stream (found: ${describeStreams(streams)})`,
    );
  }
  const width = positiveNumber(video.width);
  const height = positiveNumber(video.height);
  if (width === undefined || height === undefined) {
    return encoderError(EncoderErrorCode.SourceCorrupt, `${path}: the video stream has no frame size`);
  }
  const durationS = positiveNumber(data.format?.duration) ?? positiveNumber(video.duration);
  if (durationS === undefined) {
    return encoderError(EncoderErrorCode.ZeroDuration, `${path} has no duration (empty, or a still image)`);
  }
  const frameRate = parseRate(video.avg_frame_rate) ?? parseRate(video.r_frame_rate);
  if (!frameRate) {
    return encoderError(EncoderErrorCode.SourceCorrupt, `${path}: the video stream has no frame rate`);
  }
  const sar = parseRatio(video.sample_aspect_ratio);
  const displayWidth = sar >= 1 ? Math.round(width * sar) : width;
  const displayHeight = sar >= 1 ? height : Math.round(height / sar);
  const audioStreams = streams.filter((s) => s.codec_type === 'audio');
  const bitRate = positiveNumber(video.bit_rate) ?? positiveNumber(data.format?.bit_rate);
  return {
    path,
    sizeBytes,
    container: String(data.format?.format_name ?? 'unknown'),
    durationS,
    video: {
      codec: video.codec_name ?? 'unknown',
      width,
      height,
      displayWidth,
      displayHeight,
      frameRate,
      pixelFormat: video.pix_fmt ?? 'unknown',
      bitrateKbps: bitRate === undefined ? undefined : Math.round(bitRate / 1000),
    },
    audio: audioStreams.map((s, audioIndex) => ({
      audioIndex,
      codec: s.codec_name ?? 'unknown',
      channels: positiveNumber(s.channels) ?? 0,
      sampleRateHz: positiveNumber(s.sample_rate) ?? 0,
      language: languageTag(s),
    })),
  };
}

function languageTag(stream: FfprobeStream): string | undefined {
  const tags = (stream as { tags?: Record<string, unknown> }).tags;
  const language = tags?.language;
  return typeof language === 'string' ? language : undefined;
}

function describeStreams(streams: FfprobeStream[]): string {
  if (streams.length === 0) return 'no streams';
  return streams
    .map((s) => `${s.codec_type ?? 'unknown'}${s.codec_name ? ` (${s.codec_name})` : ''}`)
    .join(', ');
}

function ffprobeData(ffprobePath: string, path: string): Promise<FfprobeData> {
  return new Promise((resolve, reject) => {
    ffmpeg(path)
      .setFfprobePath(ffprobePath)
      .ffprobe((err: unknown, data: FfprobeData) => (err ? reject(asError(err)) : resolve(data)));
  });
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(typeof err === 'string' ? err : JSON.stringify(err));
}

async function readHead(path: string, bytes: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** How much of the source to decode up front to catch corrupt data before any work starts, in s. */
const DECODE_CHECK_S = 3;

/**
 * Probes a source and rejects what cannot be encoded, before any work starts: a missing file, a file
 * that is not media, one with no video or no duration, and data that does not decode.
 */
export async function probeSource(
  tools: EncoderTools,
  path: string,
  signal?: AbortSignal,
): Promise<SourceFacts> {
  let sizeBytes: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw encoderError(EncoderErrorCode.SourceNotFound, `${path} is not a file`);
    sizeBytes = info.size;
  } catch (err) {
    if (err instanceof CdnError) throw err;
    throw encoderError(EncoderErrorCode.SourceNotFound, `source not found: ${path}`, { cause: err });
  }
  if (sizeBytes === 0) throw encoderError(EncoderErrorCode.NotMedia, `${path} is empty`);

  let data: FfprobeData;
  try {
    data = await ffprobeData(tools.ffprobePath, path);
  } catch (err) {
    const reason = lastLines(err instanceof Error ? err.message : String(err), 2);
    if (/ENOENT|spawn/.test(reason) && !/No such file or directory/.test(reason)) {
      throw encoderError(
        EncoderErrorCode.FfmpegNotFound,
        `cannot run ffprobe at ${tools.ffprobePath} (set FFPROBE_PATH)`,
        { cause: err },
      );
    }
    const head = await readHead(path, 512);
    throw looksLikeMediaContainer(head)
      ? encoderError(
          EncoderErrorCode.SourceCorrupt,
          `${path} looks like media but cannot be read: ${reason}`,
          { cause: err },
        )
      : encoderError(EncoderErrorCode.NotMedia, `${path} is not a media file: ${reason}`, { cause: err });
  }
  const facts = sourceFactsFromProbe(path, sizeBytes, data);
  if (facts instanceof CdnError) throw facts;

  try {
    // Decode check: a minute's timeout is far above the few seconds of decoding it does.
    await runFfmpeg(tools.ffmpegPath, buildDecodeCheckArgs(path, DECODE_CHECK_S), {
      timeoutMs: 60_000,
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (err instanceof CdnError && err.code === EncoderErrorCode.FfmpegExit) {
      throw encoderError(
        EncoderErrorCode.SourceCorrupt,
        `${path} has data that does not decode: ${err.message}`,
        { cause: err },
      );
    }
    throw err;
  }
  return facts;
}

/** The source's display resolution, which the ladder's candidates are capped to. */
export function displayResolution(facts: SourceFacts): Resolution {
  return { width: facts.video.displayWidth, height: facts.video.displayHeight };
}
