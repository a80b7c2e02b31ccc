/**
 * Prefetch decisions (pure): whether a hint is fetched now, queued or dropped given the node's
 * load, and the bookkeeping that tells a used prefetch from a wasted one. Nothing here reads the
 * clock; callers pass `nowMs`.
 */

export interface PrefetchLimits {
  /** Prefetches fetching at once. */
  concurrency: number;
  /** Hints waiting for a free slot; beyond it new hints are dropped. */
  queueMax: number;
  /** Client requests in flight above which hints are dropped (the node is busy serving). */
  maxInflightRequests: number;
  /** Event-loop lag above which hints are dropped, in ms (the process is CPU-bound). */
  maxEventLoopLagMs: number;
}

export interface PrefetchLoad {
  /** Client content requests being answered. */
  inflightRequests: number;
  /** Recent event-loop lag, in ms. */
  eventLoopLagMs: number;
  /** Prefetches fetching now. */
  running: number;
  /** Hints queued. */
  queued: number;
  /** The node is draining: it stops taking new work. */
  draining: boolean;
}

export type PrefetchDropReason = 'draining' | 'busy-requests' | 'busy-event-loop' | 'queue-full';

export type PrefetchAdmission =
  { kind: 'start' } | { kind: 'queue' } | { kind: 'drop'; reason: PrefetchDropReason };

/**
 * A prefetch is a bet on spare capacity: under load it is the first work to shed (before any client
 * request is slowed by it). Load is checked both when a hint arrives and when a queued one would
 * start (`queued: 0` then, as it leaves the queue).
 */
export function admitPrefetch(load: PrefetchLoad, limits: PrefetchLimits): PrefetchAdmission {
  if (load.draining) return { kind: 'drop', reason: 'draining' };
  if (load.inflightRequests > limits.maxInflightRequests) return { kind: 'drop', reason: 'busy-requests' };
  if (load.eventLoopLagMs > limits.maxEventLoopLagMs) return { kind: 'drop', reason: 'busy-event-loop' };
  if (load.running < limits.concurrency && load.queued === 0) return { kind: 'start' };
  if (load.queued < limits.queueMax) return { kind: 'queue' };
  return { kind: 'drop', reason: 'queue-full' };
}

export type PrefetchSettlement = { key: string; outcome: 'used' | 'wasted' };

/**
 * Prefetched keys awaiting a client request. A client request for one within `windowMs` of the
 * prefetch makes it `used`; one that ages out, is found evicted, or is pushed out by newer ones
 * (at most `maxTracked`) is `wasted`. Insertion order is age order (a Map keeps it).
 */
export class PrefetchTracker {
  private readonly issued = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly maxTracked: number,
  ) {}

  get size(): number {
    return this.issued.size;
  }

  has(key: string): boolean {
    return this.issued.has(key);
  }

  /** Records a completed prefetch; returns what it pushed out (wasted). */
  add(key: string, nowMs: number): PrefetchSettlement[] {
    const out: PrefetchSettlement[] = [];
    this.issued.delete(key);
    this.issued.set(key, nowMs);
    while (this.issued.size > this.maxTracked) {
      const oldest = this.issued.keys().next().value!;
      this.issued.delete(oldest);
      out.push({ key: oldest, outcome: 'wasted' });
    }
    return out;
  }

  /** A client asked for `key`: `used` when it was prefetched within the window. */
  request(key: string, nowMs: number): PrefetchSettlement | undefined {
    const at = this.issued.get(key);
    if (at === undefined) return undefined;
    this.issued.delete(key);
    return { key, outcome: nowMs - at <= this.windowMs ? 'used' : 'wasted' };
  }

  /** Settles what aged out of the window, or is no longer cached (`isCached` false), as wasted. */
  sweep(nowMs: number, isCached: (key: string) => boolean): PrefetchSettlement[] {
    const out: PrefetchSettlement[] = [];
    for (const [key, at] of this.issued) {
      if (nowMs - at > this.windowMs || !isCached(key)) {
        this.issued.delete(key);
        out.push({ key, outcome: 'wasted' });
      }
    }
    return out;
  }
}
