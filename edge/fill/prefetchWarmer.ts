/**
 * What prefetch and proactive fill need from the cache, and nothing more: whether an object is
 * there, fetching one into it through the node's ordinary coalesced fill path (so a client asking
 * for the same object meanwhile joins the same upstream request), and, for proactive fill, the
 * capacity tier's free space and which titles occupy it. The HTTP shell builds it over its filler
 * and stores (see buildEdgeApp), so changes to the filler stay behind `fill`.
 */
import { isCdnError, toCdnError, type CdnError } from '../../common/errors.js';
import { DISK_ENTRY_OVERHEAD_BYTES } from '../cache/diskStore.js';
import { MEMORY_ENTRY_OVERHEAD_BYTES } from '../cache/memoryStore.js';
import type { CacheEntry, CacheEntryMeta, CacheStore } from '../cache/types.js';
import { titleOfPath } from '../policy/cacheKey.js';
import { EdgeHttpErrorCode } from '../http/errors.js';

export type WarmResult =
  /** A fill ran (or was joined): `status` is what upstream answered; `stored` whether it was kept. */
  | { outcome: 'filled'; status: number; sizeBytes: number; body?: Buffer }
  /** A fresh copy was stored already; nothing went upstream. */
  | { outcome: 'cached'; status: number; sizeBytes: number; body?: Buffer }
  | { outcome: 'failed'; error: CdnError }
  /** The caller's signal fired; the fill itself goes on for anyone else waiting on it. */
  | { outcome: 'cancelled' };

export interface WarmOptions {
  signal?: AbortSignal | undefined;
  /** Return the body (title.json); otherwise it is not collected. */
  body?: boolean;
}

/** Bytes held by one title in the capacity tier. */
export interface ResidentTitle {
  titleId: string;
  bytes: number;
}

export interface CacheWarmer {
  /** Stored in some tier, or being filled now. */
  isCached(key: string): boolean;
  /** Fetches `key` into the cache unless a fresh copy is stored. Never throws. */
  warm(key: string, options?: WarmOptions): Promise<WarmResult>;
  /** The tier that bounds what the node can hold (disk, or memory on a memory-only node). */
  capacity(): { tier: string; freeBytes: number; maxBytes: number; entryOverheadBytes: number };
  /** Titles holding bytes in the capacity tier (one pass over its index). */
  residentTitles(): ResidentTitle[];
  /** Deletes objects of `titleId` from every tier until at least `bytes` (charged) are freed; the bytes freed. */
  release(titleId: string, bytes: number): Promise<number>;
}

/**
 * The part of a fill in flight this module reads: its head, then its body to the end. A fill that
 * outgrew its replay buffer (`replayable` false) can no longer be followed from the first byte; its
 * end is then awaited through `done`.
 */
export interface FillLike {
  readonly head: Promise<{ status: number }>;
  readonly replayable?: boolean;
  /** Resolves once the last byte arrived; rejects with the fill's failure. */
  readonly done: Promise<void>;
  readonly receivedBytes?: number;
  follow(listener: { chunk(data: Buffer): void; end(): void; error(err: CdnError): void }): () => void;
}

export interface FillOutcome {
  status: number;
  sizeBytes: number;
  body: Buffer | undefined;
}

/** Waits for a fill to finish (its head, then its last byte), keeping the body when asked. */
export async function awaitFill(
  fill: FillLike,
  options: { signal?: AbortSignal | undefined; body?: boolean } = {},
): Promise<FillOutcome> {
  const { signal } = options;
  signal?.throwIfAborted();
  const head = await raceAbort(fill.head, signal);
  if (fill.replayable === false) {
    await raceAbort(fill.done, signal);
    return { status: head.status, sizeBytes: fill.receivedBytes ?? 0, body: undefined };
  }
  const chunks: Buffer[] = [];
  let sizeBytes = 0;
  let stop: (() => void) | undefined;
  try {
    await raceAbort(
      new Promise<void>((resolve, reject) => {
        stop = fill.follow({
          chunk(data) {
            sizeBytes += data.length;
            if (options.body === true) chunks.push(data);
          },
          end: resolve,
          error: reject,
        });
      }),
      signal,
    );
  } finally {
    // Ended, failed or abandoned: stop following either way (a no-op once the fill ended).
    stop?.();
  }
  return { status: head.status, sizeBytes, body: options.body === true ? Buffer.concat(chunks) : undefined };
}

