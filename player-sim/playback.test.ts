import { describe, expect, it } from 'vitest';
import { PlaybackBuffer } from './playback.js';

const seg = (segmentIndex: number, durationMs = 2000) => ({ segmentIndex, rungIndex: 0, durationMs });

describe('PlaybackBuffer', () => {
  it('starts once the startup threshold is buffered, counting the delay from the session start', () => {
    const p = new PlaybackBuffer({ startMs: 100, startupBufferMs: 3000, rebufferResumeMs: 0 });
    expect(p.append(seg(0), 600)).toEqual([]);
    expect(p.phase).toBe('startup');
    expect(p.advanceTo(5000)).toEqual([]);
    expect(p.bufferMs).toBe(2000);
    expect(p.append(seg(1), 5100)).toEqual([{ type: 'startup', atMs: 5100, startupDelayMs: 5000 }]);
    expect(p.phase).toBe('playing');
    expect(p.bufferMs).toBe(4000);
  });

  it('stalls when the buffer runs dry, at the exact time, and resumes with the next segment', () => {
    const p = new PlaybackBuffer({ startMs: 0, startupBufferMs: 0, rebufferResumeMs: 0 });
    expect(p.append(seg(0), 1000)).toEqual([{ type: 'startup', atMs: 1000, startupDelayMs: 1000 }]);
    // Exactly empty is not a stall yet.
    expect(p.advanceTo(3000)).toEqual([]);
    expect(p.advanceTo(3500)).toEqual([{ type: 'rebuffer_start', atMs: 3000, positionMs: 2000 }]);
    expect(p.phase).toBe('stalled');
    expect(p.rebufferMsAt(3700)).toBe(700);
    expect(p.append(seg(1), 4250)).toEqual([
      { type: 'rebuffer_end', atMs: 4250, positionMs: 2000, durationMs: 1250 },
    ]);
    expect(p.rebuffers).toEqual([{ startMs: 3000, durationMs: 1250, positionMs: 2000 }]);
    expect(p.advanceTo(5250)).toEqual([]);
    expect(p.positionMs).toBe(3000);
  });

  it('resumes only at the resume threshold', () => {
    const p = new PlaybackBuffer({ startMs: 0, startupBufferMs: 0, rebufferResumeMs: 3000 });
    p.append(seg(0), 0);
    p.advanceTo(2500);
    expect(p.append(seg(1), 3000)).toEqual([]);
    expect(p.append(seg(2), 3500).map((e) => e.type)).toEqual(['rebuffer_end']);
    expect(p.rebuffers[0]!.durationMs).toBe(1500);
  });

  it('ends when the last segment has played; plays a short title below the startup threshold', () => {
    const p = new PlaybackBuffer({ startMs: 0, startupBufferMs: 10_000, rebufferResumeMs: 0 });
    p.append(seg(0), 100);
    expect(p.finish(200)).toEqual([{ type: 'startup', atMs: 200, startupDelayMs: 200 }]);
    expect(p.advanceTo(5000)).toEqual([{ type: 'ended', atMs: 2200, positionMs: 2000 }]);
    expect(p.phase).toBe('ended');
    expect(p.advanceTo(9000)).toEqual([]);
  });

  it('closes a stall that is still open when the session stops', () => {
    const p = new PlaybackBuffer({ startMs: 0, startupBufferMs: 0, rebufferResumeMs: 0 });
    p.append(seg(0), 0);
    p.advanceTo(4000);
    expect(p.closeStall(4500)).toEqual([
      { type: 'rebuffer_end', atMs: 4500, positionMs: 2000, durationMs: 2500 },
    ]);
    expect(p.closeStall(5000)).toEqual([]);
  });
});
