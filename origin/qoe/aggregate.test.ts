import { describe, expect, it } from 'vitest';
import { fixtureSession } from '../../player-sim/events/fixtures.js';
import type { QoeEvent } from '../../player-sim/events/index.js';
import { seededRandom } from '../../test/helpers/random.js';
import {
  MAX_OUT_OF_ORDER_SEQS,
  addSeq,
  applyEvent,
  distribution,
  emptySeqSet,
  hasSeq,
  newSessionRecord,
  percentileOfSorted,
  summarize,
  type SessionRecord,
} from './aggregate.js';
import { takeTokens } from './rateLimit.js';

function fold(events: readonly QoeEvent[], receivedAtMs = 1000): SessionRecord {
  let record: SessionRecord | undefined;
  for (const event of events) {
    record ??= newSessionRecord(event, receivedAtMs);
    applyEvent(record, event, receivedAtMs);
  }
  return record!;
}

const ACTIVITY = { nowMs: 10_000, idleTimeoutMs: 5000 };

describe('percentiles', () => {
  it('interpolate between closest ranks like numpy', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    // numpy.percentile(arange(1, 101), [5, 50, 95]) = [5.95, 50.5, 95.05]
    expect(percentileOfSorted(hundred, 5)).toBeCloseTo(5.95, 10);
    expect(percentileOfSorted(hundred, 50)).toBeCloseTo(50.5, 10);
    expect(percentileOfSorted(hundred, 95)).toBeCloseTo(95.05, 10);
    expect(percentileOfSorted([7], 95)).toBe(7);
    expect(() => percentileOfSorted([], 50)).toThrow(RangeError);
  });

  it('a distribution of nothing is null; of values, its count, mean and percentiles (unsorted input)', () => {
    expect(distribution([])).toBeNull();
    expect(distribution([30, 10, 20])).toEqual({ count: 3, mean: 20, p5: 11, p50: 20, p95: 29 });
  });
});

describe('seq sets', () => {
  it('know every seq delivered, in or out of order, in O(1) memory when in order', () => {
    const set = emptySeqSet();
    for (let seq = 0; seq < 1000; seq++) addSeq(set, seq);
    expect(set.below).toBe(1000);
    expect(set.above.size).toBe(0);
    addSeq(set, 1005);
    addSeq(set, 1002);
    expect(hasSeq(set, 999)).toBe(true);
    expect(hasSeq(set, 1002)).toBe(true);
    expect(hasSeq(set, 1001)).toBe(false);
    addSeq(set, 1000);
    addSeq(set, 1001);
    expect(set.below).toBe(1003);
    expect([...set.above]).toEqual([1005]);
  });

  it('give up the oldest gap past the out-of-order bound (a reporter that dropped an event)', () => {
    const set = emptySeqSet();
    addSeq(set, 0);
    // seq 1 never comes.
    for (let seq = 2; seq <= MAX_OUT_OF_ORDER_SEQS + 2; seq++) addSeq(set, seq);
    expect(set.above.size).toBe(0);
    expect(set.below).toBe(MAX_OUT_OF_ORDER_SEQS + 3);
  });
});

describe('session records', () => {
  const events = fixtureSession({
    sessionId: 's1',
    titleId: 'movie',
    strategy: 'bba',
    edge: 'edge-a',
    failoverTo: 'edge-b',
    rebufferMs: [300, 700, 1000],
    switches: 3,
    error: true,
    startupDelayMs: 1200,
  });

  it('fold every fact of the session in, per edge too', () => {
    const record = fold(events);
    expect(record).toMatchObject({
      sessionId: 's1',
      events: events.length,
      titleId: 'movie',
      strategy: 'bba',
      format: 'dash',
      mode: 'virtual',
      startupDelayMs: 1200,
      startupEdge: 'edge-a',
      edge: 'edge-b',
      rebufferCount: 3,
      rebufferDurationMs: 2000,
      switches: 3,
      failovers: 1,
      errors: 1,
      fatalErrors: 0,
      outcome: 'completed',
    });
    expect({ ...record.edges }).toEqual({
      'edge-a': { rebufferCount: 1, rebufferDurationMs: 300, failoversFrom: 1, failoversTo: 0, errors: 1 },
      'edge-b': { rebufferCount: 2, rebufferDurationMs: 1700, failoversFrom: 0, failoversTo: 1, errors: 0 },
    });
    expect(record.summary?.rebufferCount).toBe(3);
  });

  it('add up the same whatever order the events arrive in', () => {
    const random = seededRandom(7);
    const inOrder = fold(events);
    for (let round = 0; round < 20; round++) {
      const shuffled = [...events].sort(() => random() - 0.5);
      const record = fold(shuffled);
      for (const key of [
        'events',
        'rebufferCount',
        'rebufferDurationMs',
        'switches',
        'failovers',
        'errors',
      ] as const) {
        expect(record[key]).toBe(inOrder[key]);
      }
      expect(record.titleId).toBe('movie');
      expect(record.strategy).toBe('bba');
      expect(record.edge).toBe('edge-b');
      expect(record.firstTimestampMs).toBe(inOrder.firstTimestampMs);
      expect(record.lastTimestampMs).toBe(inOrder.lastTimestampMs);
    }
  });

  it('treat an edge named __proto__ as a name like any other', () => {
    const record = fold(fixtureSession({ sessionId: 'p', edge: '__proto__', rebufferMs: [100] }));
    expect(Object.keys(record.edges)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).rebufferCount).toBeUndefined();
    const summary = summarize([record], {}, ACTIVITY);
    expect(Object.keys(summary.byEdge)).toEqual(['__proto__']);
    expect(summary.byEdge.__proto__?.rebufferCount).toBe(1);
  });
});

