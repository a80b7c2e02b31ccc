import { describe, expect, it } from 'vitest';
import { AdjRibIn, LocRib } from './rib.js';
import { type Route, compareRoutes, routesOfUpdate } from './route.js';
import type { Negotiated } from './codec/negotiate.js';

function route(prefix: string, extra: Partial<Route> = {}): Route {
  return {
    prefix,
    family: prefix.includes(':') ? 'ipv6' : 'ipv4',
    pathId: 0,
    peer: 'a',
    nextHop: '192.0.2.1',
    asPath: [65001],
    asPathLength: 1,
    origin: 'igp',
    localPref: 100,
    communities: [],
    largeCommunities: [],
    stale: false,
    ...extra,
  };
}

describe('best route order (RFC 4271 §9.1.2.2)', () => {
  it.each([
    ['fresh over stale', { stale: false, localPref: 50 }, { stale: true, localPref: 500 }],
    ['higher LOCAL_PREF', { localPref: 200 }, { localPref: 100 }],
    ['shorter AS path', { asPathLength: 1 }, { asPathLength: 2 }],
    ['lower ORIGIN', { origin: 'igp' }, { origin: 'incomplete' }],
    ['lower MED', { med: 5 }, { med: 10 }],
    ['absent MED as 0', {}, { med: 1 }],
    ['lower peer name', { peer: 'a' }, { peer: 'b' }],
    ['lower path id', { pathId: 1 }, { pathId: 2 }],
  ] as [string, Partial<Route>, Partial<Route>][])('prefers %s', (_name, better, worse) => {
    const a = route('10.0.0.0/8', better);
    const b = route('10.0.0.0/8', worse);
    expect(compareRoutes(a, b)).toBeLessThan(0);
    expect(compareRoutes(b, a)).toBeGreaterThan(0);
  });
});

describe('Adj-RIB-In', () => {
  it('keys routes by prefix and path id, and sweeps stale routes per family', () => {
    const rib = new AdjRibIn();
    rib.announce(route('10.0.0.0/8', { pathId: 1 }));
    rib.announce(route('10.0.0.0/8', { pathId: 2 }));
    rib.announce(route('2001:db8::/32'));
    expect(rib.size).toBe(3);
    expect(rib.withdraw('10.0.0.0/8', 1)?.pathId).toBe(1);
    expect(rib.withdraw('10.0.0.0/8', 1)).toBeUndefined();
    expect(rib.markStale().every((r) => r.stale)).toBe(true);
    expect(rib.staleCount('ipv6')).toBe(1);
    rib.announce(route('10.0.0.0/8', { pathId: 2 }));
    expect(rib.sweepStale('ipv4')).toEqual([]);
    expect(rib.sweepStale('ipv6').map((r) => r.prefix)).toEqual(['2001:db8::/32']);
    expect(rib.clear().map((r) => r.prefix)).toEqual(['10.0.0.0/8']);
    expect(rib.size).toBe(0);
  });
});

describe('Loc-RIB deltas', () => {
  it('announces a new best, stays quiet when the best does not change, withdraws when no peer has the prefix', () => {
    const loc = new LocRib();
    const a = route('10.0.0.0/8', { peer: 'a', med: 10 });
    const b = route('10.0.0.0/8', { peer: 'b', med: 5 });
    expect(loc.apply([a], [])).toEqual({ announce: [a], withdraw: [] });
    expect(loc.apply([b], [])).toEqual({ announce: [b], withdraw: [] });
    // The worse path changing, or the best re-sent unchanged, or marked stale: nothing to report.
    expect(loc.apply([{ ...a, med: 11 }], [])).toEqual({ announce: [], withdraw: [] });
    expect(loc.apply([{ ...b }], [])).toEqual({ announce: [], withdraw: [] });
    // Losing the best falls back to the other.
    expect(loc.apply([], [b])).toEqual({ announce: [{ ...a, med: 11 }], withdraw: [] });
    expect(loc.apply([], [{ ...a, med: 11 }])).toEqual({ announce: [], withdraw: ['10.0.0.0/8'] });
    expect(loc.size).toBe(0);
    expect(loc.apply([], [a])).toEqual({ announce: [], withdraw: [] });
  });

  it('prefers a fresh route from another peer over a stale one', () => {
    const loc = new LocRib();
    const a = route('10.0.0.0/8', { peer: 'a', localPref: 200 });
    const b = route('10.0.0.0/8', { peer: 'b' });
    loc.apply([a, b], []);
    expect(loc.bestFor('10.0.0.0/8')?.peer).toBe('a');
    expect(loc.apply([{ ...a, stale: true }], [])).toEqual({ announce: [b], withdraw: [] });
  });
});

describe('routes of an UPDATE', () => {
  const n = { fourOctetAs: true } as Negotiated;
  it('gives IPv4 NLRI the NEXT_HOP and MP_REACH NLRI its own next hop, with formatted communities', () => {
    const { announced, withdrawn } = routesOfUpdate(
      {
        withdrawn: [{ prefix: '10.9.0.0/16', pathId: 0 }],
        nlri: [{ prefix: '10.0.0.0/8', pathId: 3 }],
        attributes: {
          origin: 'egp',
          asPath: [
            { type: 'sequence', asns: [1, 2] },
            { type: 'set', asns: [3, 4] },
          ],
          nextHop: '192.0.2.1',
          communities: [0xffffff01, 0x00010002],
          largeCommunities: [{ global: 4200000000, local1: 0, local2: 4294967295 }],
          mpReach: {
            afi: 2,
            safi: 1,
            nextHop: '2001:db8::1',
            nlri: [{ prefix: '2001:db8::/32', pathId: 0 }],
          },
          mpUnreach: { afi: 2, safi: 1, withdrawn: [{ prefix: '2001:db9::/32', pathId: 0 }] },
        },
      },
      n,
      'peer1',
    );
    expect(withdrawn.map((w) => w.prefix)).toEqual(['10.9.0.0/16', '2001:db9::/32']);
    expect(announced.map((r) => [r.prefix, r.nextHop, r.pathId, r.family])).toEqual([
      ['10.0.0.0/8', '192.0.2.1', 3, 'ipv4'],
      ['2001:db8::/32', '2001:db8::1', 0, 'ipv6'],
    ]);
    expect(announced[0]).toMatchObject({
      asPath: [1, 2, 3, 4],
      asPathLength: 3,
      origin: 'egp',
      localPref: 100,
      communities: ['65535:65281', '1:2'],
      largeCommunities: ['4200000000:0:4294967295'],
    });
    expect(announced[0]).not.toHaveProperty('med');
  });
});
