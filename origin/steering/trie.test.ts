import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import { maskWords } from '../../common/ip.js';
import { PrefixTrie } from './trie.js';

interface Entry {
  words: number[];
  length: number;
  value: number;
}

const key = (words: readonly number[], length: number): string => `${words.join('.')}/${length}`;

function covers(e: Entry, addr: readonly number[]): boolean {
  for (let i = 0; i < e.words.length; i++) {
    const keep = e.length - i * 32;
    if (keep <= 0) return true;
    const mask = keep >= 32 ? 0xffffffff : (0xffffffff << (32 - keep)) >>> 0;
    if ((addr[i]! & mask) >>> 0 !== e.words[i]) return false;
  }
  return true;
}

/** The brute-force answer: every stored prefix covering the address, longest first. */
function scan(entries: Map<string, Entry>, addr: readonly number[]): Entry[] {
  return [...entries.values()].filter((e) => covers(e, addr)).sort((a, b) => b.length - a.length);
}

function randomWords(random: () => number, width: number): number[] {
  return Array.from({ length: width }, () => Math.floor(random() * 2 ** 32) >>> 0);
}

/**
 * Prefixes clustered under a few roots so that nesting, siblings and shared glue happen often, the
 * shapes real routing tables have.
 */
function randomPrefix(
  random: () => number,
  bits: 32 | 128,
  roots: number[][],
): { words: number[]; length: number } {
  const width = bits / 32;
  const root = roots[Math.floor(random() * roots.length)]!;
  const words = randomWords(random, width);
  const shared = Math.floor(random() * (bits / 2));
  const mixed = maskWords(root, shared).map(
    (w, i) => (w | (words[i]! & ~maskWords(Array(width).fill(0xffffffff), shared)[i]!)) >>> 0,
  );
  const length =
    random() < 0.05 ? Math.floor(random() * 8) : shared + Math.floor(random() * (bits - shared + 1));
  return { words: maskWords(mixed, length), length };
}

function addressNear(random: () => number, entries: Entry[], width: number): number[] {
  if (entries.length === 0 || random() < 0.2) return randomWords(random, width);
  const e = entries[Math.floor(random() * entries.length)]!;
  const noise = randomWords(random, width);
  const mask = maskWords(Array(width).fill(0xffffffff), e.length);
  return e.words.map((w, i) => (w | (noise[i]! & ~mask[i]!)) >>> 0);
}

function property(bits: 32 | 128, seed: number): void {
  const random = seededRandom(seed);
  const width = bits / 32;
  const trie = new PrefixTrie<number>(bits);
  const entries = new Map<string, Entry>();
  const roots = Array.from({ length: 4 }, () => randomWords(random, width));
  let next = 1;
  const failures: string[] = [];
  const check = (ok: boolean, what: () => string): void => {
    if (!ok && failures.length < 5) failures.push(what());
  };
  for (let step = 0; step < 4000; step++) {
    const r = random();
    if (r < 0.55 || entries.size === 0) {
      const p = randomPrefix(random, bits, roots);
      const value = next++;
      const fresh = trie.set(p.words, p.length, value);
      check(
        fresh === !entries.has(key(p.words, p.length)),
        () => `set ${key(p.words, p.length)} fresh=${fresh}`,
      );
      entries.set(key(p.words, p.length), { ...p, value });
    } else if (r < 0.8) {
      const all = [...entries.values()];
      const victim = all[Math.floor(random() * all.length)]!;
      check(trie.delete(victim.words, victim.length), () => `delete ${key(victim.words, victim.length)}`);
      entries.delete(key(victim.words, victim.length));
      check(
        !trie.delete(victim.words, victim.length),
        () => `second delete ${key(victim.words, victim.length)}`,
      );
    } else {
      const p = randomPrefix(random, bits, roots);
      check(
        trie.get(p.words, p.length) === entries.get(key(p.words, p.length))?.value,
        () => `get ${key(p.words, p.length)}`,
      );
    }
    if (step % 20 === 0) {
      const list = [...entries.values()];
      for (let q = 0; q < 8; q++) {
        const addr = addressNear(random, list, width);
        const expected = scan(entries, addr);
        check(trie.longest(addr) === expected[0]?.value, () => `longest ${addr.join('.')}`);
        const got = trie.matches(addr);
        check(
          got.length === expected.length &&
            got.every((m, i) => m.value === expected[i]!.value && m.length === expected[i]!.length),
          () => `matches ${addr.join('.')}: ${JSON.stringify(got)} vs ${JSON.stringify(expected)}`,
        );
      }
    }
    check(trie.size === entries.size, () => `size ${trie.size} vs ${entries.size}`);
    // Glue only where two prefixes diverge: at most 2n − 1 nodes.
    check(
      trie.nodeCount <= Math.max(0, 2 * entries.size - 1),
      () => `nodes ${trie.nodeCount} for ${entries.size}`,
    );
  }
  expect(failures).toEqual([]);
  const visited: string[] = [];
  trie.forEach((words, length, value) => {
    visited.push(key(words, length));
    expect(entries.get(key(words, length))?.value).toBe(value);
  });
  expect(visited.sort()).toEqual([...entries.keys()].sort());
  for (const e of entries.values()) expect(trie.delete(e.words, e.length)).toBe(true);
  expect(trie.size).toBe(0);
  expect(trie.nodeCount).toBe(0);
}