describe('summaries', () => {
  // Three bba sessions, two quality ones; one quality session still playing, one from another title.
  const records = [
    fold(
      fixtureSession({
        sessionId: 'a',
        strategy: 'bba',
        startupDelayMs: 1000,
        rebufferMs: [1000],
        avgBitrateBps: 2e6,
        avgVmaf: 80,
      }),
      100,
    ),
    fold(
      fixtureSession({
        sessionId: 'b',
        strategy: 'bba',
        startupDelayMs: 2000,
        avgBitrateBps: 3e6,
        avgVmaf: 85,
        outcome: 'stopped',
      }),
      200,
    ),
    fold(
      fixtureSession({
        sessionId: 'c',
        strategy: 'bba',
        startupDelayMs: 3000,
        edge: 'edge-b',
        avgBitrateBps: 4e6,
        avgVmaf: 90,
        failoverTo: 'edge-c',
      }),
      300,
    ),
    fold(
      fixtureSession({
        sessionId: 'd',
        strategy: 'quality',
        titleId: 'show',
        startupDelayMs: 500,
        avgBitrateBps: 5e6,
        avgVmaf: 95,
      }),
      400,
    ),
    fold(
      fixtureSession({
        sessionId: 'e',
        strategy: 'quality',
        startupDelayMs: 700,
        outcome: 'none',
        rebufferMs: [250],
      }),
      9000,
    ),
  ];

  it('per strategy: counts, outcomes, startup and rebuffer distributions from the sessions', () => {
    const summary = summarize(records, {}, ACTIVITY);
    const bba = summary.byStrategy.bba!;
    expect(bba).toMatchObject({
      sessions: 3,
      ended: 3,
      active: 0,
      outcomes: { completed: 2, stopped: 1, failed: 0 },
      rebufferCount: 1,
      rebufferDurationMs: 1000,
      failovers: 1,
    });
    expect(bba.startupMs).toEqual({ count: 3, mean: 2000, p5: 1100, p50: 2000, p95: 2900 });
    expect(bba.avgBitrateBps?.mean).toBe(3e6);
    expect(bba.avgVmaf?.p50).toBe(85);
    // Rebuffer ratio of a: 1000 / (1000 + 60000); the others 0.
    expect(bba.rebufferRatio?.mean).toBeCloseTo(1000 / 61_000 / 3, 12);
    const quality = summary.byStrategy.quality!;
    expect(quality).toMatchObject({ sessions: 2, ended: 1, active: 1, rebufferCount: 1 });
    expect(quality.startupMs?.count).toBe(2);
    expect(quality.avgBitrateBps?.count).toBe(1);
    expect(summary.overall.sessions).toBe(5);
    expect(summary.overall.active).toBe(1);
  });

  it('per title and per edge', () => {
    const summary = summarize(records, {}, ACTIVITY);
    expect(Object.keys(summary.byTitle)).toEqual(['movie', 'show']);
    expect(summary.byTitle.show!.sessions).toBe(1);
    expect(summary.byEdge['edge-b']).toMatchObject({ sessions: 1, failoversFrom: 1, failoversTo: 0 });
    expect(summary.byEdge['edge-b']!.startupMs?.p50).toBe(3000);
    expect(summary.byEdge['edge-c']).toMatchObject({ sessions: 1, failoversTo: 1, startupMs: null });
    expect(summary.byEdge['edge-a']).toMatchObject({
      sessions: 4,
      rebufferCount: 2,
      rebufferDurationMs: 1250,
    });
  });

  it('filter by strategy, title and first-seen time', () => {
    expect(summarize(records, { strategy: 'quality' }, ACTIVITY).overall.sessions).toBe(2);
    expect(summarize(records, { titleId: 'show' }, ACTIVITY).overall.sessions).toBe(1);
    expect(summarize(records, { sinceMs: 300 }, ACTIVITY).overall.sessions).toBe(3);
    const none = summarize(records, { strategy: 'mpc' }, ACTIVITY);
    expect(none.overall).toMatchObject({ sessions: 0, startupMs: null, qoeLin: null });
    expect(none.byStrategy).toEqual({});
  });

  it('a silent session stops counting as active after the idle timeout', () => {
    expect(summarize(records, {}, { nowMs: 13_999, idleTimeoutMs: 5000 }).overall.active).toBe(1);
    expect(summarize(records, {}, { nowMs: 14_000, idleTimeoutMs: 5000 }).overall.active).toBe(0);
  });
});

describe('rate limit token bucket', () => {
  const limits = { ratePerS: 100, burst: 500 };

  it('lets a burst through, then refills at the rate', () => {
    let decision = takeTokens(undefined, 500, 0, limits);
    expect(decision).toEqual({ kind: 'allow', bucket: { tokens: 0, updatedMs: 0 } });
    decision = takeTokens(decision.bucket, 10, 50, limits);
    // 50 ms at 100/s refilled 5 tokens: 5 short, 50 ms to wait.
    expect(decision).toEqual({ kind: 'limit', bucket: { tokens: 5, updatedMs: 50 }, retryAfterMs: 50 });
    decision = takeTokens(decision.bucket, 10, 100, limits);
    expect(decision.kind).toBe('allow');
    expect(decision.bucket.tokens).toBeCloseTo(0, 10);
  });

  it('never holds more than the burst, and a clock going back refills nothing', () => {
    const full = takeTokens({ tokens: 0, updatedMs: 0 }, 0, 3_600_000, limits);
    expect(full.bucket.tokens).toBe(500);
    const back = takeTokens({ tokens: 10, updatedMs: 1000 }, 20, 500, limits);
    expect(back.kind).toBe('limit');
    expect(back.bucket.tokens).toBe(10);
  });
});
