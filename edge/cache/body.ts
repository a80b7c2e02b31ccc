import { createHash, type Hash } from 'node:crypto';
import { EdgeErrorCode, edgeError } from '../errors.js';
import type { CacheEntryMeta, CachePutMeta } from './types.js';

/** Counts and hashes a body as it streams, then checks it against what was declared. */
export class BodyVerifier {
  private readonly hash: Hash = createHash('sha256');
  receivedBytes = 0;

  constructor(
    private readonly key: string,
    /** Declared length; undefined when nothing declared it. */
    private readonly expectedBytes: number | undefined,
    private readonly expectedSha256: string | undefined,
  ) {}

  /** Adds a chunk; throws EDGE_ERR_FILL_TRUNCATED as soon as the body runs past its declared size. */
  update(chunk: Uint8Array): void {
    this.receivedBytes += chunk.length;
    if (this.expectedBytes !== undefined && this.receivedBytes > this.expectedBytes) {
      throw edgeError(
        EdgeErrorCode.FillTruncated,
        `fill of ${this.key} ran past its declared ${this.expectedBytes} bytes`,
        { details: { key: this.key, expectedBytes: this.expectedBytes } },
      );
    }
    this.hash.update(chunk);
  }

  /** Size and hash of the whole body; throws EDGE_ERR_FILL_TRUNCATED / EDGE_ERR_FILL_CORRUPT. */
  finish(): { sizeBytes: number; sha256: string } {
    if (this.expectedBytes !== undefined && this.receivedBytes !== this.expectedBytes) {
      throw edgeError(
        EdgeErrorCode.FillTruncated,
        `fill of ${this.key} ended after ${this.receivedBytes} of ${this.expectedBytes} bytes`,
        { details: { key: this.key, expectedBytes: this.expectedBytes, receivedBytes: this.receivedBytes } },
      );
    }
    const sha256 = this.hash.digest('hex');
    if (this.expectedSha256 !== undefined && sha256 !== this.expectedSha256.toLowerCase()) {
      throw edgeError(EdgeErrorCode.FillCorrupt, `fill of ${this.key} does not match its SHA-256`, {
        details: { key: this.key, expected: this.expectedSha256, actual: sha256 },
      });
    }
    return { sizeBytes: this.receivedBytes, sha256 };
  }
}

/**
 * The size a put must have: the declared size of a streamed write, else the Content-Length the
 * upstream sent. A Content-Length that is not a number (a list, garbage) declares nothing.
 */
export function declaredSize(meta: CachePutMeta, sizeBytes?: number): number | undefined {
  if (sizeBytes !== undefined) return sizeBytes;
  const text = meta.headers['content-length']?.trim();
  // Up to 15 digits: exact as a JS number, and far beyond any object a cache holds.
  return text !== undefined && /^[0-9]{1,15}$/.test(text) ? Number(text) : undefined;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The full metadata of a verified body. */
export function completeMeta(
  meta: CachePutMeta,
  body: { sizeBytes: number; sha256: string },
  storedAtMs: number,
): CacheEntryMeta {
  return {
    key: meta.key,
    status: meta.status,
    headers: meta.headers,
    requestTimeMs: meta.requestTimeMs,
    responseTimeMs: meta.responseTimeMs,
    storedAtMs,
    sizeBytes: body.sizeBytes,
    sha256: body.sha256,
  };
}
