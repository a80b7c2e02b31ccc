import { describe, expect, it } from 'vitest';
import { codeOf } from '../test/helpers/errors.js';
import { NetworkModel } from './network.js';
import { seededRandom } from '../common/random.js';
import type { Trace, TraceInterval } from './trace.js';

function trace(intervals: TraceInterval[]): Trace {
  return { name: 'hand', intervals, durationMs: intervals.reduce((s, i) => s + i.durationMs, 0) };
}

/** 1 s at 1000 kbit/s (latency 100 ms), 1 s at 0 (latency 0), 2 s at 500 kbit/s (latency 50 ms). */
const HAND = trace([
  { durationMs: 1000, bandwidthKbps: 1000, latencyMs: 100 },
  { durationMs: 1000, bandwidthKbps: 0, latencyMs: 0 },
  { durationMs: 2000, bandwidthKbps: 500, latencyMs: 50 },
]);

describe('NetworkModel (hand-computed download times)', () => {
  const network = new NetworkModel(HAND);

  it('integrates bandwidth across intervals, through a zero-bandwidth period and round the loop', () => {
    // 2,000,000 bits from t=0: first byte at 100 ms; 900,000 bits by 1000; none until 2000;
    // 1,000,000 more by 4000; the loop restarts at 1000 kbit/s: the last 100,000 bits take 100 ms.
    expect(network.download(0, 250_000)).toEqual({
      requestMs: 0,
      latencyMs: 100,
      firstByteMs: 100,
      endMs: 4100,
    });
  });

  it('waits out a zero-bandwidth period', () => {
    // Requested at 1500 ms (latency 0 there): nothing until 2000, then 8000 bits at 500 kbit/s = 16 ms.
    expect(network.download(1500, 1000).endMs).toBeCloseTo(2016, 9);
  });

  it('applies the latency of the period the request starts in', () => {
    // At 2500 ms: latency 50; 1,450 ms x 500 = 725,000 bits by 4000, then 275,000 at 1000 kbit/s.
    const timing = network.download(2500, 125_000);
    expect(timing.latencyMs).toBe(50);
    expect(timing.endMs).toBeCloseTo(4275, 9);
  });

  it('runs many loops without iterating over them', () => {
    // Ten loops (2,000,000 bits each) plus the 100,000 bits from 0 to the first byte at 100 ms.
    expect(network.timeToCarry(100, 20_000_000)).toBeCloseTo(40_100, 6);
    expect(network.timeToCarry(100, 2e15)).toBeCloseTo(4e12 + 100, -3);
  });

  it('ends exactly at a loop boundary when the last bit arrives there', () => {
    expect(network.timeToCarry(100, 1_900_000)).toBeCloseTo(4000, 9);
  });

  it('reports bytes received so far and bandwidth and latency at a time', () => {
    expect(network.bytesReceived(100, 250_000, 1000)).toBeCloseTo(900_000 / 8, 6);
    expect(network.bytesReceived(100, 250_000, 1_000_000)).toBe(250_000);
    expect(network.bandwidthKbpsAt(1999)).toBe(0);
    expect(network.bandwidthKbpsAt(4000 + 10)).toBe(1000);
    expect(network.latencyMsAt(6500)).toBe(50);
    expect(network.capacityBits(500, 2500)).toBe(500 * 1000 + 500 * 500);
    expect(network.capacityBits(10, 10)).toBe(0);
  });

  it('starts sessions at an offset into the trace', () => {
    const shifted = new NetworkModel(HAND, { offsetMs: 1000 });
    // Session 0 is trace 1000 (zero bandwidth, latency 0): 1000 bytes arrive at trace 2016.
    expect(shifted.download(0, 1000).endMs).toBeCloseTo(1016, 9);
    expect(new NetworkModel(HAND, { offsetMs: 5000 }).download(0, 1000)).toEqual(
      new NetworkModel(HAND, { offsetMs: 1000 }).download(0, 1000),
    );
  });

  it('refuses a trace with no bandwidth and a bad offset', () => {
    expect(codeOf(() => new NetworkModel(trace([{ durationMs: 10, bandwidthKbps: 0, latencyMs: 0 }])))).toBe(
      'PLAYER_ERR_TRACE_ALL_ZERO',
    );
    expect(codeOf(() => new NetworkModel(HAND, { offsetMs: -1 }))).toBe('PLAYER_ERR_INVALID_OPTIONS');
    expect(codeOf(() => new NetworkModel(HAND, { offsetMs: Number.NaN }))).toBe('PLAYER_ERR_INVALID_OPTIONS');
  });
});

describe('NetworkModel properties (seeded random traces)', () => {
  it('carrying what the link carries between two times ends at the later time, and starting later never ends sooner', () => {
    const random = seededRandom(7);
    for (let n = 0; n < 50; n++) {
      const intervals = Array.from({ length: 1 + Math.floor(random() * 8) }, () => ({
        durationMs: 1 + Math.floor(random() * 3000),
        bandwidthKbps: random() < 0.3 ? 0 : Math.floor(random() * 10_000),
        latencyMs: 0,
      }));
      intervals.push({ durationMs: 100, bandwidthKbps: 1000, latencyMs: 0 });
      const network = new NetworkModel(trace(intervals), { offsetMs: Math.floor(random() * 5000) });
      for (let q = 0; q < 20; q++) {
        const from = random() * 20_000;
        const to = from + random() * 20_000;
        const bits = network.capacityBits(from, to);
        if (bits > 0) {
          // The earliest time the bits have arrived is at most `to` (later if `to` is in a gap).
          const end = network.timeToCarry(from, bits);
          expect(end).toBeLessThanOrEqual(to + 1e-6);
          expect(network.capacityBits(from, end)).toBeCloseTo(bits, 3);
        }
        const size = 1 + random() * 1e6;
        expect(network.download(to, size).endMs).toBeGreaterThanOrEqual(
          network.download(from, size).endMs - 1e-6,
        );
      }
    }
  });
});
