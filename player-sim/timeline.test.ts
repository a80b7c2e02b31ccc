import { describe, expect, it } from 'vitest';
import { PlayerHttpErrorCode, playerHttpError } from './http/errors.js';
import { seededRandom } from '../common/random.js';
import { codeOf } from '../test/helpers/errors.js';
import { constantTrace, evenLadder, scriptedStrategy, simulate, stepTrace } from '../test/player/helpers.js';
import { createStrategy } from './abr/index.js';
import { VirtualClock } from './clock.js';
import { resolvePlayerConfig, type PlayerConfigInput } from './config.js';
import type { Ladder } from './ladder.js';
import { NetworkModel } from './network.js';
import { runSession, type SegmentFetcher, type SessionEvent, type SessionResult } from './session.js';
import { sessionTimeline, type TimelinePoint } from './timeline.js';
import { VirtualFetcher } from './virtual.js';

/** Points as [tMs, kbit/s, buffer s] triples, rounded to µs / ms of media, for toEqual. */
const triples = (points: readonly TimelinePoint[]) =>
  points.map((p) => [Math.round(p.tMs * 1000) / 1000, p.bitrateKbps, Math.round(p.bufferS * 1e6) / 1e6]);

/** A step so large that only the breakpoints remain. */
const BREAKPOINTS_ONLY = { stepMs: 1e12 };

describe('sessionTimeline: hand-computed sessions', () => {
  it('startup, a stall after every segment, and the end of the title', async () => {
    // 1 Mbit/s rung, 2 s segments at 1000 kbit/s with 100 ms latency: each takes 2.1 s (see
    // session.test.ts): startup at 2100, stalls 4100-4200, 6200-6300, 8300-8400, end at 10400.
    const result = await simulate(
      evenLadder([500, 1000], 4),
      constantTrace(1000, 100),
      scriptedStrategy([1]),
    );
    expect(triples(sessionTimeline(result, BREAKPOINTS_ONLY))).toEqual([
      [0, undefined, 0],
      [2100, undefined, 0],
      [2100, 1000, 2],
      [4100, 1000, 0],
      [4200, 1000, 0],
      [4200, 1000, 2],
      [6200, 1000, 0],
      [6300, 1000, 0],
      [6300, 1000, 2],
      [8300, 1000, 0],
      [8400, 1000, 0],
      [8400, 1000, 2],
      [10400, 1000, 0],
    ]);
  });

  it('the rung changes when the playhead crosses into a segment of another rung, not at its download', async () => {
    // Rungs 500 / 1000 kbit/s, script 0,1,1,0, 1000 kbit/s with 100 ms latency:
    // seg0 0-1100 (startup), seg1 1100-3200 (stall 3100-3200), seg2 3200-5300 (stall 5200-5300),
    // seg3 5300-6400 (buffer 0.9 s before, 2.9 s after). The playhead enters seg3 (rung 0) at
    // 7300 and the title ends at 9300.
    const result = await simulate(
      evenLadder([500, 1000], 4),
      constantTrace(1000, 100),
      scriptedStrategy([0, 1, 1, 0]),
    );
    expect(result.endMs).toBe(9300);
    expect(triples(sessionTimeline(result, BREAKPOINTS_ONLY))).toEqual([
      [0, undefined, 0],
      [1100, undefined, 0],
      [1100, 500, 2],
      [3100, 500, 0],
      [3200, 500, 0],
      [3200, 1000, 2],
      [5200, 1000, 0],
      [5300, 1000, 0],
      [5300, 1000, 2],
      [6400, 1000, 0.9],
      [6400, 1000, 2.9],
      [7300, 500, 2],
      [9300, 500, 0],
    ]);
    // The regular step adds points on the same lines.
    const stepped = sessionTimeline(result, { stepMs: 1000 });
    const at = (tMs: number) => stepped.filter((p) => p.tMs === tMs).map((p) => [p.bitrateKbps, p.bufferS]);
    expect(at(1000)).toEqual([[undefined, 0]]);
    expect(at(2000)).toEqual([[500, 1.1]]);
    expect(at(7000)).toEqual([[1000, expect.closeTo(2.3, 9)]]);
    expect(at(9000)).toEqual([[500, expect.closeTo(0.3, 9)]]);
    expect(stepped.length).toBe(13 + 9);
  });

  it('times are relative to the session start on any clock', async () => {
    const clock = new VirtualClock(1_000_000);
    const fetcher = new VirtualFetcher({ network: new NetworkModel(constantTrace(1000, 100)), clock });
    const result = await runSession({
      ladder: evenLadder([500, 1000], 4),
      strategy: scriptedStrategy([1]),
      clock,
      fetcher,
    });
    expect(result.startMs).toBe(1_000_000);
    const points = sessionTimeline(result, BREAKPOINTS_ONLY);
    expect(points[0]!.tMs).toBe(0);
    expect(points.at(-1)!.tMs).toBe(10_400);
    expect(points.find((p) => p.bitrateKbps !== undefined)!.tMs).toBe(2100);
  });

  /**
   * A 1000 kbit/s rung over 1000 kbit/s without latency (2 s per 2 s segment) whose fetches from
   * segment `failFrom` on hang `hangMs` and fail.
   */
  async function failingSession(failFrom: number, hangMs: number, config: PlayerConfigInput = {}) {
    const clock = new VirtualClock();
    const inner = new VirtualFetcher({ network: new NetworkModel(constantTrace(1000)), clock });
    const fetcher: SegmentFetcher = {
      async fetch(request, options) {
        if (request.segmentIndex < failFrom) return inner.fetch(request, options);
        await clock.sleep(hangMs);
        throw playerHttpError(PlayerHttpErrorCode.AllEdgesFailed, 'every edge failed');
      },
    };
    return runSession({
      ladder: evenLadder([1000], 4),
      strategy: scriptedStrategy([0]),
      clock,
      fetcher,
      config,
    });
  }

  it('a session that failed during a stall ends frozen with an empty buffer', async () => {
    // The fetch of segment 2 hangs 3 s and fails: the buffer runs dry at 6000, the session ends at 7000.
    const result = await failingSession(2, 3000);
    expect(result.outcome).toBe('failed');
    expect(result.rebuffers).toEqual([{ startMs: 6000, durationMs: 1000, positionMs: 4000 }]);
    expect(triples(sessionTimeline(result, BREAKPOINTS_ONLY))).toEqual([
      [0, undefined, 0],
      [2000, undefined, 0],
      [2000, 1000, 2],
      [4000, 1000, 0],
      [4000, 1000, 2],
      [6000, 1000, 0],
      [7000, 1000, 0],
    ]);
  });

  it('a session that failed before startup never has a bitrate, and keeps what it downloaded', async () => {
    const result = await failingSession(1, 500, { startupBufferMs: 4000 });
    expect(result.startupDelayMs).toBeUndefined();
    expect(triples(sessionTimeline(result, BREAKPOINTS_ONLY))).toEqual([
      [0, undefined, 0],
      [2000, undefined, 0],
      [2000, undefined, 2],
      [2500, undefined, 2],
    ]);
  });

  it('rejects a step that is not a positive finite number', async () => {
    const result = await simulate(evenLadder([1000], 2), constantTrace(2000), scriptedStrategy([0]));
    for (const stepMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(codeOf(() => sessionTimeline(result, { stepMs }))).toBe('PLAYER_ERR_INVALID_OPTIONS');
    }
  });
});

