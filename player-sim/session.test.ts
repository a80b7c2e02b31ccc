import { describe, expect, it } from 'vitest';
import { CdnError } from '../common/errors.js';
import { codeOfAsync } from '../test/helpers/errors.js';
import { constantTrace, evenLadder, scriptedStrategy, simulate } from '../test/player/helpers.js';
import { CONTINUE, type AbrStrategy } from './abr/types.js';
import { SystemClock, VirtualClock } from './clock.js';
import { NetworkModel } from './network.js';
import { runSession, type SegmentFetcher, type SessionEvent } from './session.js';
import { VirtualFetcher, virtualSetup } from './virtual.js';

describe('session engine in virtual time (hand-computed timelines)', () => {
  it('startup, per-request latency and stalls', async () => {
    // Rung 1 segments are 2 Mbit: 2 s at 1000 kbit/s after 100 ms of latency, for 2 s of media.
    const events: SessionEvent[] = [];
    const { clock, fetcher } = virtualSetup(new NetworkModel(constantTrace(1000, 100)));
    const result = await runSession({
      ladder: evenLadder([500, 1000], 4),
      strategy: scriptedStrategy([1]),
      clock,
      fetcher,
      onEvent: (e) => events.push(e),
    });
    expect(result.outcome).toBe('completed');
    expect(result.segments.map((s) => [s.requestMs, s.firstByteMs, s.endMs])).toEqual([
      [0, 100, 2100],
      [2100, 2200, 4200],
      [4200, 4300, 6300],
      [6300, 6400, 8400],
    ]);
    expect(result.startupDelayMs).toBe(2100);
    expect(result.rebuffers).toEqual([
      { startMs: 4100, durationMs: 100, positionMs: 2000 },
      { startMs: 6200, durationMs: 100, positionMs: 4000 },
      { startMs: 8300, durationMs: 100, positionMs: 6000 },
    ]);
    expect(result.endMs).toBe(10_400);
    expect(result.playedMs).toBe(8000);
    expect(result.qoe).toMatchObject({
      startupDelayMs: 2100,
      rebufferCount: 3,
      rebufferDurationMs: 300,
      rebufferRatio: 300 / 8300,
      avgBitrateBps: 1e6,
      switchCount: 0,
    });
    expect(result.qoe.qoeLin).toBeCloseTo(4 - 4.3 * 2.4, 9);
    expect(events.map((e) => e.type)).toEqual([
      'session_start',
      'startup_complete',
      'segment_loaded',
      'rebuffer_start',
      'rebuffer_end',
      'segment_loaded',
      'rebuffer_start',
      'rebuffer_end',
      'segment_loaded',
      'rebuffer_start',
      'rebuffer_end',
      'segment_loaded',
      'playback_ended',
      'session_end',
    ]);
    expect(events[1]).toEqual({
      type: 'startup_complete',
      atMs: 2100,
      startupDelayMs: 2100,
      rungIndex: 1,
      bitrateBps: 1e6,
    });
    expect(events.at(-1)).toEqual({
      type: 'session_end',
      atMs: 10_400,
      outcome: 'completed',
      summary: result.qoe,
    });
  });

  it('waits while the buffer is full and tells the strategy', async () => {
    // 1 Mbit segments at 10 Mbit/s take 100 ms; a 4 s buffer holds two 2 s segments.
    const waits: number[] = [];
    const strategy: AbrStrategy<null> = {
      ...scriptedStrategy([0]),
      onWait: (state, _ctx, waitMs) => (waits.push(waitMs), state),
    };
    const result = await simulate(evenLadder([500], 4), constantTrace(10_000), strategy, {
      maxBufferMs: 4000,
    });
    expect(result.segments.map((s) => s.requestMs)).toEqual([0, 100, 2100, 4100]);
    expect(waits.map((w) => Math.round(w))).toEqual([1900, 1900]);
    expect(result.endMs).toBeCloseTo(8100, 6);
    expect(result.qoe.rebufferCount).toBe(0);
  });

  it('abandons a download for a lower rung and requests the same segment again', async () => {
    const events: SessionEvent[] = [];
    const strategy = scriptedStrategy([1], (p) =>
      p.segmentIndex === 1 && p.rungIndex === 1 && p.loadedBytes >= 49_000
        ? { kind: 'abandon', rungIndex: 0 }
        : CONTINUE,
    );
    const { clock, fetcher } = virtualSetup(new NetworkModel(constantTrace(1000)));
    const result = await runSession({
      ladder: evenLadder([500, 2000], 3),
      strategy,
      clock,
      fetcher,
      onEvent: (e) => events.push(e),
    });
    // Segment 1 at rung 1 (4 Mbit) is dropped after 400 ms (50,000 bytes); rung 0 (1 Mbit) takes 1 s.
    expect(
      result.downloads.map((d) => [d.segmentIndex, d.rungIndex, d.abandoned, Math.round(d.endMs)]),
    ).toEqual([
      [0, 1, false, 4000],
      [1, 1, true, 4400],
      [1, 0, false, 5400],
      [2, 1, false, 9400],
    ]);
    expect(result.downloads[1]!.bytes).toBeCloseTo(50_000, 6);
    expect(result.segments.map((s) => [s.rungIndex, s.abandonedAttempts])).toEqual([
      [1, 0],
      [0, 1],
      [1, 0],
    ]);
    expect(events.filter((e) => e.type === 'download_abandoned')).toEqual([
      {
        type: 'download_abandoned',
        atMs: 4400,
        segmentIndex: 1,
        fromRung: 1,
        toRung: 0,
        loadedBytes: expect.closeTo(50_000, 6),
      },
    ]);
    expect(
      events
        .filter((e) => e.type === 'rung_switch')
        .map((e) => e.type === 'rung_switch' && [e.fromRung, e.toRung, e.reason]),
    ).toEqual([
      [1, 0, 'abandon'],
      [0, 1, 'abr'],
    ]);
    expect(result.rebuffers).toEqual([{ startMs: 8000, durationMs: 1400, positionMs: 4000 }]);
  });

  it('honours a strategy delay, cut to maxAbrDelayMs', async () => {
    const strategy: AbrStrategy<null> = {
      ...scriptedStrategy([0]),
      decide: (state, ctx) => ({
        state,
        decision: { rungIndex: 0, delayMs: ctx.segmentIndex === 1 ? 5000 : 0 },
      }),
    };
    const result = await simulate(evenLadder([500], 3), constantTrace(10_000), strategy, {
      maxAbrDelayMs: 1000,
    });
    expect(result.segments.map((s) => s.requestMs)).toEqual([0, 1100, 1200]);
  });

  it('stops when the signal aborts, between downloads or during one, counting an open stall', async () => {
    const stopAfterSegment1 = new AbortController();
    const { clock, fetcher } = virtualSetup(new NetworkModel(constantTrace(1000, 100)));
    const stopped = await runSession({
      ladder: evenLadder([500, 1000], 4),
      strategy: scriptedStrategy([1]),
      clock,
      fetcher,
      signal: stopAfterSegment1.signal,
      onEvent: (e) => e.type === 'segment_loaded' && e.segmentIndex === 1 && stopAfterSegment1.abort(),
    });
    expect(stopped.outcome).toBe('stopped');
    expect(stopped.segments).toHaveLength(2);
    expect(stopped.endMs).toBe(4200);
    expect(stopped.qoe.playedMs).toBe(2000);

    const stopInStall = new AbortController();
    const setup = virtualSetup(new NetworkModel(constantTrace(1000, 100)));
    const frozen = await runSession({
      ladder: evenLadder([500, 1000], 4),
      strategy: scriptedStrategy([1]),
      ...setup,
      signal: stopInStall.signal,
      onEvent: (e) => e.type === 'rebuffer_start' && stopInStall.abort(),
    });
    expect(frozen.outcome).toBe('stopped');
    expect(frozen.segments).toHaveLength(1);
    // The stall began at 4100 and was seen at the 4150 progress report.
    expect(frozen.rebuffers).toEqual([{ startMs: 4100, durationMs: 50, positionMs: 2000 }]);
    expect(frozen.downloads).toHaveLength(1);
  });

  it('ends as failed when the fetcher gives up, with the error reported', async () => {
    const clock = new VirtualClock();
    const inner = new VirtualFetcher({ network: new NetworkModel(constantTrace(5000)), clock });
    const fetcher: SegmentFetcher = {
      fetch: (request, options) =>
        request.segmentIndex === 2
          ? Promise.reject(new CdnError('EDGE_ERR_UPSTREAM_UNAVAILABLE', 'no edge answered'))
          : inner.fetch(request, options),
    };
    const events: SessionEvent[] = [];
    const result = await runSession({
      ladder: evenLadder([500], 4),
      strategy: scriptedStrategy([0]),
      clock,
      fetcher,
      onEvent: (e) => {
        events.push(e);
        throw new Error('a listener failing must not matter');
      },
    });
    expect(result.outcome).toBe('failed');
    expect(result.error).toEqual({ code: 'EDGE_ERR_UPSTREAM_UNAVAILABLE', message: 'no edge answered' });
    expect(result.segments).toHaveLength(2);
    expect(events.slice(-2).map((e) => e.type)).toEqual(['error', 'session_end']);
    expect(events.at(-1)).toMatchObject({ outcome: 'failed' });
  });

  it('fails with PLAYER_ERR_CONTRACT when a strategy or fetcher breaks its contract', async () => {
    const ladder = evenLadder([500, 1000], 3);
    const outOfRange = await simulate(ladder, constantTrace(1000), scriptedStrategy([5]));
    expect(outOfRange.error?.code).toBe('PLAYER_ERR_CONTRACT');
    const abandonUp = await simulate(
      ladder,
      constantTrace(100),
      scriptedStrategy([0], () => ({ kind: 'abandon', rungIndex: 1 })),
    );
    expect(abandonUp.error?.code).toBe('PLAYER_ERR_CONTRACT');
    const clock = new VirtualClock();
    const timeTraveller: SegmentFetcher = {
      fetch: () =>
        Promise.resolve({
          receivedBytes: 10,
          totalBytes: 10,
          requestMs: 0,
          firstByteMs: 1,
          endMs: 99,
          aborted: false,
        }),
    };
    const bad = await runSession({ ladder, strategy: scriptedStrategy([0]), clock, fetcher: timeTraveller });
    expect(bad.outcome).toBe('failed');
    expect(bad.error?.code).toBe('PLAYER_ERR_CONTRACT');
  });

  it('refuses bad setups before starting', async () => {
    const setup = () => virtualSetup(new NetworkModel(constantTrace(1000)));
    const ladder = evenLadder([500], 2, 4000);
    const strategy = scriptedStrategy([0]);
    expect(
      await codeOfAsync(
        runSession({ ladder, strategy, ...setup(), config: { maxBufferMs: 3000, startupBufferMs: 0 } }),
      ),
    ).toBe('PLAYER_ERR_INVALID_OPTIONS');
    expect(await codeOfAsync(runSession({ ladder, strategy, ...setup(), config: { maxBufferMs: -1 } }))).toBe(
      'CDN_ERR_CONFIG_INVALID',
    );
    expect(
      await codeOfAsync(runSession({ ladder, strategy, ...setup(), config: { startupBufferMs: 60_000 } })),
    ).toBe('CDN_ERR_CONFIG_INVALID');
    expect(await codeOfAsync(runSession({ ladder: { ...ladder, rungs: [] }, strategy, ...setup() }))).toBe(
      'PLAYER_ERR_LADDER_INVALID',
    );
  });

  it('gives fetchers what CMCD needs', async () => {
    const requests: unknown[] = [];
    const clock = new VirtualClock();
    const inner = new VirtualFetcher({ network: new NetworkModel(constantTrace(1000, 100)), clock });
    await runSession({
      ladder: evenLadder([500, 1000], 3),
      strategy: scriptedStrategy([1]),
      clock,
      fetcher: { fetch: (request, options) => (requests.push(request), inner.fetch(request, options)) },
    });
    expect(requests[0]).toMatchObject({
      segmentIndex: 0,
      rungIndex: 1,
      durationMs: 2000,
      expectedBytes: 250_000,
      attempt: 0,
      bufferMs: 0,
      throughputKbps: undefined,
      phase: 'startup',
      bufferStarved: false,
      nextSegmentIndex: 1,
    });
    // Segment 1 stalls at the end (100 ms), so the request for segment 2 says so.
    expect(requests[2]).toMatchObject({
      segmentIndex: 2,
      phase: 'playing',
      bufferStarved: true,
      nextSegmentIndex: undefined,
    });
    expect((requests[1] as { throughputKbps: number }).throughputKbps).toBeCloseTo(1000, 6);
  });
});

