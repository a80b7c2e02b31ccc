import { describe, expect, it } from 'vitest';
import { TinyLfuAdmission } from './admission.js';
import { describeCacheStoreContract } from './contract.js';
import { MEMORY_ENTRY_OVERHEAD_BYTES, MemoryStore } from './memoryStore.js';

describeCacheStoreContract('MemoryStore', ({ maxBytes, admission, now }) =>
  Promise.resolve({
    store: new MemoryStore({ maxBytes, entryOverheadBytes: 0, now, ...(admission ? { admission } : {}) }),
    cleanup: () => Promise.resolve(),
  }),
);

const meta = (key: string) => ({ key, status: 200, headers: {}, requestTimeMs: 0, responseTimeMs: 0 });

describe('MemoryStore', () => {
  it('returns the very Buffer it was given (zero-copy) from get and getSync', async () => {
    const store = new MemoryStore({ maxBytes: 1 << 20 });
    const body = Buffer.alloc(100_000, 's');
    await store.put(meta('/a'), body);
    expect(store.getSync('/a')?.body).toBe(body);
    expect((await store.get('/a'))?.body).toBe(body);
    // A view with a little slack (a disk read's trailer) is kept as it is too.
    const read = Buffer.alloc(100_600, 't');
    await store.put(meta('/b'), read.subarray(0, 100_000));
    expect(store.getSync('/b')?.body.buffer).toBe(read.buffer);
  });

  it('copies a body that would keep a larger allocation alive, so that it holds what it is charged', async () => {
    const store = new MemoryStore({ maxBytes: 1 << 20 });
    const pooled = Buffer.from('segment bytes'); // cut from node's shared 8 KiB pool
    expect(pooled.buffer.byteLength).toBeGreaterThan(4096);
    await store.put(meta('/a'), pooled);
    const small = store.getSync('/a')!.body;
    expect(small.equals(pooled)).toBe(true);
    expect(small.buffer.byteLength).toBe(pooled.length);
    const big = Buffer.alloc(300_000, 'x');
    await store.put(meta('/b'), big.subarray(100_000, 200_000));
    const kept = store.getSync('/b')!.body;
    expect(kept.equals(big.subarray(100_000, 200_000))).toBe(true);
    expect(kept.buffer.byteLength).toBe(100_000);
  });

  it('refuses an object too large for the tier without hashing it, and still fails a wrong size', async () => {
    const store = new MemoryStore({ maxBytes: 1000 });
    // A wrong SHA-256 is not even looked at when the object cannot be kept.
    const tooLarge = { ...meta('/big'), sha256: '0'.repeat(64), headers: { 'content-length': '5000' } };
    expect(await store.put(tooLarge, Buffer.alloc(5000))).toEqual({ stored: false, reason: 'too-large' });
    await expect(
      store.put({ ...meta('/short'), headers: { 'content-length': '5000' } }, Buffer.alloc(4000)),
    ).rejects.toMatchObject({ code: 'EDGE_ERR_FILL_TRUNCATED' });
    await expect(
      store.put({ ...meta('/long'), headers: { 'content-length': '10' } }, Buffer.alloc(4000)),
    ).rejects.toMatchObject({ code: 'EDGE_ERR_FILL_TRUNCATED' });
    await expect(
      store.put({ ...meta('/bad'), sha256: '0'.repeat(64) }, Buffer.alloc(10)),
    ).rejects.toMatchObject({
      code: 'EDGE_ERR_FILL_CORRUPT',
    });
  });

  it('charges a per-entry overhead, so a flood of empty 404s is bounded too', async () => {
    const store = new MemoryStore({ maxBytes: 100 * MEMORY_ENTRY_OVERHEAD_BYTES });
    for (let i = 0; i < 1000; i++)
      await store.put({ ...meta(`/missing/${i}`), status: 404 }, Buffer.alloc(0));
    expect(store.stats().objects).toBe(100);
    expect(store.stats().bytes).toBe(100 * MEMORY_ENTRY_OVERHEAD_BYTES);
  });

  it('records every lookup, hit or miss, in the admission policy', async () => {
    const admission = new TinyLfuAdmission({ expectedItems: 100 });
    const store = new MemoryStore({ maxBytes: 1000, admission });
    await store.get('/x');
    await store.get('/x');
    store.getSync('/x');
    expect(admission.frequency('/x')).toBe(3);
    expect(admission.frequency('/y')).toBe(0);
  });

  it('refuses a bad bound', () => {
    expect(() => new MemoryStore({ maxBytes: 0 })).toThrow(RangeError);
  });
});
