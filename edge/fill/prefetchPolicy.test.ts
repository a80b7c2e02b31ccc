import { describe, expect, it } from 'vitest';
import { PrefetchTracker, admitPrefetch, type PrefetchLimits, type PrefetchLoad } from './prefetchPolicy.js';

const LIMITS: PrefetchLimits = {
  concurrency: 2,
  queueMax: 3,
  maxInflightRequests: 100,
  maxEventLoopLagMs: 50,
};
const IDLE: PrefetchLoad = { inflightRequests: 1, eventLoopLagMs: 0, running: 0, queued: 0, draining: false };

describe('admitPrefetch', () => {
  it('starts while slots are free, queues behind a full pool or a queue, drops beyond the queue', () => {
    expect(admitPrefetch(IDLE, LIMITS)).toEqual({ kind: 'start' });
    expect(admitPrefetch({ ...IDLE, running: 1 }, LIMITS)).toEqual({ kind: 'start' });
    expect(admitPrefetch({ ...IDLE, running: 2 }, LIMITS)).toEqual({ kind: 'queue' });
    // Order is kept: with a queue, a new hint waits behind it even if a slot is free.
    expect(admitPrefetch({ ...IDLE, running: 1, queued: 1 }, LIMITS)).toEqual({ kind: 'queue' });
    expect(admitPrefetch({ ...IDLE, running: 2, queued: 3 }, LIMITS)).toEqual({
      kind: 'drop',
      reason: 'queue-full',
    });
  });

  it('sheds everything under load or while draining, whatever the free slots', () => {
    expect(admitPrefetch({ ...IDLE, inflightRequests: 101 }, LIMITS)).toEqual({
      kind: 'drop',
      reason: 'busy-requests',
    });
    expect(admitPrefetch({ ...IDLE, inflightRequests: 100 }, LIMITS)).toEqual({ kind: 'start' });
    expect(admitPrefetch({ ...IDLE, eventLoopLagMs: 51 }, LIMITS)).toEqual({
      kind: 'drop',
      reason: 'busy-event-loop',
    });
    expect(admitPrefetch({ ...IDLE, draining: true }, LIMITS)).toEqual({ kind: 'drop', reason: 'draining' });
  });

  it('with no queue allowed, a full pool drops', () => {
    expect(admitPrefetch({ ...IDLE, running: 2 }, { ...LIMITS, queueMax: 0 })).toEqual({
      kind: 'drop',
      reason: 'queue-full',
    });
  });
});

describe('PrefetchTracker', () => {
  it('counts a request within the window as used, once', () => {
    const t = new PrefetchTracker(1000, 10);
    expect(t.add('/a', 0)).toEqual([]);
    expect(t.request('/b', 10)).toBeUndefined();
    expect(t.request('/a', 1000)).toEqual({ key: '/a', outcome: 'used' });
    expect(t.request('/a', 1001)).toBeUndefined();
    expect(t.size).toBe(0);
  });

  it('counts a request after the window as wasted', () => {
    const t = new PrefetchTracker(1000, 10);
    t.add('/a', 0);
    expect(t.request('/a', 1001)).toEqual({ key: '/a', outcome: 'wasted' });
  });

  it('sweeps aged-out and evicted prefetches as wasted, keeps the rest', () => {
    const t = new PrefetchTracker(1000, 10);
    t.add('/old', 0);
    t.add('/evicted', 500);
    t.add('/kept', 600);
    const out = t.sweep(1200, (key) => key !== '/evicted');
    expect(out).toEqual([
      { key: '/old', outcome: 'wasted' },
      { key: '/evicted', outcome: 'wasted' },
    ]);
    expect(t.has('/kept')).toBe(true);
  });

  it('bounds what it remembers: the oldest are pushed out as wasted', () => {
    const t = new PrefetchTracker(1000, 2);
    t.add('/1', 0);
    t.add('/2', 1);
    expect(t.add('/3', 2)).toEqual([{ key: '/1', outcome: 'wasted' }]);
    // Re-adding refreshes the age instead of counting twice.
    expect(t.add('/2', 3)).toEqual([]);
    expect(t.add('/4', 4)).toEqual([{ key: '/3', outcome: 'wasted' }]);
    expect(t.size).toBe(2);
  });
});
