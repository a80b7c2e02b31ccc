import { describe, expect, it } from 'vitest';
import { BgpSpeaker, loadBgpConfig, type Route as BgpRoute } from '../bgp/index.js';
import { bgpRouteSource, controlRoute } from './bgpSource.js';
import type { RouteDelta } from './types.js';

const learned: BgpRoute = {
  prefix: '198.51.100.0/24',
  family: 'ipv4',
  pathId: 3,
  peer: 'isp',
  nextHop: '192.0.2.1',
  asPath: [65001, 65001],
  asPathLength: 2,
  origin: 'igp',
  med: 20,
  localPref: 100,
  communities: ['65001:100'],
  largeCommunities: ['65001:1:2'],
  stale: false,
};

describe('the BGP speaker as a route source', () => {
  it('reduces a learned route to what steering ranks by, communities of both kinds together', () => {
    expect(controlRoute(learned)).toEqual({
      prefix: '198.51.100.0/24',
      nextHop: '192.0.2.1',
      asPath: [65001, 65001],
      localPref: 100,
      med: 20,
      communities: ['65001:100', '65001:1:2'],
    });
    const { med: _med, ...noMed } = learned;
    expect(controlRoute({ ...noMed, communities: [], largeCommunities: [] })).toEqual({
      prefix: '198.51.100.0/24',
      nextHop: '192.0.2.1',
      asPath: [65001, 65001],
      localPref: 100,
    });
  });

  it("passes a speaker's deltas to subscribers until they unsubscribe", () => {
    const speaker = new BgpSpeaker({ config: loadBgpConfig({ localAs: 65000, routerId: '192.0.2.9' }) });
    const source = bgpRouteSource(speaker);
    const got: RouteDelta[] = [];
    const unsubscribe = source.subscribe((d) => got.push(d));
    // Nothing learned yet: no snapshot.
    expect(got).toEqual([]);
    speaker.emit('delta', { announce: [learned], withdraw: ['10.0.0.0/8'] });
    expect(got).toEqual([{ announce: [controlRoute(learned)], withdraw: ['10.0.0.0/8'] }]);
    unsubscribe();
    speaker.emit('delta', { announce: [], withdraw: ['198.51.100.0/24'] });
    expect(got).toHaveLength(1);
    expect(speaker.listenerCount('delta')).toBe(0);
  });
});