/** `work`, or a rejection with the signal's reason as soon as it aborts. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export interface CacheWarmerDeps {
  memory: CacheStore;
  disk?: CacheStore | undefined;
  /** Whether stored metadata may be served as it is (the freshness policy says `hit`). */
  isFresh(meta: CacheEntryMeta): boolean;
  /** Whether a fill for `key` is in flight. */
  inFlight(key: string): boolean;
  /** Joins or starts the fill of `key` (revalidating `stale` when given) and waits for its end. */
  fill(key: string, stale: CacheEntry | undefined, options: WarmOptions): Promise<FillOutcome>;
}

/** Per-entry bytes each tier charges on top of the body (see the stores). */
function overheadOf(store: CacheStore): number {
  return store.name === 'disk' ? DISK_ENTRY_OVERHEAD_BYTES : MEMORY_ENTRY_OVERHEAD_BYTES;
}

export function createCacheWarmer(deps: CacheWarmerDeps): CacheWarmer {
  const { memory, disk } = deps;
  const tiers = disk === undefined ? [memory] : [memory, disk];
  const capacityTier = disk ?? memory;

  const peek = (key: string): CacheEntryMeta | undefined => memory.peek(key) ?? disk?.peek(key);
  const read = async (key: string): Promise<CacheEntry | undefined> =>
    (await memory.get(key)) ?? (await disk?.get(key));

  return {
    isCached: (key) => memory.has(key) || (disk?.has(key) ?? false) || deps.inFlight(key),

    async warm(key, options = {}) {
      try {
        const meta = peek(key);
        if (meta !== undefined && deps.isFresh(meta)) {
          if (options.body !== true)
            return { outcome: 'cached', status: meta.status, sizeBytes: meta.sizeBytes };
          const entry = await read(key);
          if (entry !== undefined) {
            return {
              outcome: 'cached',
              status: entry.meta.status,
              sizeBytes: entry.body.length,
              body: entry.body,
            };
          }
        }
        const stale = meta === undefined ? undefined : await read(key);
        const result = await deps.fill(key, stale, options);
        // A fill too large to replay was not collected: read what it stored.
        const body = options.body === true ? (result.body ?? (await read(key))?.body) : undefined;
        return {
          outcome: 'filled',
          status: result.status,
          sizeBytes: result.sizeBytes,
          ...(body !== undefined ? { body } : {}),
        };
      } catch (err) {
        if (options.signal?.aborted === true) return { outcome: 'cancelled' };
        return {
          outcome: 'failed',
          error: isCdnError(err) ? err : toCdnError(err, EdgeHttpErrorCode.UpstreamUnavailable),
        };
      }
    },

    capacity() {
      const stats = capacityTier.stats();
      return {
        tier: capacityTier.name,
        freeBytes: Math.max(0, stats.maxBytes - stats.bytes),
        maxBytes: stats.maxBytes,
        entryOverheadBytes: overheadOf(capacityTier),
      };
    },

    residentTitles() {
      const overhead = overheadOf(capacityTier);
      const bytes = new Map<string, number>();
      for (const key of capacityTier.keys()) {
        const titleId = titleOfPath(key);
        if (titleId === undefined) continue;
        const size = capacityTier.peek(key)?.sizeBytes ?? 0;
        bytes.set(titleId, (bytes.get(titleId) ?? 0) + size + overhead);
      }
      return [...bytes].map(([titleId, n]) => ({ titleId, bytes: n }));
    },

    async release(titleId, bytes) {
      const prefix = `/content/${titleId}/`;
      const overhead = overheadOf(capacityTier);
      let freed = 0;
      const doomed: string[] = [];
      for (const key of capacityTier.keys()) {
        if (freed >= bytes) break;
        if (!key.startsWith(prefix)) continue;
        doomed.push(key);
        freed += (capacityTier.peek(key)?.sizeBytes ?? 0) + overhead;
      }
      for (const key of doomed) for (const tier of tiers) await tier.delete(key);
      return freed;
    },
  };
}
