import { describe, expect, it } from 'vitest';
import { codeOf } from '../test/helpers/errors.js';
import { constantTrace, evenLadder, scriptedStrategy, simulate } from '../test/player/helpers.js';
import type { Ladder } from './ladder.js';
import { p1203AudioCodec, p1203VideoCodec, toP1203Input } from './p1203.js';

describe('ITU-T P.1203 mode 0 input', () => {
  const base = evenLadder([500, 1000], 4);
  const ladder: Ladder = {
    ...base,
    rungs: [
      {
        id: 'lo',
        bitrateBps: 628_000,
        videoBitrateBps: 500_000,
        width: 640,
        height: 360,
        frameRate: 25,
        codecs: 'avc1.64001e',
      },
      {
        id: 'hi',
        bitrateBps: 1_128_000,
        videoBitrateBps: 1_000_000,
        width: 1280,
        height: 720,
        frameRate: 25,
        codecs: 'avc1.64001f',
      },
    ],
    audio: { id: 'a', bitrateBps: 128_000, codecs: 'mp4a.40.2' },
  };

  it('segments, stalls (initial loading at 0) and audio of a session', async () => {
    // 1000 kbit/s, 100 ms latency: rung 1 segments (2.256 Mbit) take 2.356 s for 2 s of media, so the
    // second one stalls 0.356 s; rung 0 segments (1.256 Mbit) keep up.
    const result = await simulate(ladder, constantTrace(1000, 100), scriptedStrategy([1, 1, 0]));
    const input = toP1203Input(result, ladder, { streamId: 7 });
    expect(input.I13.streamId).toBe(7);
    expect(input.I13.segments).toEqual([
      {
        bitrate: 1000,
        codec: 'h264',
        duration: 2,
        fps: 25,
        resolution: '1280x720',
        start: 0,
        representation: 1,
      },
      {
        bitrate: 1000,
        codec: 'h264',
        duration: 2,
        fps: 25,
        resolution: '1280x720',
        start: 2,
        representation: 1,
      },
      {
        bitrate: 500,
        codec: 'h264',
        duration: 2,
        fps: 25,
        resolution: '640x360',
        start: 4,
        representation: 0,
      },
      {
        bitrate: 500,
        codec: 'h264',
        duration: 2,
        fps: 25,
        resolution: '640x360',
        start: 6,
        representation: 0,
      },
    ]);
    expect(input.I23.stalling).toEqual([
      [0, 2.356],
      [2, 0.356],
    ]);
    expect(input.I11?.segments[3]).toEqual({ bitrate: 128, codec: 'aaclc', duration: 2, start: 6 });
    expect(input.IGen).toEqual({ device: 'pc', displaySize: '1920x1080' });
  });

  it('needs the format of rungs that do not carry it', async () => {
    const plain = evenLadder([500, 1000], 2);
    const result = await simulate(plain, constantTrace(5000), scriptedStrategy([0]));
    expect(codeOf(() => toP1203Input(result, plain))).toBe('PLAYER_ERR_INVALID_OPTIONS');
    const input = toP1203Input(result, plain, {
      rungFormat: () => ({ width: 960, height: 540, frameRate: 30 }),
    });
    expect(input.I13.segments[0]).toMatchObject({ bitrate: 500, resolution: '960x540', fps: 30 });
    expect(input.I11).toBeUndefined();
  });

  it('maps codecs to the names P.1203 knows', () => {
    expect(p1203VideoCodec('hvc1.1.6.L93.B0')).toBe('hevc');
    expect(p1203VideoCodec('vp09.00.10.08')).toBe('vp9');
    expect(p1203VideoCodec(undefined)).toBe('h264');
    expect(p1203AudioCodec('mp4a.40.5')).toBe('heaac');
    expect(p1203AudioCodec('ac-3')).toBe('ac3');
    expect(p1203AudioCodec('mp4a.40.2')).toBe('aaclc');
  });
});
