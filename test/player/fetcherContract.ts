/**
 * The contract every SegmentFetcher keeps (virtual or HTTP), as a vitest suite to run against each
 * implementation: `describeFetcherContract('name', async () => ({ fetcher, clock, ladder }))`. The
 * ladder must be one the fetcher can serve, with at least two rungs and two segments, segments large
 * enough to take several progress reports (tens of kilobytes at least).
 */
import { describe, expect, it } from 'vitest';
import { isCdnError } from '../../common/errors.js';
import {
  runSession,
  segmentSizeBytes,
  type Clock,
  type FetchProgress,
  type FetchResult,
  type Ladder,
  type SegmentFetcher,
  type SegmentRequest,
} from '../../player-sim/index.js';
import { scriptedStrategy } from './helpers.js';

export interface FetcherSetup {
  fetcher: SegmentFetcher;
  clock: Clock;
  ladder: Ladder;
  close?: () => Promise<void>;
}

function requestFor(ladder: Ladder, segmentIndex: number, rungIndex: number): SegmentRequest {
  return {
    segmentIndex,
    rungIndex,
    rung: ladder.rungs[rungIndex]!,
    durationMs: ladder.segmentDurationsMs[segmentIndex]!,
    expectedBytes: segmentSizeBytes(ladder, segmentIndex, rungIndex),
    attempt: 0,
    bufferMs: 0,
    throughputKbps: undefined,
    phase: 'startup',
    bufferStarved: false,
    nextSegmentIndex: segmentIndex + 1 < ladder.segmentDurationsMs.length ? segmentIndex + 1 : undefined,
  };
}

/** Resolves with the result, or with `aborted` when the fetcher rejected with CDN_ERR_ABORTED. */
async function settle(promise: Promise<FetchResult>): Promise<FetchResult | 'aborted'> {
  try {
    return await promise;
  } catch (err) {
    if (isCdnError(err, 'CDN_ERR_ABORTED')) return 'aborted';
    throw err;
  }
}

export function describeFetcherContract(name: string, setup: () => Promise<FetcherSetup>): void {
  describe(`SegmentFetcher contract: ${name}`, () => {
    const withSetup = async (work: (s: FetcherSetup) => Promise<void>) => {
      const s = await setup();
      try {
        await work(s);
      } finally {
        await s.close?.();
      }
    };

    it('delivers a whole segment with consistent times and monotonic progress', () =>
      withSetup(async ({ fetcher, clock, ladder }) => {
        const top = ladder.rungs.length - 1;
        const progress: Array<FetchProgress & { at: number }> = [];
        const before = clock.nowMs();
        const result = await fetcher.fetch(requestFor(ladder, 0, top), {
          signal: new AbortController().signal,
          onProgress: (p) => progress.push({ ...p, at: clock.nowMs() }),
        });
        expect(result.aborted).toBe(false);
        expect(result.receivedBytes).toBeGreaterThan(0);
        expect(result.receivedBytes).toBe(result.totalBytes);
        expect(result.requestMs).toBeGreaterThanOrEqual(before);
        expect(result.firstByteMs).toBeGreaterThanOrEqual(result.requestMs);
        expect(result.endMs).toBeGreaterThanOrEqual(result.firstByteMs);
        expect(result.endMs).toBeLessThanOrEqual(clock.nowMs());
        for (let i = 1; i < progress.length; i++) {
          expect(progress[i]!.loadedBytes).toBeGreaterThanOrEqual(progress[i - 1]!.loadedBytes);
          expect(progress[i]!.at).toBeGreaterThanOrEqual(progress[i - 1]!.at);
        }
        for (const p of progress) expect(p.loadedBytes).toBeLessThanOrEqual(result.totalBytes);
      }));

    it('stops when the signal is aborted from a progress report, keeping the bytes received', () =>
      withSetup(async ({ fetcher, clock, ladder }) => {
        const top = ladder.rungs.length - 1;
        const controller = new AbortController();
        const outcome = await settle(
          fetcher.fetch(requestFor(ladder, 1, top), {
            signal: controller.signal,
            onProgress: (p) => {
              if (p.loadedBytes > 0) controller.abort();
            },
          }),
        );
        if (outcome !== 'aborted') {
          expect(outcome.aborted).toBe(true);
          expect(outcome.receivedBytes).toBeLessThan(outcome.totalBytes);
          expect(outcome.endMs).toBeLessThanOrEqual(clock.nowMs());
        }
      }));

    it('does not fetch with a signal aborted before the call', () =>
      withSetup(async ({ fetcher, ladder }) => {
        const controller = new AbortController();
        controller.abort();
        const outcome = await settle(
          fetcher.fetch(requestFor(ladder, 0, 0), { signal: controller.signal, onProgress: () => undefined }),
        );
        if (outcome !== 'aborted') expect(outcome.aborted).toBe(true);
      }));

    it('plays a whole session through the engine', () =>
      withSetup(async ({ fetcher, clock, ladder }) => {
        const result = await runSession({ ladder, strategy: scriptedStrategy([0, 1]), fetcher, clock });
        expect(result.error).toBeUndefined();
        expect(result.outcome).toBe('completed');
        expect(result.segments).toHaveLength(ladder.segmentDurationsMs.length);
      }));
  });
}
