import { describe, expect, it } from 'vitest';
import type { PrefixMatch, RouteAttributes } from './routeTable.js';
import { selectEdges, type CandidateEdge, type SelectionInput } from './select.js';

function edge(id: string, extra: Partial<CandidateEdge> = {}): CandidateEdge {
  return { id, cluster: 'c1', health: 'ok', utilisation: 0.1, capacityGbps: 10, hasTitle: false, ...extra };
}

function eligible(...edges: CandidateEdge[]): Map<string, CandidateEdge> {
  return new Map(edges.map((e) => [e.id, e]));
}

function match(prefix: string, routes: Array<[string, Partial<RouteAttributes>?]>): PrefixMatch {
  return {
    prefix,
    family: 4,
    length: Number(prefix.split('/')[1]),
    routes: routes.map(([edgeId, a]) => ({ edgeId, attrs: { nextHop: '192.0.2.1', asPath: [65001], ...a } })),
  };
}

function ids(input: SelectionInput): string[] {
  const s = selectEdges(input);
  return s.kind === 'ranked' ? s.ranked.map((r) => r.edgeId) : [];
}

const base = { hrwKey: 'session-1', count: 3 };

describe('selectEdges', () => {
  it('ranks like BGP best path: LOCAL_PREF, then AS_PATH length, then MED', () => {
    const edges = eligible(edge('a'), edge('b'), edge('c'), edge('d'));
    const m = match('10.0.0.0/8', [
      ['a', { localPref: 100, asPath: [1] }],
      ['b', { localPref: 200, asPath: [1, 2, 3] }],
      ['c', { localPref: 100, asPath: [1], med: 10 }],
      ['d', { asPath: [1, 2] }],
    ]);
    const s = selectEdges({ ...base, count: 4, matches: [m], eligible: edges });
    expect(s.kind === 'ranked' && s.ranked.map((r) => [r.edgeId, r.decidedBy])).toEqual([
      ['b', 'local_pref'],
      ['a', 'med'],
      ['c', 'as_path'],
      ['d', undefined],
    ]);
    if (s.kind !== 'ranked') throw new Error();
    expect(s.outcome).toBe('matched_prefix');
    expect(s.matchedPrefix).toBe('10.0.0.0/8');
    expect(s.ranked[0]!.reason).toMatch(/10\.0\.0\.0\/8, the longest prefix.*LOCAL_PREF 200 > 100/);
    expect(s.ranked[1]!.reason).toMatch(/MED 0 < 10/);
    expect(s.ranked[2]!.reason).toMatch(/AS_PATH length 1 < 2/);
  });

  it('then health, load class and cached content, before the hash', () => {
    const routes = match('10.0.0.0/8', [['a'], ['b'], ['c'], ['d']]);
    const edges = eligible(
      edge('a', { health: 'degraded' }),
      edge('b', { utilisation: 0.95 }),
      edge('c', { utilisation: 0.5, hasTitle: true }),
      edge('d', { utilisation: 0.6 }),
    );
    const s = selectEdges({ ...base, count: 4, matches: [routes], eligible: edges });
    expect(s.kind === 'ranked' && s.ranked.map((r) => [r.edgeId, r.decidedBy])).toEqual([
      ['c', 'content'],
      ['d', 'load'],
      ['b', 'health'],
      ['a', undefined],
    ]);
  });

  it('puts the longest prefix first even when a less specific one has better attributes, and fills from less specific ones', () => {
    const edges = eligible(edge('near'), edge('wide'), edge('other'));
    const matches = [
      match('10.1.0.0/16', [['near', { localPref: 50 }]]),
      match('10.0.0.0/8', [
        ['wide', { localPref: 500 }],
        ['near', { localPref: 500 }],
      ]),
    ];
    const s = selectEdges({ ...base, matches, eligible: edges });
    if (s.kind !== 'ranked') throw new Error();
    expect(s.ranked.map((r) => [r.edgeId, r.tier, r.prefix])).toEqual([
      ['near', 'longest_prefix', '10.1.0.0/16'],
      ['wide', 'less_specific_prefix', '10.0.0.0/8'],
      ['other', 'fallback', undefined],
    ]);
    expect(s.ranked[0]!.decidedBy).toBe('tier');
    expect(s.ranked[1]!.reason).toMatch(/less specific than 10\.1\.0\.0\/16/);
  });

  it('skips edges out of rotation, even on the longest prefix', () => {
    const edges = eligible(edge('b'));
    const s = selectEdges({
      ...base,
      count: 1,
      matches: [match('10.1.0.0/16', [['a']]), match('10.0.0.0/8', [['b']])],
      eligible: edges,
    });
    expect(s.kind === 'ranked' && [s.ranked[0]!.edgeId, s.ranked[0]!.tier, s.matchedPrefix]).toEqual([
      'b',
      'longest_prefix',
      '10.0.0.0/8',
    ]);
  });

  it('sends unmatched clients to the default cluster, then to any edge', () => {
    const edges = eligible(
      edge('x1', { cluster: 'west' }),
      edge('d1', { cluster: 'home' }),
      edge('d2', { cluster: 'home' }),
    );
    const s = selectEdges({ ...base, matches: [], eligible: edges, defaultCluster: 'home' });
    if (s.kind !== 'ranked') throw new Error();
    expect(s.outcome).toBe('default');
    expect(s.matchedPrefix).toBeUndefined();
    expect(s.ranked.map((r) => r.tier)).toEqual(['default_cluster', 'default_cluster', 'fallback']);
    expect(new Set(s.ranked.slice(0, 2).map((r) => r.edgeId))).toEqual(new Set(['d1', 'd2']));
    expect(s.ranked[0]!.reason).toMatch(/no announced prefix covers the client: default cluster home/);
    // Matched clients get the default cluster after their prefix edges.
    const m = selectEdges({
      ...base,
      matches: [match('10.0.0.0/8', [['x1']])],
      eligible: edges,
      defaultCluster: 'home',
    });
    expect(m.kind === 'ranked' && m.ranked.map((r) => r.tier)).toEqual([
      'longest_prefix',
      'default_cluster',
      'default_cluster',
    ]);
  });

  it('answers no_healthy_edge with nothing in rotation', () => {
    expect(selectEdges({ ...base, matches: [match('10.0.0.0/8', [['a']])], eligible: new Map() })).toEqual({
      kind: 'no_healthy_edge',
      outcome: 'no_healthy_edge',
    });
  });

  it('spreads equal edges by session in proportion to capacity, and a session keeps its edges', () => {
    const edges = eligible(
      edge('a', { capacityGbps: 10 }),
      edge('b', { capacityGbps: 10 }),
      edge('c', { capacityGbps: 20 }),
    );
    const m = [match('10.0.0.0/8', [['a'], ['b'], ['c']])];
    const firsts = new Map<string, number>();
    const sessions = 4000;
    for (let i = 0; i < sessions; i++) {
      const first = ids({ ...base, hrwKey: `s${i}`, matches: m, eligible: edges })[0]!;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    expect(firsts.get('c')! / sessions).toBeGreaterThan(0.45);
    expect(firsts.get('c')! / sessions).toBeLessThan(0.55);
    expect(firsts.get('a')! / sessions).toBeGreaterThan(0.2);
    expect(firsts.get('b')! / sessions).toBeGreaterThan(0.2);
    const once = ids({ ...base, hrwKey: 'sticky', matches: m, eligible: edges });
    expect(ids({ ...base, hrwKey: 'sticky', matches: m, eligible: edges })).toEqual(once);
    // When the session's first edge leaves, the others keep their order (rendezvous hashing).
    const without = eligible(...[...edges.values()].filter((e) => e.id !== once[0]));
    expect(ids({ ...base, hrwKey: 'sticky', matches: m, eligible: without })).toEqual(once.slice(1));
  });

  it('cuts the list at count', () => {
    const edges = eligible(edge('a'), edge('b'), edge('c'), edge('d'));
    expect(ids({ ...base, count: 2, matches: [], eligible: edges })).toHaveLength(2);
    expect(ids({ ...base, count: 10, matches: [], eligible: edges })).toHaveLength(4);
  });
});
