/**
 * Health of one fill source (a peer, a parent or the origin) as a pure state machine over the time
 * passed in. A source that fails (connect error, timeout, 5xx, a broken or corrupt body) is skipped
 * for a back-off period that doubles with each consecutive failure up to a cap; when the period
 * ends, one fill probes it (the others keep skipping it) and a success makes it healthy again.
 * This is the connection back-off of gRPC (doc/connection-backoff.md: exponential, capped) with the
 * half-open probe of a circuit breaker, so a recovering source gets one request, not a herd.
 * No jitter: the state is per node, and one probe per node cannot synchronise a stampede.
 */

export interface BackoffPolicy {
  /** Back-off after the first failure, in ms. */
  minMs: number;
  /** Cap of the back-off, in ms. */
  maxMs: number;
}

export type SourceHealth =
  | { kind: 'up' }
  | { kind: 'down'; failures: number; retryAtMs: number }
  | { kind: 'probing'; failures: number; sinceMs: number };

export const HEALTHY: SourceHealth = Object.freeze({ kind: 'up' });

/**
 * What a fill does with a source now: `use` it, `probe` it (the back-off ended; this fill is the
 * one that tries), or `skip` it (`retryInMs` until it may be tried again).
 */
export type SourceChoice = { kind: 'use' } | { kind: 'probe' } | { kind: 'skip'; retryInMs: number };

/** Back-off after `failures` consecutive failures: minMs · 2^(failures−1), capped at maxMs. */
export function backoffMs(failures: number, policy: Readonly<BackoffPolicy>): number {
  if (failures <= 0) return 0;
  // 2^31 already exceeds any cap in ms a config allows; the exponent is bounded so it stays finite.
  const factor = 2 ** Math.min(failures - 1, 31);
  return Math.min(policy.maxMs, policy.minMs * factor);
}

/** The choice for a source at `nowMs`, and its state after that choice. */
export function chooseSource(
  state: SourceHealth,
  nowMs: number,
  policy: Readonly<BackoffPolicy>,
): { choice: SourceChoice; next: SourceHealth } {
  switch (state.kind) {
    case 'up':
      return { choice: { kind: 'use' }, next: state };
    case 'down':
      if (nowMs < state.retryAtMs) {
        return { choice: { kind: 'skip', retryInMs: state.retryAtMs - nowMs }, next: state };
      }
      return {
        choice: { kind: 'probe' },
        next: { kind: 'probing', failures: state.failures, sinceMs: nowMs },
      };
    case 'probing': {
      // A probe outstanding longer than the longest back-off lost its answer (its fill was torn
      // down): let another fill probe, instead of skipping the source for ever.
      const staleAtMs = state.sinceMs + policy.maxMs;
      if (nowMs < staleAtMs) return { choice: { kind: 'skip', retryInMs: staleAtMs - nowMs }, next: state };
      return {
        choice: { kind: 'probe' },
        next: { kind: 'probing', failures: state.failures, sinceMs: nowMs },
      };
    }
  }
}

/** After a request the source answered properly (any status it is responsible for, 2xx–4xx). */
export function recordSuccess(_state: SourceHealth): SourceHealth {
  return HEALTHY;
}

/** After a failed request: back off for one step longer than last time. */
export function recordFailure(
  state: SourceHealth,
  nowMs: number,
  policy: Readonly<BackoffPolicy>,
): SourceHealth {
  const failures = (state.kind === 'up' ? 0 : state.failures) + 1;
  return { kind: 'down', failures, retryAtMs: nowMs + backoffMs(failures, policy) };
}