describe('PrefixTrie', () => {
  it('matches a brute-force scan under random IPv4 inserts, replaces and deletes (seeded)', () => {
    property(32, 1);
    property(32, 2);
  });

  it('matches a brute-force scan under random IPv6 inserts, replaces and deletes (seeded)', () => {
    property(128, 3);
    property(128, 4);
  });

  it('finds the longest of nested prefixes, the default route and host routes', () => {
    const t = new PrefixTrie<string>(32);
    t.set([0], 0, 'default');
    t.set([0x0a000000], 8, '10/8');
    t.set([0x0a010000], 16, '10.1/16');
    t.set([0x0a010203], 32, 'host');
    expect(t.longest([0x0a010203])).toBe('host');
    expect(t.longest([0x0a010204])).toBe('10.1/16');
    expect(t.longest([0x0a020000])).toBe('10/8');
    expect(t.longest([0x0b000000])).toBe('default');
    expect(t.matches([0x0a010203]).map((m) => m.value)).toEqual(['host', '10.1/16', '10/8', 'default']);
    t.delete([0], 0);
    expect(t.longest([0x0b000000])).toBeUndefined();
    // Bits after the length are ignored on insert.
    t.set([0xc0a80101], 16, '192.168/16');
    expect(t.get([0xc0a80000], 16)).toBe('192.168/16');
    expect(() => t.set([0], 33, 'x')).toThrow(RangeError);
  });

  it('reuses freed nodes and grows past its initial arrays', () => {
    const t = new PrefixTrie<number>(32);
    for (let i = 0; i < 5000; i++) t.set([(i << 8) >>> 0], 24, i);
    const bytes = t.arrayBytes;
    for (let i = 0; i < 5000; i++) t.delete([(i << 8) >>> 0], 24);
    for (let i = 0; i < 5000; i++) t.set([(i << 8) >>> 0], 24, i);
    expect(t.arrayBytes).toBe(bytes);
    expect(t.size).toBe(5000);
    expect(t.longest([(1234 << 8) | 77])).toBe(1234);
  });

  it('updateAll replaces and removes values in one walk', () => {
    const t = new PrefixTrie<number>(128);
    for (let i = 0; i < 100; i++) t.set([0x20010db8, i, 0, 0], 64, i);
    expect(t.updateAll((v) => (v % 2 === 0 ? undefined : v * 10))).toBe(50);
    expect(t.size).toBe(50);
    expect(t.longest([0x20010db8, 3, 1, 1])).toBe(30);
    expect(t.longest([0x20010db8, 4, 1, 1])).toBeUndefined();
  });
});
