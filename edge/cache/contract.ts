import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeOfAsync } from '../../test/helpers/errors.js';
import type { AdmissionPolicy } from './admission.js';
import type { CachePutMeta, CacheStore } from './types.js';

/**
 * A store for one test: bounded at `maxBytes` charged bytes with no per-entry overhead (so charged
 * bytes are body bytes), the admission policy and clock given.
 */
export type CacheStoreFactory = (options: {
  maxBytes: number;
  admission?: AdmissionPolicy;
  now: () => number;
}) => Promise<{ store: CacheStore; cleanup: () => Promise<void> }>;

const T0_MS = Date.parse('2025-03-01T00:00:00Z');

function meta(key: string, extra: Partial<CachePutMeta> = {}): CachePutMeta {
  return {
    key,
    status: 200,
    headers: { 'content-type': 'video/mp4', 'cache-control': 'public, max-age=60', etag: '"v1"' },
    requestTimeMs: T0_MS - 20,
    responseTimeMs: T0_MS - 10,
    ...extra,
  };
}

/** A body of `size` bytes whose content depends on `seed`. */
function body(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 17) & 0xff;
  return out;
}

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Records what it was asked and answers `answer`. */
class RecordingAdmission implements AdmissionPolicy {
  readonly name = 'recording';
  readonly asked: { candidate: string; victims: string[] }[] = [];
  constructor(public answer: boolean) {}
  recordAccess(): void {}
  admit(candidate: string, victims: readonly string[]): boolean {
    this.asked.push({ candidate, victims: [...victims] });
    return this.answer;
  }
}

/**
 * The behaviour every CacheStore must have. Run it against each implementation:
 * `describeCacheStoreContract('MemoryStore', factory)`.
 */
