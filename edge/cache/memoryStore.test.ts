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
    const body = Buffer.from('segment bytes');
    await store.put(meta('/a'), body);
    expect(store.getSync('/a')?.body).toBe(body);
    expect((await store.get('/a'))?.body).toBe(body);
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
