import { describe, expect, it } from 'vitest';
import { hrwRank } from '../placement/hrw.js';
import { MAX_PEER_SOURCES, ORIGIN_SOURCE, ownerWorker, planFillSources } from './sources.js';

const peers = ['a', 'b', 'c', 'd'].map((id) => ({ id }));
const parents = [{ id: 'p1' }, { id: 'p2' }];
const keys = Array.from({ length: 200 }, (_, i) => `/content/t1/video/v0/${i}.m4s`);

describe('planFillSources', () => {
  it('asks the peers ranked above this node (at most two), then the parents by rank, then the origin', () => {
    for (const key of keys) {
      const rank = hrwRank(key, peers);
      const plan = planFillSources(key, { nodeId: 'c', peers, parents }, false);
      const above = rank.slice(0, rank.indexOf('c')).slice(0, MAX_PEER_SOURCES);
      expect(plan).toEqual([
        ...above.map((id) => ({ kind: 'peer', id })),
        ...hrwRank(key, parents).map((id) => ({ kind: 'parent', id })),
        ORIGIN_SOURCE,
      ]);
    }
  });

  it('asks no peer when this node owns the key, and none for a peer request', () => {
    const owned = keys.filter((key) => hrwRank(key, peers)[0] === 'b');
    expect(owned.length).toBeGreaterThan(10);
    for (const key of owned) {
      expect(planFillSources(key, { nodeId: 'b', peers, parents: [] }, false)).toEqual([ORIGIN_SOURCE]);
    }
    for (const key of keys) {
      expect(planFillSources(key, { nodeId: 'c', peers, parents: [] }, true)).toEqual([ORIGIN_SOURCE]);
    }
  });

  it('ranks this node even when the peer list leaves it out, and every node agrees on the owner', () => {
    const others = peers.filter((p) => p.id !== 'd');
    for (const key of keys) {
      const owner = hrwRank(key, peers)[0]!;
      for (const node of ['a', 'b', 'c', 'd']) {
        const plan = planFillSources(
          key,
          { nodeId: node, peers: node === 'd' ? others : peers, parents },
          false,
        );
        expect(plan[0]).toEqual(
          node === owner ? { kind: 'parent', id: hrwRank(key, parents)[0] } : { kind: 'peer', id: owner },
        );
      }
    }
  });
});

describe('planFillSources with worker processes', () => {
  const keys = Array.from({ length: 400 }, (_, i) => `/content/t/video/v0/${String(i).padStart(5, '0')}.m4s`);

  it('asks the owner worker first unless this worker owns the key or a sibling asked', () => {
    for (const key of keys) {
      const owner = ownerWorker(key, 3);
      for (let index = 0; index < 3; index++) {
        const topology = { nodeId: 'a', peers: [], parents: [], workers: { index, count: 3 } };
        const plan = planFillSources(key, topology, false);
        if (index === owner) expect(plan).toEqual([ORIGIN_SOURCE]);
        else expect(plan).toEqual([{ kind: 'worker', id: String(owner) }, ORIGIN_SOURCE]);
        expect(planFillSources(key, topology, false, true)).toEqual([ORIGIN_SOURCE]);
      }
    }
  });

  it('spreads keys evenly over the workers and ignores a single worker', () => {
    const counts = [0, 0, 0];
    for (const key of keys) counts[ownerWorker(key, 3)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(keys.length / 3 - 40);
    expect(keys.every((key) => ownerWorker(key, 1) === 0)).toBe(true);
    const single = { nodeId: 'a', peers: [], parents: [], workers: { index: 0, count: 1 } };
    expect(planFillSources(keys[0]!, single, false)).toEqual([ORIGIN_SOURCE]);
  });

  it('puts the owner worker before the peers of the cluster', () => {
    const key = keys.find((k) => ownerWorker(k, 2) === 1)!;
    const topology = {
      nodeId: 'a',
      peers: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
      parents: [],
      workers: { index: 0, count: 2 },
    };
    const plan = planFillSources(key, topology, false);
    expect(plan[0]).toEqual({ kind: 'worker', id: '1' });
    expect(plan.at(-1)).toEqual(ORIGIN_SOURCE);
  });
});
