import { createHash, timingSafeEqual } from 'node:crypto';

/** The outcome of checking an `Authorization` header against the tokens allowed. */
export type AuthDecision = { kind: 'ok' } | { kind: 'missing' } | { kind: 'wrong' };

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The bearer token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), if any. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return match?.[1];
}

/**
 * A checker of bearer tokens against the allowed ones. Both sides are SHA-256 digests, so the
 * comparison is of equal-length buffers with crypto.timingSafeEqual and its time says nothing about
 * the token's length or prefix; every allowed token is compared (no early exit).
 * Missing or malformed → `missing` (401); present but not allowed → `wrong` (403).
 */
export function bearerChecker(allowed: readonly string[]): (header: string | undefined) => AuthDecision {
  const digests = allowed.map(digest);
  return (header) => {
    const token = bearerToken(header);
    if (token === undefined) return { kind: 'missing' };
    const given = digest(token);
    let ok = false;
    for (const candidate of digests) {
      if (timingSafeEqual(given, candidate)) ok = true;
    }
    return ok ? { kind: 'ok' } : { kind: 'wrong' };
  };
}
