/**
 * What an upstream ETag vouches for (pure). The origin's entity tags are strong and made from the
 * body's SHA-256: `"` + its first 32 hex digits (128 bits) + `"` (origin/store/package.ts,
 * etagFromSha256). Edges pass the origin's tag on unchanged, so a fill from a peer or a parent can
 * be checked against it too. Any other tag (weak, or of another form) vouches for nothing.
 */

/** Hex digits of the SHA-256 an origin ETag carries. */
export const ETAG_SHA256_HEX_DIGITS = 32;

const SHA_ETAG = /^"([0-9a-f]{32})"$/;

/** The SHA-256 prefix (lower-case hex) a strong origin ETag states, or undefined. */
export function sha256PrefixOfEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  return SHA_ETAG.exec(etag.trim())?.[1];
}

/** Whether a body's SHA-256 (lower-case hex) is the one the tag's prefix names. */
export function matchesSha256Prefix(sha256Hex: string, prefix: string): boolean {
  return sha256Hex.length === 64 && sha256Hex.slice(0, ETAG_SHA256_HEX_DIGITS) === prefix;
}
