import { describe, expect, it } from 'vitest';
import { meanBandwidthKbps, NetworkModel } from '../../player-sim/index.js';
import { demoTraces } from './traces.js';

describe('demoTraces', () => {
  it('gives five named traces spanning the ladder: one well above the top rung, one near its bottom', () => {
    const traces = demoTraces(3000, 1);
    expect(traces.map((t) => t.name)).toEqual([
      'fibre-steady',
      'cable-evening',
      'lte-moving',
      'dsl-congested',
      '3g-dropouts',
    ]);
    const means = traces.map(meanBandwidthKbps);
    expect(means[0]).toBeGreaterThan(3.5 * 3000);
    expect(means[3]).toBeGreaterThan(0.35 * 3000);
    expect(means[3]).toBeLessThan(0.65 * 3000);
    expect(Math.min(...means)).toBe(means[4]);
    for (const t of traces) {
      // Each is a valid trace for the network model, two minutes long, never below 50 kbit/s.
      expect(() => new NetworkModel(t)).not.toThrow();
      expect(t.durationMs).toBe(120_000);
      expect(Math.min(...t.intervals.map((i) => i.bandwidthKbps))).toBeGreaterThanOrEqual(50);
    }
  });

  it('scales with the ladder and repeats for a seed', () => {
    const small = demoTraces(500, 7).map(meanBandwidthKbps);
    const large = demoTraces(5000, 7).map(meanBandwidthKbps);
    expect(large[0]! / small[0]!).toBeCloseTo(10, 0);
    expect(demoTraces(500, 7)).toEqual(demoTraces(500, 7));
    expect(demoTraces(500, 8)).not.toEqual(demoTraces(500, 7));
  });

  it('refuses a ladder without a rate', () => {
    expect(() => demoTraces(0)).toThrow(RangeError);
    expect(() => demoTraces(Number.NaN)).toThrow(RangeError);
  });
});
