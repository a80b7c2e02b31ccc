/**
 * The cache store interface (an extension point: memory and disk implement it, and one contract
 * test suite, contract.ts, runs against both).
 */
import type { StoredHeaders, StoredResponse } from '../policy/freshness.js';

/** Everything stored about an object besides its body. */
export interface CacheEntryMeta extends StoredResponse {
  key: string;
  /** When the store committed the object, in ms. */
  storedAtMs: number;
  /** Body length in bytes. */
  sizeBytes: number;
  /** Lower-case hex SHA-256 of the body. */
  sha256: string;
}

/**
 * A stored body opened for reading in pieces (a disk hit streamed to the client through reused
 * buffers, never read whole). Close it when done; closing twice is fine.
 */
export interface CacheBodyReader {
  readonly meta: CacheEntryMeta;
  /**
   * Reads body bytes [position, position + length) into `into` from its start; resolves how many
   * were read, fewer only when the file was cut meanwhile (the caller then treats it as corrupt).
   */
  read(into: Buffer, position: number, length: number): Promise<number>;
  close(): void;
}

export interface CacheEntry {
  meta: CacheEntryMeta;
  /** The body. Shared with the store (zero-copy): never mutate it. */
  body: Buffer;
}

/** What a caller gives to store an object; the store adds storedAtMs, sizeBytes and sha256. */
export interface CachePutMeta {
  key: string;
  status: number;
  headers: StoredHeaders;
  requestTimeMs: number;
  responseTimeMs: number;
  /**
   * The SHA-256 the title package lists for this object, when known: the body is refused
   * (EDGE_ERR_FILL_CORRUPT) unless it matches. A Content-Length in `headers` is checked the same
   * way (EDGE_ERR_FILL_TRUNCATED).
   */
  sha256?: string;
}

/** A streamed store: the declared size is required, so a short fill is never committed. */
export interface CacheWriteMeta extends CachePutMeta {
  sizeBytes: number;
}

export type PutResult =
  { stored: true; meta: CacheEntryMeta } | { stored: false; reason: 'too-large' | 'admission' };

/**
 * A streamed store in progress. Calls are sequential (await each). `end` verifies the byte count
 * (EDGE_ERR_FILL_TRUNCATED) and SHA-256 (EDGE_ERR_FILL_CORRUPT) and commits atomically; any failure
 * and `abort` leave nothing behind (no temp file, no entry). A writer whose object is too large or
 * refused by admission accepts and discards the bytes and reports so from `end`.
 */
export interface CacheWriter {
  write(chunk: Uint8Array): Promise<void>;
  end(): Promise<PutResult>;
  abort(): Promise<void>;
}

export interface CacheStoreStats {
  objects: number;
  /** Bytes charged against maxBytes: body sizes plus the per-entry overhead. */
  bytes: number;
  maxBytes: number;
  /** Objects evicted to make room (not deletes, purges or overwrites). */
  evictions: number;
  /** Puts refused by the admission policy. */
  admissionRejections: number;
  /** Objects found corrupt, truncated, missing or unreadable (and dropped) on open or read. */
  corruptions: number;
  /** Puts that failed with EDGE_ERR_DISK_WRITE. */
  writeErrors: number;
}

export type CacheStoreHealth = { healthy: true } | { healthy: false; reason: string };

export interface CacheStore {
  readonly name: string;
  /** Loads what the store already holds (disk: the whole index, so hits are served at once). */
  open(): Promise<void>;
  /** Waits for pending commits. */
  close(): Promise<void>;
  /**
   * The object under a key, checked (disk: length and trailer on every read, the body's SHA-256 on
   * the first read and then at intervals; a corrupt object is dropped and is a miss). Records the
   * access in the admission policy and, on a hit, marks it most recently used.
   */
  get(key: string): Promise<CacheEntry | undefined>;
  /**
   * The object under a key opened for streaming, checked as get() checks it (the SHA-256 read in
   * pieces when due), with the same access and recency bookkeeping; undefined when absent or found
   * corrupt. Stores that hold bodies in memory do not have it.
   */
  openBody?(key: string): Promise<CacheBodyReader | undefined>;
  /** Metadata only: no recency update, no access recorded, no verification. */
  peek(key: string): CacheEntryMeta | undefined;
  has(key: string): boolean;
  /** Stores an object (overwriting), or says why not. Disk failures throw EDGE_ERR_DISK_WRITE. */
  put(meta: CachePutMeta, body: Uint8Array): Promise<PutResult>;
  beginWrite(meta: CacheWriteMeta): CacheWriter;
  /**
   * Replaces the metadata of a stored object after a revalidation (see updateAfterRevalidation);
   * false when the object is gone or is another body (size or SHA-256 differ).
   */
  updateMeta(meta: CacheEntryMeta): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  /**
   * A body this store returned (whose SHA-256 the store had not checked on that read, see
   * DiskStore) turned out not to match `sha256`: drops the object when it is still that one, and
   * counts a corruption. True when it dropped something.
   */
  reportCorrupt?(key: string, sha256: string): Promise<boolean>;
  /** Deletes every key starting with the prefix (a title purge); the count deleted. */
  deletePrefix(prefix: string): Promise<number>;
  keys(): IterableIterator<string>;
  stats(): CacheStoreStats;
  health(): CacheStoreHealth;
}
