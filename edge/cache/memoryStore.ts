/**
 * The memory tier: an LRU bounded in bytes (lru-cache `maxSize`), bodies kept as Buffers so the HTTP
 * shell sends them without copying. Before a new object evicts anything, the admission policy sees
 * the victims lru-cache would take (its least recently used keys, `rkeys()`) and may refuse.
 */
import { LRUCache } from 'lru-cache';
import { AdmitAll, type AdmissionPolicy } from './admission.js';
import { BodyVerifier, completeMeta, declaredSize } from './body.js';
import type {
  CacheEntry,
  CacheEntryMeta,
  CachePutMeta,
  CacheStore,
  CacheStoreHealth,
  CacheStoreStats,
  CacheWriteMeta,
  CacheWriter,
  PutResult,
} from './types.js';

export interface MemoryStoreOptions {
  /** Bound on charged bytes (bodies plus per-entry overhead). */
  maxBytes: number;
  admission?: AdmissionPolicy;
  /**
   * Bytes charged per entry on top of its body, so that a flood of tiny objects (negatively
   * cached 404s) is bounded too: about what the key, metadata object and headers cost on the V8
   * heap (measured ~400–600 bytes for a content key with ten headers).
   */
  entryOverheadBytes?: number;
  /** Clock for storedAtMs; Date.now by default. */
  now?: () => number;
}

/** Default per-entry overhead, in bytes (see MemoryStoreOptions.entryOverheadBytes). */
export const MEMORY_ENTRY_OVERHEAD_BYTES = 512;

interface Slot {
  meta: CacheEntryMeta;
  body: Buffer;
  chargedBytes: number;
}

/** Runs synchronous work as a promise: a throw becomes a rejection. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/**
 * Memory a body may hold beyond its own bytes before it is copied out, in bytes. A body that is a
 * view into a larger allocation (a small Buffer cut from node's shared 8 KiB pool, a slice of a
 * bigger read) keeps all of it alive while stored; the tier charges only the body, so such bodies
 * are copied into an allocation of their own. 4 KiB: one page, about the slack of the pool.
 */
const MAX_HIDDEN_BYTES = 4096;

/** The body as a Buffer that holds no more memory than the tier charges for it. */
function ownedBuffer(data: Uint8Array): Buffer {
  const view = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (view.buffer.byteLength - view.byteLength <= MAX_HIDDEN_BYTES) return view;
  const copy = Buffer.allocUnsafeSlow(view.byteLength);
  view.copy(copy);
  return copy;
}

export class MemoryStore implements CacheStore {
  readonly name = 'memory';
  private readonly lru: LRUCache<string, Slot>;
  private readonly maxBytes: number;
  private readonly overheadBytes: number;
  private readonly admission: AdmissionPolicy;
  private readonly now: () => number;
  private evictions = 0;
  private admissionRejections = 0;

  constructor(options: MemoryStoreOptions) {
    if (!(options.maxBytes >= 1)) throw new RangeError('maxBytes must be ≥ 1');
    this.maxBytes = Math.floor(options.maxBytes);
    this.overheadBytes = options.entryOverheadBytes ?? MEMORY_ENTRY_OVERHEAD_BYTES;
    this.admission = options.admission ?? new AdmitAll();
    this.now = options.now ?? Date.now;
    this.lru = new LRUCache<string, Slot>({
      maxSize: this.maxBytes,
      sizeCalculation: (slot) => slot.chargedBytes,
      dispose: (_slot, _key, reason) => {
        if (reason === 'evict') this.evictions++;
      },
    });
  }

