/**
 * How an edge lets its peers and child edges fill from it when URL tokens are required.
 *
 * Fill requests carry no client's URL token (tokens are not part of cache keys, and a fill serves
 * every client). Instead the asking edge signs each request with a **fill key** shared by the
 * edges of a deployment (config `fillAuth.keys`, with `fillAuth.signingKeyId` naming the one to
 * sign with) and sends it in the `CDN-Fill-Token` request header:
 *
 *     CDN-Fill-Token: <token of edge/tokens/token.ts, covering exactly the requested path, for 60 s>
 *
 * It is the URL token format (HMAC-SHA256, key id for rotation, constant-time comparison), with a
 * separate keyring so that a fill key never validates a client URL and a leaked client key never
 * opens fills. An edge that requires tokens accepts a request whose `CDN-Fill-Token` verifies
 * against its `fillAuth.keys` without a URL token; an absent or bad fill token falls back to the
 * URL token check (403/410 as usual). The token is sent only to peers and parents, never to the
 * origin, and the origin's own URL needs none. Rotating: add the new key to every edge's
 * `fillAuth.keys`, then switch `signingKeyId`, then drop the old key.
 */
import { signToken, verifyToken, type TokenKeyring } from '../tokens/token.js';

/** The request header carrying a fill token. */
export const FILL_TOKEN_HEADER = 'cdn-fill-token';

/**
 * Lifetime of a fill token, in s: covers the request's time in flight and the clock skew between
 * edges (NTP keeps a LAN within milliseconds), and keeps a captured token of little use.
 */
export const FILL_TOKEN_TTL_S = 60;

export interface FillSigner {
  keyId: string;
  key: Uint8Array;
}

/** The path part of a cache key (keys are canonical paths, plus `?` and whitelisted parameters). */
export function keyPath(key: string): string {
  const q = key.indexOf('?');
  return q < 0 ? key : key.slice(0, q);
}

/** A fill token for one cache key's path, valid FILL_TOKEN_TTL_S from `nowMs`. */
export function signFillToken(signer: FillSigner, key: string, nowMs: number): string {
  return signToken({
    keyId: signer.keyId,
    key: signer.key,
    pathPrefix: keyPath(key),
    expiresAtS: Math.floor(nowMs / 1000) + FILL_TOKEN_TTL_S,
  });
}

/**
 * Whether a request's `CDN-Fill-Token` value authorises it for a canonical path. The token covers
 * exactly one path: its prefix must equal the path, not merely cover it.
 */
export function fillTokenAuthorises(
  value: string | readonly string[] | undefined,
  path: string,
  keyring: TokenKeyring,
  nowMs: number,
): boolean {
  if (typeof value !== 'string' || keyring.size === 0) return false;
  const verdict = verifyToken(value, path, keyring, nowMs);
  return verdict.ok && verdict.pathPrefix === path;
}
