/**
 * Signed URL tokens (pure, node:crypto only). One token covers every path under a prefix (a whole
 * title) until an expiry, and names the key that signed it so keys can rotate.
 *
 * Format, in the `token` query parameter (every part URL-safe, so no escaping is needed):
 *
 *     token = kid "." expS "." base64url(pathPrefix) "." base64url(mac)
 *     mac   = HMAC-SHA256(key, "cdn-token-v1." kid "." expS "." base64url(pathPrefix))
 *
 * - `kid`: 1–32 of `[A-Za-z0-9_-]`, looked up in the verifier's keyring.
 * - `expS`: expiry in Unix seconds, decimal without leading zeros; the token is valid while
 *   `nowMs < expS * 1000`.
 * - `pathPrefix`: UTF-8, starts with `/`. It covers a path equal to it, or one that continues it
 *   after a `/` (the prefix's own trailing `/`, or the next character of the path), so
 *   `/content/t1` and `/content/t1/` both cover `/content/t1/a.m4s` and neither covers `/content/t10/`.
 *   Paths are compared in canonical form (CacheKeyInfo.path from cacheKeyFor: decoded once,
 *   checked, re-encoded one way), so no encoding trick changes them; sign prefixes in that form.
 * - `mac`: 32 bytes, base64url without padding (43 characters). Base64url parts must be canonical
 *   (re-encoding gives the same text), so no two token strings carry the same signature.
 * The MAC is over the token's own text, domain-separated by the version label.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CdnError } from '../../common/errors.js';
import { EdgeErrorCode, edgeError } from '../errors.js';

const MAC_LABEL = 'cdn-token-v1.';
const KID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** Expiry: up to 11 digits (year 5138), so it stays an exact JS integer. */
const EXP_PATTERN = /^(0|[1-9][0-9]{0,10})$/;
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]+$/;
/** HMAC-SHA256 output, in bytes. */
const MAC_BYTES = 32;
/**
 * Shortest key accepted for signing, in bytes: RFC 2104 §3 advises keys no shorter than the hash
 * output (32 bytes for SHA-256).
 */
export const MIN_TOKEN_KEY_BYTES = 32;
/** Longest token parsed, in characters; real ones are about 120. */
const MAX_TOKEN_CHARS = 2048;

/** The valid signing keys by key id; several at once while keys rotate. */
export type TokenKeyring = ReadonlyMap<string, Uint8Array>;

export interface SignTokenInput {
  keyId: string;
  key: Uint8Array;
  /** Paths the token covers (see the format above), e.g. `/content/title1/`. */
  pathPrefix: string;
  /** Expiry in Unix seconds. */
  expiresAtS: number;
}

export type TokenFailure = 'missing' | 'malformed' | 'unknown-key' | 'bad-signature' | 'expired' | 'path';

export type TokenVerdict =
  { ok: true; keyId: string; pathPrefix: string; expiresAtS: number } | { ok: false; reason: TokenFailure };

function mac(key: Uint8Array, signed: string): Buffer {
  return createHmac('sha256', key).update(MAC_LABEL).update(signed).digest();
}

/** Decodes canonical base64url only (Node's decoder silently skips bad characters and spare bits). */
function decodeBase64url(text: string): Buffer | undefined {
  if (!BASE64URL_PATTERN.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/** Whether a token's prefix covers a canonical path, on a `/` boundary. */
export function prefixCovers(pathPrefix: string, path: string): boolean {
  if (!path.startsWith(pathPrefix)) return false;
  return path.length === pathPrefix.length || pathPrefix.endsWith('/') || path[pathPrefix.length] === '/';
}

/**
 * Signs a token. Throws RangeError for inputs no verifier would accept (a programming or
 * configuration mistake, not a request error): bad key id, short key, a prefix not starting with
 * `/` or holding a NUL, a negative or fractional expiry.
 */
export function signToken(input: SignTokenInput): string {
  const { keyId, key, pathPrefix, expiresAtS } = input;
  if (!KID_PATTERN.test(keyId)) throw new RangeError(`token key id must match ${String(KID_PATTERN)}`);
  if (key.length < MIN_TOKEN_KEY_BYTES) {
    throw new RangeError(`token key must be at least ${MIN_TOKEN_KEY_BYTES} bytes`);
  }
  if (!pathPrefix.startsWith('/') || pathPrefix.includes('\0')) {
    throw new RangeError('token path prefix must start with / and hold no NUL');
  }
  const exp = String(expiresAtS);
  if (!Number.isSafeInteger(expiresAtS) || !EXP_PATTERN.test(exp)) {
    throw new RangeError('token expiry must be a non-negative integer of Unix seconds (at most 11 digits)');
  }
  const signed = `${keyId}.${exp}.${Buffer.from(pathPrefix, 'utf8').toString('base64url')}`;
  return `${signed}.${mac(key, signed).toString('base64url')}`;
}

/**
 * Verifies a token for a canonical request path. Checks in this order, so that nothing about a
 * forged token's claims is revealed: shape (`malformed`), key id (`unknown-key`), MAC compared in
 * constant time (`bad-signature`), expiry (`expired`: now ≥ expiry), path (`path`).
 * The HTTP shell answers 403 to every failure except `expired` (410).
 */
export function verifyToken(
  token: string | undefined,
  path: string,
  keyring: TokenKeyring,
  nowMs: number,
): TokenVerdict {
  if (token === undefined || token === '') return { ok: false, reason: 'missing' };
  if (token.length > MAX_TOKEN_CHARS) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 4) return { ok: false, reason: 'malformed' };
  const [keyId, exp, prefixText, macText] = parts as [string, string, string, string];
  if (!KID_PATTERN.test(keyId) || !EXP_PATTERN.test(exp)) return { ok: false, reason: 'malformed' };
  const prefixBytes = decodeBase64url(prefixText);
  const given = decodeBase64url(macText);
  if (prefixBytes === undefined || given?.length !== MAC_BYTES) return { ok: false, reason: 'malformed' };
  const pathPrefix = prefixBytes.toString('utf8');
  if (!pathPrefix.startsWith('/')) return { ok: false, reason: 'malformed' };

  const key = keyring.get(keyId);
  if (key === undefined) return { ok: false, reason: 'unknown-key' };
  const expected = mac(key, `${keyId}.${exp}.${prefixText}`);
  // Both are MAC_BYTES long, as timingSafeEqual requires.
  if (!timingSafeEqual(expected, given)) return { ok: false, reason: 'bad-signature' };

  const expiresAtS = Number(exp);
  if (nowMs >= expiresAtS * 1000) return { ok: false, reason: 'expired' };
  if (!prefixCovers(pathPrefix, path)) return { ok: false, reason: 'path' };
  return { ok: true, keyId, pathPrefix, expiresAtS };
}

/**
 * The error the HTTP shell answers a failed verification with: EDGE_ERR_TOKEN_EXPIRED (410) for an
 * expired token, EDGE_ERR_TOKEN_INVALID (403) for everything else. The reason goes into details for
 * logs only; the message stays vague so that probing learns nothing.
 */
export function tokenFailureError(reason: TokenFailure): CdnError {
  if (reason === 'expired') {
    return edgeError(EdgeErrorCode.TokenExpired, 'the URL token has expired', { details: { reason } });
  }
  return edgeError(EdgeErrorCode.TokenInvalid, 'the URL token is not valid for this path', {
    details: { reason },
  });
}
