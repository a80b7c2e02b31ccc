import { describe, expect, it } from 'vitest';
import { CdnError } from '../common/errors.js';
import { describeFetcherContract } from '../test/player/fetcherContract.js';
import { constantTrace, evenLadder, scriptedStrategy } from '../test/player/helpers.js';
import { VirtualClock } from './clock.js';
import { NetworkModel } from './network.js';
import { runSession, type FetchProgress, type SegmentRequest } from './session.js';
import { VirtualFetcher, virtualSetup } from './virtual.js';

const request = (expectedBytes: number): SegmentRequest => ({
  segmentIndex: 0,
  rungIndex: 0,
  rung: { id: '0', bitrateBps: 1 },
  durationMs: 2000,
  expectedBytes,
  attempt: 0,
  bufferMs: 0,
  throughputKbps: undefined,
  phase: 'startup',
  bufferStarved: false,
  nextSegmentIndex: undefined,
});

describe('VirtualFetcher', () => {
  it('reports progress every 50 virtual ms with the clock at that time, and ends at the trace time', async () => {
    const clock = new VirtualClock(1000);
    const fetcher = new VirtualFetcher({ network: new NetworkModel(constantTrace(800, 120)), clock });
    const seen: Array<FetchProgress & { at: number }> = [];
    // 25,000 bytes at 800 kbit/s: 250 ms after a 120 ms latency.
    const result = await fetcher.fetch(request(25_000), {
      signal: new AbortController().signal,
      onProgress: (p) => seen.push({ ...p, at: clock.nowMs() }),
    });
    expect(result).toEqual({
      receivedBytes: 25_000,
      totalBytes: 25_000,
      requestMs: 1000,
      firstByteMs: 1120,
      endMs: 1370,
      aborted: false,
    });
    expect(clock.nowMs()).toBe(1370);
    expect(seen.map((p) => p.at)).toEqual([1050, 1100, 1150, 1200, 1250, 1300, 1350]);
    expect(seen[1]).toMatchObject({ loadedBytes: 0, firstByteMs: undefined });
    expect(seen[2]!.loadedBytes).toBeCloseTo((30 * 800) / 8, 9);
    expect(seen[2]!.firstByteMs).toBe(1120);
  });

  it('stops at the progress report where the signal was aborted', async () => {
    const clock = new VirtualClock();
    const fetcher = new VirtualFetcher({
      network: new NetworkModel(constantTrace(800)),
      clock,
      progressIntervalMs: 100,
    });
    const controller = new AbortController();
    const result = await fetcher.fetch(request(100_000), {
      signal: controller.signal,
      onProgress: (p) => p.loadedBytes >= 20_000 && controller.abort(),
    });
    expect(result).toMatchObject({ aborted: true, endMs: 200, receivedBytes: 20_000 });
  });

  it('can learn sizes from a real request (outside virtual time) and fail like a real fetch', async () => {
    const clock = new VirtualClock();
    const asked: number[] = [];
    const fetcher = new VirtualFetcher({
      network: new NetworkModel(constantTrace(1000)),
      clock,
      sizeOf: (r) => {
        asked.push(r.segmentIndex);
        if (r.segmentIndex === 2)
          return Promise.reject(new CdnError('EDGE_ERR_NOT_FOUND', 'segment missing'));
        return Promise.resolve(50_000);
      },
    });
    const result = await runSession({
      ladder: evenLadder([500], 4),
      strategy: scriptedStrategy([0]),
      clock,
      fetcher,
    });
    expect(asked).toEqual([0, 1, 2]);
    expect(result.segments.map((s) => [s.bytes, s.endMs])).toEqual([
      [50_000, 400],
      [50_000, 800],
    ]);
    expect(result.outcome).toBe('failed');
    expect(result.error?.code).toBe('EDGE_ERR_NOT_FOUND');
  });
});

describeFetcherContract('VirtualFetcher', () => {
  const { clock, fetcher } = virtualSetup(new NetworkModel(constantTrace(2000, 30)));
  return Promise.resolve({ fetcher, clock, ladder: evenLadder([500, 1000], 4) });
});
