import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import { hrwOwner, hrwRank, type Peer } from './hrw.js';

/** A seeded set of realistic segment keys. */
function keys(count: number, seed: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const title = Math.floor(random() * 500);
    return `/content/title${title}/video/v${Math.floor(random() * 6)}/${String(i).padStart(5, '0')}.m4s`;
  });
}

const peers = (n: number): Peer[] => Array.from({ length: n }, (_, i) => ({ id: `edge-${i}.isp.example` }));
const KEYS = keys(20_000, 1998);

function owners(keySet: readonly string[], peerSet: readonly Peer[]): Map<string, string> {
  return new Map(keySet.map((key) => [key, hrwOwner(key, peerSet)!]));
}

function shares(owned: Map<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const owner of owned.values()) out.set(owner, (out.get(owner) ?? 0) + 1 / owned.size);
  return out;
}

describe('HRW placement', () => {
  it('is deterministic, and hrwOwner agrees with the head of hrwRank', () => {
    const set = peers(7);
    for (const key of KEYS.slice(0, 500)) {
      const rank = hrwRank(key, set);
      expect(rank).toHaveLength(7);
      expect(new Set(rank).size).toBe(7);
      expect(hrwOwner(key, set)).toBe(rank[0]);
      expect(hrwOwner(key, [...set].reverse())).toBe(rank[0]); // peer order does not matter
    }
    expect(hrwRank(KEYS[0]!, set, 2)).toEqual(hrwRank(KEYS[0]!, set).slice(0, 2));
    expect(hrwOwner('/a', [])).toBeUndefined();
    expect(hrwRank('/a', [])).toEqual([]);
  });

  it('spreads keys evenly over equal peers (each within 10% of 1/n)', () => {
    const share = shares(owners(KEYS, peers(10)));
    expect(share.size).toBe(10);
    for (const [peer, s] of share) expect(Math.abs(s - 0.1), peer).toBeLessThan(0.01);
  });

  it('moves only the keys of a peer that leaves, each to its second choice', () => {
    const before = owners(KEYS, peers(10));
    const leaving = 'edge-3.isp.example';
    const remaining = peers(10).filter((p) => p.id !== leaving);
    let moved = 0;
    for (const key of KEYS) {
      const after = hrwOwner(key, remaining);
      if (after !== before.get(key)) {
        moved++;
        expect(before.get(key)).toBe(leaving);
        expect(after).toBe(hrwRank(key, peers(10))[1]);
      } else {
        expect(before.get(key)).not.toBe(leaving);
      }
    }
    // Exactly the leaver's keys moved: about 1/10 of them.
    expect(Math.abs(moved / KEYS.length - 0.1)).toBeLessThan(0.01);
  });

  it('gives a joining peer about 1/(n+1) of the keys, taken from the others, nothing else moving', () => {
    const before = owners(KEYS, peers(10));
    const after = owners(KEYS, peers(11));
    let moved = 0;
    for (const key of KEYS) {
      if (after.get(key) !== before.get(key)) {
        moved++;
        expect(after.get(key)).toBe('edge-10.isp.example');
      }
    }
    expect(Math.abs(moved / KEYS.length - 1 / 11)).toBeLessThan(0.01);
  });

  it('gives weighted peers shares proportional to their weights', () => {
    const set: Peer[] = [
      { id: 'big', weight: 4 },
      { id: 'mid', weight: 2 },
      { id: 'small', weight: 1 },
      { id: 'small2' },
    ];
    const share = shares(owners(KEYS, set));
    expect(share.get('big')).toBeCloseTo(4 / 8, 1);
    expect(Math.abs(share.get('big')! - 0.5)).toBeLessThan(0.015);
    expect(Math.abs(share.get('mid')! - 0.25)).toBeLessThan(0.015);
    expect(Math.abs(share.get('small')! - 0.125)).toBeLessThan(0.015);
    expect(Math.abs(share.get('small2')! - 0.125)).toBeLessThan(0.015);
    // Raising one weight moves keys only towards that peer.
    const heavier = owners(
      KEYS,
      set.map((p) => (p.id === 'mid' ? { ...p, weight: 3 } : p)),
    );
    const before = owners(KEYS, set);
    for (const key of KEYS) {
      if (heavier.get(key) !== before.get(key)) expect(heavier.get(key)).toBe('mid');
    }
  });

  it('refuses bad weights', () => {
    for (const weight of [0, -1, NaN, Infinity]) {
      expect(() => hrwOwner('/a', [{ id: 'x', weight }])).toThrow(RangeError);
      expect(() => hrwRank('/a', [{ id: 'x', weight }])).toThrow(RangeError);
    }
  });
});