describe('session engine in real time', () => {
  it('runs with the system clock and a fetcher that takes real time', async () => {
    const clock = new SystemClock();
    const fetcher: SegmentFetcher = {
      async fetch(request) {
        const requestMs = clock.nowMs();
        await clock.sleep(20);
        const endMs = clock.nowMs();
        return {
          receivedBytes: request.expectedBytes,
          totalBytes: request.expectedBytes,
          requestMs,
          firstByteMs: requestMs + 1,
          endMs,
          aborted: false,
        };
      },
    };
    const result = await runSession({
      ladder: evenLadder([500, 1000], 3, 50),
      strategy: scriptedStrategy([0, 1]),
      clock,
      fetcher,
    });
    expect(result.outcome).toBe('completed');
    expect(result.segments.map((s) => s.rungIndex)).toEqual([0, 1, 1]);
    expect(result.startupDelayMs).toBeGreaterThan(0);
    expect(result.endMs - result.startMs).toBeGreaterThanOrEqual(result.playedMs);
  });

  it('SystemClock.sleep rejects with CDN_ERR_ABORTED when aborted', async () => {
    const controller = new AbortController();
    const sleeping = new SystemClock().sleep(10_000, controller.signal);
    controller.abort();
    expect(await codeOfAsync(sleeping)).toBe('CDN_ERR_ABORTED');
    expect(await codeOfAsync(new VirtualClock().sleep(5, controller.signal))).toBe('CDN_ERR_ABORTED');
  });
});
