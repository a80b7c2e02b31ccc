import { describe, expect, it } from 'vitest';
import {
  HEALTHY,
  backoffMs,
  chooseSource,
  recordFailure,
  recordSuccess,
  type SourceHealth,
} from './sourceHealth.js';

const policy = { minMs: 1000, maxMs: 30_000 };

describe('source health', () => {
  it('doubles the back-off per consecutive failure up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 100].map((n) => backoffMs(n, policy))).toEqual([
      0, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
  });

  it('skips a failed source until its back-off ends, then lets exactly one fill probe it', () => {
    let state: SourceHealth = recordFailure(HEALTHY, 10_000, policy);
    expect(state).toEqual({ kind: 'down', failures: 1, retryAtMs: 11_000 });
    const early = chooseSource(state, 10_400, policy);
    expect(early.choice).toEqual({ kind: 'skip', retryInMs: 600 });
    expect(early.next).toBe(state);
    const probe = chooseSource(state, 11_000, policy);
    expect(probe.choice.kind).toBe('probe');
    state = probe.next;
    // A second fill while the probe is out skips the source.
    expect(chooseSource(state, 11_001, policy).choice.kind).toBe('skip');
    // The probe fails: twice as long this time.
    state = recordFailure(state, 11_500, policy);
    expect(state).toEqual({ kind: 'down', failures: 2, retryAtMs: 13_500 });
    state = chooseSource(state, 13_500, policy).next;
    expect(recordSuccess(state)).toEqual(HEALTHY);
    expect(chooseSource(HEALTHY, 0, policy).choice.kind).toBe('use');
  });

  it('lets another fill probe when a probe never reported back', () => {
    const probing: SourceHealth = { kind: 'probing', failures: 3, sinceMs: 0 };
    expect(chooseSource(probing, policy.maxMs - 1, policy).choice.kind).toBe('skip');
    const again = chooseSource(probing, policy.maxMs, policy);
    expect(again.choice.kind).toBe('probe');
    expect(again.next).toEqual({ kind: 'probing', failures: 3, sinceMs: policy.maxMs });
  });
});
