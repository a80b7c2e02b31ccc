/**
 * ITU-T P.1203 mode 0 input for a session (pure): the JSON the reference implementation
 * (`itu-p1203`, github.com/itu-p1203/itu-p1203) reads. Mode 0 needs only metadata per segment:
 * I.13 video segments (bitrate kbit/s, codec, duration s, fps, resolution, start s in media time),
 * I.11 audio segments (bitrate, codec, duration, start), I.23 stalling events as
 * [media time s, duration s] with the initial loading at media time 0, and IGen (device, display).
 */
import { PlayerErrorCode, playerError } from './errors.js';
import type { Ladder } from './ladder.js';
import type { SessionResult } from './session.js';

export interface P1203VideoSegment {
  bitrate: number;
  codec: string;
  duration: number;
  fps: number;
  resolution: string;
  start: number;
  /** The media quality level (rung), so that a switch flushes the measurement window (clause 7.4). */
  representation: number;
}

export interface P1203AudioSegment {
  bitrate: number;
  codec: string;
  duration: number;
  start: number;
}

export interface P1203Input {
  I11?: { segments: P1203AudioSegment[]; streamId: number };
  I13: { segments: P1203VideoSegment[]; streamId: number };
  I23: { stalling: Array<[number, number]>; streamId: number };
  IGen: { device: 'pc' | 'mobile'; displaySize: string; viewingDistance?: string };
}

export interface P1203Options {
  streamId?: number;
  device?: 'pc' | 'mobile';
  /** Display resolution `WxH` (default 1920x1080, the reference's default PC display). */
  displaySize?: string;
  /** For ladders without resolution or frame rate (Sabre ladders): what each rung is. */
  rungFormat?: (rungIndex: number) => { width: number; height: number; frameRate: number };
}

/** P.1203 video codec names from RFC 6381 codecs strings (only h264 is in the standard itself). */
export function p1203VideoCodec(codecs: string | undefined): string {
  const first = (codecs ?? 'avc1').split(',')[0]!.trim().toLowerCase();
  if (first.startsWith('hvc1') || first.startsWith('hev1')) return 'hevc';
  if (first.startsWith('vp09') || first.startsWith('vp9')) return 'vp9';
  return 'h264';
}

/** P.1203 audio codec names (mp2, ac3, aaclc, heaac) from RFC 6381 codecs strings. */
export function p1203AudioCodec(codecs: string | undefined): string {
  const c = (codecs ?? 'mp4a.40.2').toLowerCase();
  if (c === 'mp4a.40.5' || c === 'mp4a.40.29') return 'heaac';
  if (c === 'ac-3' || c === 'ec-3') return 'ac3';
  if (c === 'mp4a.40.34' || c === 'mp4a.6b') return 'mp2';
  return 'aaclc';
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function toP1203Input(result: SessionResult, ladder: Ladder, options: P1203Options = {}): P1203Input {
  const streamId = options.streamId ?? 0;
  const played = result.segments.filter((s) => s.mediaStartMs < result.playedMs);
  const audioBps = ladder.audio?.bitrateBps ?? 0;
  const video = played.map((s): P1203VideoSegment => {
    const rung = ladder.rungs[s.rungIndex]!;
    const format =
      rung.width !== undefined && rung.height !== undefined && rung.frameRate !== undefined
        ? { width: rung.width, height: rung.height, frameRate: rung.frameRate }
        : options.rungFormat?.(s.rungIndex);
    if (format === undefined) {
      throw playerError(
        PlayerErrorCode.InvalidOptions,
        `rung ${s.rungIndex} has no resolution or frame rate: give rungFormat to export P.1203 input`,
      );
    }
    const videoBps = rung.videoBitrateBps ?? rung.bitrateBps - audioBps;
    return {
      bitrate: round3(videoBps / 1000),
      codec: p1203VideoCodec(rung.codecs),
      duration: round3(s.durationMs / 1000),
      fps: round3(format.frameRate),
      resolution: `${format.width}x${format.height}`,
      start: round3(s.mediaStartMs / 1000),
      representation: s.rungIndex,
    };
  });
  const stalling: Array<[number, number]> = [];
  if (result.startupDelayMs !== undefined && result.startupDelayMs > 0) {
    stalling.push([0, round3(result.startupDelayMs / 1000)]);
  }
  for (const r of result.rebuffers) stalling.push([round3(r.positionMs / 1000), round3(r.durationMs / 1000)]);
  const input: P1203Input = {
    I13: { segments: video, streamId },
    I23: { stalling, streamId },
    IGen: { device: options.device ?? 'pc', displaySize: options.displaySize ?? '1920x1080' },
  };
  const audio = ladder.audio;
  if (audio !== undefined && audio.bitrateBps > 0) {
    input.I11 = {
      segments: played.map((s) => ({
        bitrate: round3(audio.bitrateBps / 1000),
        codec: p1203AudioCodec(audio.codecs),
        duration: round3(s.durationMs / 1000),
        start: round3(s.mediaStartMs / 1000),
      })),
      streamId,
    };
  }
  return input;
}
