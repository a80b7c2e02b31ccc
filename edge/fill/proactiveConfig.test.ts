import { describe, expect, it } from 'vitest';
import { isCdnError } from '../../common/errors.js';
import { edgeConfigFromInput, edgeEnvInput } from '../config.js';

describe('prefetch and proactive fill config', () => {
  it('has conservative defaults: prefetch on, scheduled fill off, night window', () => {
    const c = edgeConfigFromInput({ originUrl: 'http://127.0.0.1:8080' });
    expect(c.prefetch).toMatchObject({ enabled: true, concurrency: 8, queueMax: 64, usedWindowMs: 60_000 });
    expect(c.proactiveFill).toMatchObject({
      enabled: false,
      windowStartHourUtc: 2,
      windowEndHourUtc: 6,
      bandwidthBps: 200_000_000,
      concurrency: 4,
    });
    expect(c.proactiveFill.maxBytesPerRun).toBeUndefined();
    expect(Object.isFrozen(c.proactiveFill)).toBe(true);
  });

  it('names the bad key', () => {
    for (const [input, key] of [
      [{ prefetch: { concurrency: 0 } }, 'prefetch.concurrency'],
      [{ prefetch: { maxEventLoopLagMs: -1 } }, 'prefetch.maxEventLoopLagMs'],
      [{ prefetch: { bogus: 1 } }, 'prefetch'],
      [{ proactiveFill: { enabled: true } }, 'proactiveFill.originReadToken'],
      [{ proactiveFill: { windowStartHourUtc: 24 } }, 'proactiveFill.windowStartHourUtc'],
      [{ proactiveFill: { bandwidthBps: 100 } }, 'proactiveFill.bandwidthBps'],
      [{ proactiveFill: { maxBytesPerRun: 0 } }, 'proactiveFill.maxBytesPerRun'],
    ] as const) {
      let err: unknown;
      try {
        edgeConfigFromInput({ originUrl: 'http://x', ...input });
      } catch (e) {
        err = e;
      }
      expect(isCdnError(err, 'CDN_ERR_CONFIG_INVALID'), JSON.stringify(input)).toBe(true);
      expect((err as Error).message).toContain(key);
    }
  });

  it('takes the origin read token from EDGE_ORIGIN_READ_TOKEN', () => {
    expect(edgeEnvInput({ EDGE_ORIGIN_READ_TOKEN: 'read-token-0123456789' })).toEqual({
      proactiveFill: { originReadToken: 'read-token-0123456789' },
    });
    expect(edgeEnvInput({ EDGE_ORIGIN_READ_TOKEN: '  ' })).toEqual({});
  });
});
