/**
 * Per-client rate limiting of QoE events: a token bucket per client address (pure decision; the
 * shell keeps the buckets in a bounded LRU map).
 */

export interface TokenBucket {
  tokens: number;
  updatedMs: number;
}

export type RateDecision =
  { kind: 'allow'; bucket: TokenBucket } | { kind: 'limit'; bucket: TokenBucket; retryAfterMs: number };

/**
 * Takes `cost` tokens from a bucket refilled at `ratePerS` up to `burst` (a missing bucket is full).
 * When there are not enough, nothing is taken and the answer says when there will be.
 */
export function takeTokens(
  bucket: TokenBucket | undefined,
  cost: number,
  nowMs: number,
  limits: { ratePerS: number; burst: number },
): RateDecision {
  const { ratePerS, burst } = limits;
  const elapsedMs = bucket ? Math.max(0, nowMs - bucket.updatedMs) : 0;
  const tokens = bucket ? Math.min(burst, bucket.tokens + (elapsedMs * ratePerS) / 1000) : burst;
  if (tokens >= cost) return { kind: 'allow', bucket: { tokens: tokens - cost, updatedMs: nowMs } };
  const missing = Math.min(cost, burst) - tokens;
  return {
    kind: 'limit',
    bucket: { tokens, updatedMs: nowMs },
    retryAfterMs: Math.ceil((missing * 1000) / ratePerS),
  };
}