describe('sessionTimeline: properties over random sessions', () => {
  const ladder: Ladder = evenLadder([300, 750, 1500, 3000, 6000], 30, 4000);
  const totalS = 30 * 4;
  const config = resolvePlayerConfig({ maxBufferMs: 20_000 });

  /** A trace of 2-6 s periods between 200 and 8000 kbit/s, with latency. */
  function randomTrace(seed: number) {
    const random = seededRandom(seed);
    const steps: Array<[number, number]> = Array.from({ length: 80 }, () => [
      2000 + Math.floor(random() * 4000),
      200 + Math.floor(random() * 7800),
    ]);
    return stepTrace(steps, 40 + Math.floor(random() * 80), `random-${seed}`);
  }

  const cases = ['bola', 'bba', 'mpc', 'throughput'].flatMap((strategy, s) =>
    [1, 2, 3].map((seed) => ({ strategy, seed: seed + 10 * s })),
  );

  it.each(cases)('$strategy on trace $seed', async ({ strategy, seed }) => {
    const events: SessionEvent[] = [];
    const clock = new VirtualClock(seed * 1000);
    const fetcher = new VirtualFetcher({ network: new NetworkModel(randomTrace(seed)), clock });
    const result: SessionResult = await runSession({
      ladder,
      strategy: createStrategy(strategy),
      clock,
      fetcher,
      config: { maxBufferMs: config.maxBufferMs },
      onEvent: (e) => events.push(e),
    });
    expect(result.outcome).toBe('completed');
    const points = sessionTimeline(result);
    const durationMs = result.endMs - result.startMs;
    const bitrates = new Set(ladder.rungs.map((r) => r.bitrateBps / 1000));

    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      expect(p.bufferS).toBeGreaterThanOrEqual(0);
      expect(p.bufferS).toBeLessThanOrEqual(totalS);
      // The engine only requests a segment that fits: the buffer never exceeds maxBufferMs.
      expect(p.bufferS).toBeLessThanOrEqual(config.maxBufferMs / 1000 + 1e-9);
      expect(p.tMs).toBeGreaterThanOrEqual(0);
      expect(p.tMs).toBeLessThanOrEqual(durationMs);
      if (i > 0) expect(p.tMs).toBeGreaterThanOrEqual(points[i - 1]!.tMs);
      // At startup itself the point just before the first segment arrived has no bitrate yet.
      if (p.tMs < result.startupDelayMs!) expect(p.bitrateKbps).toBeUndefined();
      else if (p.tMs > result.startupDelayMs!) expect(bitrates.has(p.bitrateKbps!)).toBe(true);
    }
    // The engine's own view: the buffer after each segment and the empty buffer at each stall.
    const bufferAt = (atMs: number) =>
      points.filter((p) => Math.abs(p.tMs - (atMs - result.startMs)) < 1e-6).map((p) => p.bufferS);
    for (const e of events) {
      if (e.type === 'segment_loaded') expect(bufferAt(e.atMs).at(-1)).toBeCloseTo(e.bufferMs / 1000, 6);
      if (e.type === 'rebuffer_start') expect(bufferAt(e.atMs)[0]).toBeCloseTo(0, 6);
    }
    // Playback starts with the first segment's rung and the title plays out to an empty buffer.
    const first = points.find((p) => p.bitrateKbps !== undefined)!;
    expect(first.tMs).toBeCloseTo(result.startupDelayMs!, 6);
    expect(first.bitrateKbps).toBe(result.segments[0]!.bitrateBps / 1000);
    expect(points.at(-1)!).toMatchObject({ tMs: durationMs, bufferS: 0 });
    expect(points.at(-1)!.bitrateKbps).toBe(result.segments.at(-1)!.bitrateBps / 1000);
  });
});
