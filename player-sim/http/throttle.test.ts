import { describe, expect, it } from 'vitest';
import { NetworkModel } from '../network.js';
import type { Trace } from '../trace.js';
import { LinkThrottle, MIN_BUCKET_DEPTH_BYTES } from './throttle.js';

/** 1 s at 800 kbit/s, 1 s of nothing, then 1.6 Mbit/s (long); 50 ms latency. */
const trace: Trace = {
  name: 'steps',
  intervals: [
    { durationMs: 1000, bandwidthKbps: 800, latencyMs: 50 },
    { durationMs: 1000, bandwidthKbps: 0, latencyMs: 50 },
    { durationMs: 100_000, bandwidthKbps: 1600, latencyMs: 50 },
  ],
  durationMs: 102_000,
};

describe('LinkThrottle: a token bucket refilled at the trace rate', () => {
  it('holds bytes read before the first-byte time, then releases them at the trace rate', () => {
    const t = new LinkThrottle(new NetworkModel(trace), 50);
    // 10 000 bytes = 80 000 bits at 800 kbit/s (800 bits/ms): 100 ms after the first byte.
    expect(t.take(10_000, 40)).toBe(150);
    expect(t.deliveredBytes(40)).toBe(0);
    expect(t.deliveredBytes(100)).toBe(5000);
    expect(t.deliveredBytes(150)).toBe(10_000);
    expect(t.readyAtMs(150)).toBe(150);
  });

  it('carries a debt across a zero-bandwidth period', () => {
    const t = new LinkThrottle(new NetworkModel(trace), 50);
    t.take(10_000, 40);
    // 100 000 bytes from 150 ms: 680 000 bits by 1000 ms, none until 2000, 120 000 bits at 1600/ms.
    expect(t.take(100_000, 150)).toBe(2075);
    expect(t.deliveredBytes(1500)).toBe(10_000 + 680_000 / 8);
    expect(t.deliveredBytes(2075)).toBe(110_000);
    expect(t.takenBytes).toBe(110_000);
  });

  it('saves at most the bucket depth while the server is silent (no burst past the link)', () => {
    const t = new LinkThrottle(new NetworkModel(trace), 2000);
    // Idle until 2500 ms: 100 000 bytes of capacity passed, but only the depth is kept.
    const until = t.take(MIN_BUCKET_DEPTH_BYTES + 3616, 2500);
    expect(until).toBeCloseTo(2500 + (3616 * 8) / 1600, 9);
    expect(t.deliveredBytes(2500)).toBe(MIN_BUCKET_DEPTH_BYTES);
  });

  it('lets reads go on while tokens last', () => {
    const t = new LinkThrottle(new NetworkModel(trace), 0);
    expect(t.take(1000, 100)).toBeUndefined();
    expect(t.deliveredBytes(100)).toBe(1000);
  });
});
