import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import { AdmitAll, SecondHitAdmission, TinyLfuAdmission, type AdmissionPolicy } from './admission.js';
import { MemoryStore } from './memoryStore.js';

describe('TinyLfuAdmission', () => {
  it('counts the first access in the doorkeeper only, then in the sketch', () => {
    const lfu = new TinyLfuAdmission({ expectedItems: 1000 });
    expect(lfu.frequency('/a')).toBe(0);
    lfu.recordAccess('/a');
    expect(lfu.frequency('/a')).toBe(1);
    for (let i = 0; i < 5; i++) lfu.recordAccess('/a');
    expect(lfu.frequency('/a')).toBe(6);
    expect(lfu.frequency('/b')).toBe(0);
  });

  it('saturates its 4-bit counters', () => {
    const lfu = new TinyLfuAdmission({ expectedItems: 1000 });
    for (let i = 0; i < 100; i++) lfu.recordAccess('/hot');
    expect(lfu.frequency('/hot')).toBe(16); // 15 in the sketch + the doorkeeper bit
  });

  it('halves every count and clears the doorkeeper after W = sampleFactor × expectedItems accesses', () => {
    const lfu = new TinyLfuAdmission({ expectedItems: 100, sampleFactor: 1 });
    for (let i = 0; i < 9; i++) lfu.recordAccess('/hot'); // sketch 8 + doorkeeper
    for (let i = 0; i < 90; i++) lfu.recordAccess(`/cold${i}`);
    expect(lfu.resets).toBe(0);
    expect(lfu.frequency('/hot')).toBe(9);
    lfu.recordAccess('/cold-last'); // the 100th access
    expect(lfu.resets).toBe(1);
    expect(lfu.frequency('/hot')).toBe(4);
    expect(lfu.frequency('/cold5')).toBe(0);
  });

  it('admits into free space, and otherwise only what is more frequent than every victim', () => {
    const lfu = new TinyLfuAdmission({ expectedItems: 1000 });
    for (let i = 0; i < 3; i++) lfu.recordAccess('/warm');
    for (let i = 0; i < 6; i++) lfu.recordAccess('/hot');
    lfu.recordAccess('/once');
    expect(lfu.admit('/once', [])).toBe(true);
    expect(lfu.admit('/once', ['/warm'])).toBe(false);
    expect(lfu.admit('/once', ['/never-seen'])).toBe(true);
    expect(lfu.admit('/hot', ['/warm'])).toBe(true);
    expect(lfu.admit('/warm', ['/warm2'])).toBe(true);
    expect(lfu.admit('/hot', ['/warm', '/hot'])).toBe(false); // a tie is not a win
  });

  it('refuses a bad size', () => {
    expect(() => new TinyLfuAdmission({ expectedItems: 0 })).toThrow(RangeError);
  });
});

describe('SecondHitAdmission', () => {
  it('admits into a full cache only keys seen twice in recent history', () => {
    const second = new SecondHitAdmission({ rememberKeys: 3 });
    second.recordAccess('/a');
    expect(second.admit('/a', ['/v'])).toBe(false);
    expect(second.admit('/a', [])).toBe(true);
    second.recordAccess('/a');
    expect(second.admit('/a', ['/v'])).toBe(true);
    // Generations rotate: after 2 × rememberKeys other keys, /a is forgotten.
    for (const key of ['/b', '/c', '/d', '/e', '/f', '/g']) second.recordAccess(key);
    expect(second.admit('/a', ['/v'])).toBe(false);
  });

  it('refuses a bad size', () => {
    expect(() => new SecondHitAdmission({ rememberKeys: 0 })).toThrow(RangeError);
  });
});

describe('AdmitAll', () => {
  it('admits everything', () => {
    expect(new AdmitAll().admit('/x', ['/a', '/b'])).toBe(true);
  });
});

/**
 * A seeded edge workload: a Zipf(0.9) catalogue of popular segments with sizes from 256 B to 4 KiB,
 * mixed with one-hit wonders (30% of requests), and a scan of 20 000 of them in one burst in the
 * middle (a crawler or a catalogue warm-up). Returns the requests as [key, size] pairs.
 */
function workload(seed: number): { requests: [string, number][]; catalogueBytes: number } {
  const random = seededRandom(seed);
  const objects = 5000;
  const sizes = Array.from({ length: objects }, () => 256 + Math.floor(random() * 3841));
  const weights = sizes.map((_, rank) => 1 / (rank + 1) ** 0.9);
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of weights) cdf.push((acc += w / total));
  const zipf = (): number => {
    const u = random();
    let lo = 0;
    let hi = objects - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const requests: [string, number][] = [];
  let wonders = 0;
  const wonder = (): [string, number] => [
    `/content/scan/${wonders++}.m4s`,
    256 + Math.floor(random() * 3841),
  ];
  for (let i = 0; i < 120_000; i++) {
    if (i === 60_000) for (let j = 0; j < 20_000; j++) requests.push(wonder());
    if (random() < 0.3) requests.push(wonder());
    else {
      const rank = zipf();
      requests.push([`/content/popular/${rank}.m4s`, sizes[rank]!]);
    }
  }
  return { requests, catalogueBytes: sizes.reduce((a, b) => a + b, 0) };
}

/** Replays the workload on a byte-bounded MemoryStore; object and byte hit ratios. */
async function simulate(
  requests: readonly [string, number][],
  maxBytes: number,
  admission: AdmissionPolicy,
): Promise<{ hitRatio: number; byteHitRatio: number }> {
  const store = new MemoryStore({ maxBytes, admission, entryOverheadBytes: 0 });
  const pool = Buffer.alloc(4096, 7);
  let hits = 0;
  let hitBytes = 0;
  let allBytes = 0;
  for (const [key, size] of requests) {
    allBytes += size;
    if (store.getSync(key)) {
      hits++;
      hitBytes += size;
    } else {
      await store.put(
        { key, status: 200, headers: {}, requestTimeMs: 0, responseTimeMs: 0 },
        pool.subarray(0, size),
      );
    }
  }
  return { hitRatio: hits / requests.length, byteHitRatio: hitBytes / allBytes };
}

describe('admission on a Zipf workload with one-hit wonders (simulation, not timing)', () => {
  it('keeps a higher hit ratio with TinyLFU than with admit-all on a byte-bounded LRU', async () => {
    const { requests, catalogueBytes } = workload(20170);
    const maxBytes = Math.round(catalogueBytes * 0.1); // the cache holds 10% of the popular catalogue
    const expectedItems = Math.round(maxBytes / 2176); // over the mean object size
    const results = {
      'admit-all': await simulate(requests, maxBytes, new AdmitAll()),
      tinylfu: await simulate(requests, maxBytes, new TinyLfuAdmission({ expectedItems })),
      'second-hit': await simulate(
        requests,
        maxBytes,
        new SecondHitAdmission({ rememberKeys: 4 * expectedItems }),
      ),
    };
    console.log(
      `admission simulation: ${requests.length} requests, cache ${maxBytes} bytes (10% of catalogue)\n` +
        Object.entries(results)
          .map(
            ([name, r]) =>
              `  ${name.padEnd(10)} hit ratio ${r.hitRatio.toFixed(4)}  byte hit ratio ${r.byteHitRatio.toFixed(4)}`,
          )
          .join('\n'),
    );
    expect(results.tinylfu.hitRatio).toBeGreaterThan(results['admit-all'].hitRatio + 0.05);
    expect(results.tinylfu.byteHitRatio).toBeGreaterThan(results['admit-all'].byteHitRatio + 0.05);
  });
});