  open(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** get() without the promise, for the hot path of the HTTP shell. */
  getSync(key: string): CacheEntry | undefined {
    this.admission.recordAccess(key);
    const slot = this.lru.get(key);
    return slot && { meta: slot.meta, body: slot.body };
  }

  get(key: string): Promise<CacheEntry | undefined> {
    return Promise.resolve(this.getSync(key));
  }

  peek(key: string): CacheEntryMeta | undefined {
    return this.lru.peek(key)?.meta;
  }

  has(key: string): boolean {
    return this.lru.has(key);
  }

  /** lru-cache counts at least 1 per entry; so do we, so that the two agree. */
  private charge(sizeBytes: number): number {
    return Math.max(1, sizeBytes + this.overheadBytes);
  }

  /** The keys lru-cache would evict to fit `chargedBytes` more, least recently used first. */
  private victimsFor(chargedBytes: number): string[] {
    let needed = this.lru.calculatedSize + chargedBytes - this.maxBytes;
    const victims: string[] = [];
    if (needed <= 0) return victims;
    for (const key of this.lru.rkeys()) {
      victims.push(key);
      needed -= this.lru.peek(key)?.chargedBytes ?? 0;
      if (needed <= 0) break;
    }
    return victims;
  }

  /**
   * Why an object of `sizeBytes` cannot be stored under `key`, if it cannot: too large for the tier
   * (the older copy, outdated by the response we could not keep, is dropped), or refused by the
   * admission policy for the victims it would evict. Checked before a body is hashed.
   */
  private refusal(key: string, sizeBytes: number): PutResult | undefined {
    const chargedBytes = this.charge(sizeBytes);
    if (chargedBytes > this.maxBytes) {
      this.lru.delete(key);
      return { stored: false, reason: 'too-large' };
    }
    if (!this.lru.has(key)) {
      const victims = this.victimsFor(chargedBytes);
      if (victims.length > 0 && !this.admission.admit(key, victims)) {
        this.admissionRejections++;
        return { stored: false, reason: 'admission' };
      }
    }
    return undefined;
  }

  /** Stores a verified body that passed `refusal`; lru-cache evicts the victims admission saw. */
  private insert(meta: CacheEntryMeta, body: Buffer): PutResult {
    this.lru.set(meta.key, { meta, body, chargedBytes: this.charge(meta.sizeBytes) });
    return { stored: true, meta };
  }

  put(meta: CachePutMeta, body: Uint8Array): Promise<PutResult> {
    return settle(() => {
      const declared = declaredSize(meta);
      const verifier = new BodyVerifier(meta.key, declared, meta.sha256);
      if (declared !== undefined && declared !== body.length) {
        // A body of the wrong size fails as truncated (both calls check it) whether or not it would be kept.
        verifier.update(body);
        verifier.finish();
      }
      // Refused before hashing: promotions of disk objects too large for the tier ask on every read.
      const refused = this.refusal(meta.key, body.length);
      if (refused !== undefined) return refused;
      verifier.update(body);
      return this.insert(completeMeta(meta, verifier.finish(), this.now()), ownedBuffer(body));
    });
  }

  beginWrite(meta: CacheWriteMeta): CacheWriter {
    const verifier = new BodyVerifier(meta.key, meta.sizeBytes, meta.sha256);
    // A too-large object is refused up front: its bytes are counted (to report truncation) but not kept.
    const keep = this.charge(meta.sizeBytes) <= this.maxBytes;
    let chunks: Buffer[] = [];
    let done = false;
    /** Runs a step; the writer is finished when it throws or when `last`. */
    const step = <T>(last: boolean, work: () => T): Promise<T> =>
      settle(() => {
        if (done) throw new Error(`write, end or abort after the writer finished (${meta.key})`);
        try {
          return work();
        } catch (err) {
          last = true;
          throw err;
        } finally {
          if (last) {
            done = true;
            chunks = [];
          }
        }
      });
    return {
      write: (chunk) =>
        step(false, () => {
          verifier.update(chunk);
          // Copied: the caller may reuse its chunk buffers once write resolves.
          if (keep) chunks.push(Buffer.from(chunk));
        }),
      end: () =>
        step(true, () => {
          const full = completeMeta(meta, verifier.finish(), this.now());
          // Not kept (too large): refused by size, and any older copy dropped.
          return (
            this.refusal(meta.key, full.sizeBytes) ??
            this.insert(full, Buffer.concat(chunks, verifier.receivedBytes))
          );
        }),
      abort: () => {
        done = true;
        chunks = [];
        return Promise.resolve();
      },
    };
  }

  updateMeta(meta: CacheEntryMeta): Promise<boolean> {
    const slot = this.lru.peek(meta.key);
    if (!slot || slot.meta.sha256 !== meta.sha256 || slot.meta.sizeBytes !== meta.sizeBytes) {
      return Promise.resolve(false);
    }
    slot.meta = meta;
    return Promise.resolve(true);
  }

  delete(key: string): Promise<boolean> {
    return Promise.resolve(this.lru.delete(key));
  }

  deletePrefix(prefix: string): Promise<number> {
    let count = 0;
    for (const key of [...this.lru.keys()]) {
      if (key.startsWith(prefix) && this.lru.delete(key)) count++;
    }
    return Promise.resolve(count);
  }

  keys(): IterableIterator<string> {
    return this.lru.keys();
  }

  stats(): CacheStoreStats {
    return {
      objects: this.lru.size,
      bytes: this.lru.calculatedSize,
      maxBytes: this.maxBytes,
      evictions: this.evictions,
      admissionRejections: this.admissionRejections,
      corruptions: 0,
      writeErrors: 0,
    };
  }

  health(): CacheStoreHealth {
    return { healthy: true };
  }
}