export function describeCacheStoreContract(name: string, factory: CacheStoreFactory): void {
  describe(`CacheStore contract: ${name}`, () => {
    let store: CacheStore;
    let cleanup: () => Promise<void>;
    let clockMs: number;
    const make = async (maxBytes: number, admission?: AdmissionPolicy): Promise<CacheStore> => {
      clockMs = T0_MS;
      const made = await factory({ maxBytes, ...(admission ? { admission } : {}), now: () => clockMs });
      ({ store, cleanup } = made);
      await store.open();
      return store;
    };

    beforeEach(async () => {
      await make(10_000);
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    it('starts empty', async () => {
      expect(await store.get('/content/t1/a.m4s')).toBeUndefined();
      expect(store.has('/content/t1/a.m4s')).toBe(false);
      expect(store.peek('/content/t1/a.m4s')).toBeUndefined();
      expect([...store.keys()]).toEqual([]);
      expect(store.stats()).toMatchObject({ objects: 0, bytes: 0, maxBytes: 10_000, evictions: 0 });
      expect(store.health()).toEqual({ healthy: true });
    });

    it('stores and returns an object with its metadata, size and SHA-256', async () => {
      const data = body(1234);
      clockMs = T0_MS + 5;
      const result = await store.put(meta('/content/t1/a.m4s'), data);
      expect(result).toMatchObject({ stored: true });
      const hit = await store.get('/content/t1/a.m4s');
      expect(hit?.body.equals(data)).toBe(true);
      expect(hit?.meta).toEqual({
        ...meta('/content/t1/a.m4s'),
        storedAtMs: T0_MS + 5,
        sizeBytes: 1234,
        sha256: sha(data),
      });
      expect(store.peek('/content/t1/a.m4s')).toEqual(hit?.meta);
      expect(store.has('/content/t1/a.m4s')).toBe(true);
      expect(store.stats()).toMatchObject({ objects: 1, bytes: 1234 });
    });

    it('stores an empty body (a negatively cached 404)', async () => {
      await store.put(meta('/content/t1/missing.m4s', { status: 404, headers: {} }), Buffer.alloc(0));
      const hit = await store.get('/content/t1/missing.m4s');
      expect(hit?.meta.status).toBe(404);
      expect(hit?.body.length).toBe(0);
      expect(hit?.meta.sha256).toBe(sha(Buffer.alloc(0)));
    });

    it('overwrites an object: new body, new metadata, bytes counted once', async () => {
      await store.put(meta('/k'), body(1000, 1));
      await store.put(meta('/k', { headers: { etag: '"v2"' } }), body(300, 2));
      const hit = await store.get('/k');
      expect(hit?.body.equals(body(300, 2))).toBe(true);
      expect(hit?.meta.headers).toEqual({ etag: '"v2"' });
      expect(store.stats()).toMatchObject({ objects: 1, bytes: 300, evictions: 0 });
    });

    it('deletes one key, and by prefix on a path boundary (a title purge)', async () => {
      for (const key of ['/content/t1/a.m4s', '/content/t1/v/b.m4s', '/content/t10/a.m4s', '/content/t2/a']) {
        await store.put(meta(key), body(100));
      }
      expect(await store.delete('/content/t2/a')).toBe(true);
      expect(await store.delete('/content/t2/a')).toBe(false);
      expect(await store.deletePrefix('/content/t1/')).toBe(2);
      expect([...store.keys()]).toEqual(['/content/t10/a.m4s']);
      expect(await store.get('/content/t1/a.m4s')).toBeUndefined();
      expect(store.stats()).toMatchObject({ objects: 1, bytes: 100, evictions: 0 });
      expect(await store.deletePrefix('/nothing/')).toBe(0);
    });

    it('never holds more than maxBytes, and counts bytes exactly', async () => {
      const sizes = [900, 2500, 10, 4000, 3100, 777, 1, 5000, 2222, 9999, 0, 3333];
      for (const [i, size] of sizes.entries()) {
        await store.put(meta(`/o${i}`), body(size, i));
        const stats = store.stats();
        expect(stats.bytes).toBeLessThanOrEqual(10_000);
        let sum = 0;
        for (const key of store.keys()) sum += Math.max(1, store.peek(key)!.sizeBytes);
        expect(stats.bytes).toBe(sum);
        expect(stats.objects).toBe([...store.keys()].length);
      }
      expect(store.stats().evictions).toBeGreaterThan(0);
    });

    it('evicts the least recently used first; get refreshes recency, peek does not', async () => {
      await store.put(meta('/a'), body(3000));
      await store.put(meta('/b'), body(3000));
      await store.put(meta('/c'), body(3000));
      await store.get('/a');
      store.peek('/b');
      await store.put(meta('/d'), body(3000));
      expect(store.has('/b')).toBe(false);
      expect(['/a', '/c', '/d'].every((k) => store.has(k))).toBe(true);
      await store.put(meta('/e'), body(5000)); // needs two victims: c then a
      expect(store.has('/c')).toBe(false);
      expect(store.has('/a')).toBe(false);
      expect(store.stats().evictions).toBe(3);
    });

    it('refuses an object larger than the whole store and drops the older copy', async () => {
      await store.put(meta('/big'), body(100));
      expect(await store.put(meta('/big'), body(10_001))).toEqual({ stored: false, reason: 'too-large' });
      expect(store.has('/big')).toBe(false);
      expect(store.stats()).toMatchObject({ objects: 0, bytes: 0 });
    });

    it('asks the admission policy before evicting, with the victims in LRU order', async () => {
      await store.close();
      await cleanup();
      const admission = new RecordingAdmission(false);
      await make(10_000, admission);
      await store.put(meta('/a'), body(4000));
      await store.put(meta('/b'), body(4000));
      expect(admission.asked).toEqual([]); // free space: nobody asked
      expect(await store.put(meta('/c'), body(7000))).toEqual({ stored: false, reason: 'admission' });
      expect(admission.asked).toEqual([{ candidate: '/c', victims: ['/a', '/b'] }]);
      expect(store.has('/a') && store.has('/b') && !store.has('/c')).toBe(true);
      expect(store.stats()).toMatchObject({ admissionRejections: 1, evictions: 0 });
      admission.answer = true;
      expect(await store.put(meta('/c'), body(7000))).toMatchObject({ stored: true });
      expect([...store.keys()]).toEqual(['/c']);
      // Overwriting a key already stored does not ask.
      admission.answer = false;
      expect(await store.put(meta('/c'), body(5000))).toMatchObject({ stored: true });
      expect(admission.asked).toHaveLength(2);
    });

    it('refuses a body that does not match its Content-Length or SHA-256, storing nothing', async () => {
      const data = body(500);
      expect(await codeOfAsync(store.put(meta('/t', { headers: { 'content-length': '600' } }), data))).toBe(
        'EDGE_ERR_FILL_TRUNCATED',
      );
      expect(await codeOfAsync(store.put(meta('/t', { headers: { 'content-length': '400' } }), data))).toBe(
        'EDGE_ERR_FILL_TRUNCATED',
      );
      expect(await codeOfAsync(store.put(meta('/t', { sha256: sha(body(500, 9)) }), data))).toBe(
        'EDGE_ERR_FILL_CORRUPT',
      );
      expect(store.has('/t')).toBe(false);
      expect(
        await store.put(meta('/t', { headers: { 'content-length': '500' }, sha256: sha(data) }), data),
      ).toMatchObject({ stored: true });
    });

    it('streams a write in chunks and commits it at end', async () => {
      const data = body(5000, 3);
      const writer = store.beginWrite({ ...meta('/s'), sizeBytes: 5000, sha256: sha(data) });
      for (let i = 0; i < 5000; i += 1024) await writer.write(data.subarray(i, i + 1024));
      expect(store.has('/s')).toBe(false);
      expect(await writer.end()).toMatchObject({
        stored: true,
        meta: { sizeBytes: 5000, sha256: sha(data) },
      });
      expect((await store.get('/s'))?.body.equals(data)).toBe(true);
    });

    it('never commits a truncated, overlong, corrupt or aborted streamed write', async () => {
      const data = body(3000);
      const short = store.beginWrite({ ...meta('/s'), sizeBytes: 3000 });
      await short.write(data.subarray(0, 2000));
      expect(await codeOfAsync(short.end())).toBe('EDGE_ERR_FILL_TRUNCATED');

      const long = store.beginWrite({ ...meta('/s'), sizeBytes: 3000 });
      await long.write(data);
      expect(await codeOfAsync(long.write(data.subarray(0, 1)))).toBe('EDGE_ERR_FILL_TRUNCATED');
      await expect(long.end()).rejects.toThrow();

      const corrupt = store.beginWrite({ ...meta('/s'), sizeBytes: 3000, sha256: sha(body(3000, 2)) });
      await corrupt.write(data);
      expect(await codeOfAsync(corrupt.end())).toBe('EDGE_ERR_FILL_CORRUPT');

      const aborted = store.beginWrite({ ...meta('/s'), sizeBytes: 3000 });
      await aborted.write(data.subarray(0, 100));
      await aborted.abort();
      await aborted.abort();
      await expect(aborted.write(data)).rejects.toThrow();
      await expect(aborted.end()).rejects.toThrow();

      expect(store.has('/s')).toBe(false);
      expect(store.stats()).toMatchObject({ objects: 0, bytes: 0 });
    });

    it('refuses a streamed object larger than the store at end, after taking its bytes', async () => {
      const writer = store.beginWrite({ ...meta('/huge'), sizeBytes: 20_000 });
      await writer.write(body(20_000));
      expect(await writer.end()).toEqual({ stored: false, reason: 'too-large' });
      expect(store.has('/huge')).toBe(false);
    });

    it('updates metadata after a revalidation, keeping the body', async () => {
      const data = body(700);
      const stored = await store.put(meta('/m'), data);
      if (!stored.stored) throw new Error('not stored');
      const updated = { ...stored.meta, headers: { ...stored.meta.headers, date: 'x' }, responseTimeMs: 1 };
      expect(await store.updateMeta(updated)).toBe(true);
      const hit = await store.get('/m');
      expect(hit?.meta).toEqual(updated);
      expect(hit?.body.equals(data)).toBe(true);
      expect(await store.updateMeta({ ...updated, sha256: sha(body(700, 5)) })).toBe(false);
      expect(await store.updateMeta({ ...updated, key: '/other' })).toBe(false);
      expect(store.stats()).toMatchObject({ objects: 1, bytes: 700 });
    });

    it('ends concurrent puts of one key with one consistent object', async () => {
      const bodies = Array.from({ length: 8 }, (_, i) => body(1000 + i, i));
      const results = await Promise.all(bodies.map((b) => store.put(meta('/same'), b)));
      expect(results.every((r) => r.stored)).toBe(true);
      const hit = await store.get('/same');
      expect(hit).toBeDefined();
      expect(hit!.meta.sha256).toBe(sha(hit!.body));
      expect(bodies.some((b) => b.equals(hit!.body))).toBe(true);
      expect(store.stats()).toMatchObject({ objects: 1, bytes: hit!.body.length });
    });
  });
}
