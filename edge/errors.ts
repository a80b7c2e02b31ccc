import { codedErrorFactory } from '../common/errors.js';

/** Error codes of the edge appliance. Each is documented in docs/errors.md. */
export const EdgeErrorCode = {
  /** The request path is refused before any cache lookup (traversal, NUL, bad encoding...). */
  BadPath: 'EDGE_ERR_BAD_PATH',
  /** The URL token is missing, malformed, signed with an unknown key, forged, or for another path. */
  TokenInvalid: 'EDGE_ERR_TOKEN_INVALID',
  /** The URL token was valid but its expiry has passed. */
  TokenExpired: 'EDGE_ERR_TOKEN_EXPIRED',
  /** The disk cache could not write an object (no space, read-only, permissions, I/O error). */
  DiskWrite: 'EDGE_ERR_DISK_WRITE',
  /** A fill ended with fewer or more bytes than its declared size; nothing was stored. */
  FillTruncated: 'EDGE_ERR_FILL_TRUNCATED',
  /**
   * A fill's bytes do not match the SHA-256 its source vouched for (the origin's strong ETag, which
   * is the first 128 bits of the body's SHA-256, or the title package's listing); nothing was stored.
   */
  FillCorrupt: 'EDGE_ERR_FILL_CORRUPT',
  /** A fill request came back to this node (its own `CDN-Loop` member, RFC 8586); not forwarded. */
  FillLoop: 'EDGE_ERR_FILL_LOOP',
} as const;

export type EdgeErrorCode = (typeof EdgeErrorCode)[keyof typeof EdgeErrorCode];

/** HTTP status of each code, as docs/errors.md lists them. */
const STATUS: Record<EdgeErrorCode, number> = {
  EDGE_ERR_BAD_PATH: 400,
  EDGE_ERR_TOKEN_INVALID: 403,
  EDGE_ERR_TOKEN_EXPIRED: 410,
  EDGE_ERR_DISK_WRITE: 507,
  EDGE_ERR_FILL_TRUNCATED: 502,
  EDGE_ERR_FILL_CORRUPT: 502,
  // 508 Loop Detected (RFC 5842 §7.2).
  EDGE_ERR_FILL_LOOP: 508,
};

export const edgeError = codedErrorFactory<EdgeErrorCode>(STATUS);
