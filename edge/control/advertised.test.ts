import { describe, expect, it } from 'vitest';
import { AdvertisedRoutes, checkRoute, groupRoutes } from './advertised.js';
import type { Route } from './types.js';

const route = (prefix: string, extra: Partial<Route> = {}): Route => ({
  prefix,
  nextHop: '192.0.2.1',
  asPath: [65001],
  ...extra,
});

function prefixesOf(batch: ReturnType<AdvertisedRoutes['take']>): {
  announce: string[];
  withdraw: string[];
  full: boolean;
} {
  return {
    announce: (batch?.message.announce ?? []).flatMap((g) => g.prefixes).sort(),
    withdraw: [...(batch?.message.withdraw ?? [])].sort(),
    full: batch?.message.full === true,
  };
}

describe('checkRoute', () => {
  it('canonicalises the prefix and refuses malformed routes', () => {
    expect(checkRoute(route('2001:DB8:0::/32'))).toEqual({ ok: true, route: route('2001:db8::/32') });
    for (const bad of [
      route('10.0.0.1/8'),
      route('10.0.0.0/8', { nextHop: 'router' }),
      route('10.0.0.0/8', { asPath: [-1] }),
      route('10.0.0.0/8', { asPath: [2 ** 32] }),
      route('10.0.0.0/8', { localPref: 1.5 }),
      route('10.0.0.0/8', { med: -1 }),
      route('10.0.0.0/8', { communities: ['no-export'] }),
    ]) {
      expect(checkRoute(bad).ok, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('groupRoutes', () => {
  it('groups prefixes sharing path attributes', () => {
    const groups = groupRoutes([
      route('10.0.0.0/8'),
      route('11.0.0.0/8', { localPref: 200 }),
      route('12.0.0.0/8'),
      route('13.0.0.0/8', { communities: ['65000:1'] }),
    ]);
    expect(groups).toEqual([
      { prefixes: ['10.0.0.0/8', '12.0.0.0/8'], nextHop: '192.0.2.1', asPath: [65001] },
      { prefixes: ['11.0.0.0/8'], nextHop: '192.0.2.1', asPath: [65001], localPref: 200 },
      { prefixes: ['13.0.0.0/8'], nextHop: '192.0.2.1', asPath: [65001], communities: ['65000:1'] },
    ]);
  });
});

describe('AdvertisedRoutes', () => {
  it('starts with a full resync, then sends only changes, the latest state of each prefix', () => {
    const a = new AdvertisedRoutes();
    a.apply({ announce: [route('10.0.0.0/8'), route('11.0.0.0/8')], withdraw: [] });
    expect(a.resyncDue).toBe(true);
    expect(prefixesOf(a.take(100))).toEqual({
      announce: ['10.0.0.0/8', '11.0.0.0/8'],
      withdraw: [],
      full: true,
    });
    a.ack();
    expect(a.take(100)).toBeUndefined();
    // Announce then withdraw before the next heartbeat: only the withdrawal goes out.
    a.apply({ announce: [route('12.0.0.0/8')], withdraw: [] });
    a.apply({ announce: [], withdraw: ['12.0.0.0/8', '10.0.0.0/8', '99.0.0.0/8'] });
    a.apply({ announce: [route('11.0.0.0/8', { med: 5 })], withdraw: [] });
    expect(prefixesOf(a.take(100))).toEqual({
      announce: ['11.0.0.0/8'],
      withdraw: ['10.0.0.0/8', '12.0.0.0/8'],
      full: false,
    });
    a.ack();
    expect(a.pending).toBe(0);
    expect([...a.routes()].map((r) => [r.prefix, r.med])).toEqual([['11.0.0.0/8', 5]]);
  });

  it('puts an unacknowledged batch back, merged with newer changes', () => {
    const a = new AdvertisedRoutes();
    a.take(10);
    a.ack();
    a.apply({ announce: [route('10.0.0.0/8'), route('11.0.0.0/8')], withdraw: [] });
    a.take(10);
    a.apply({ announce: [], withdraw: ['11.0.0.0/8'] });
    a.nack();
    expect(prefixesOf(a.take(10))).toEqual({
      announce: ['10.0.0.0/8'],
      withdraw: ['11.0.0.0/8'],
      full: false,
    });
    expect(() => a.take(10)).toThrow(/in flight/);
  });

  it('chunks large tables: the first chunk is the full resync, the rest follow as changes', () => {
    const a = new AdvertisedRoutes();
    a.apply({ announce: Array.from({ length: 250 }, (_, i) => route(`10.${i}.0.0/16`)), withdraw: [] });
    const seen = new Set<string>();
    const sizes: number[] = [];
    let first = true;
    for (let batch = a.take(100); batch; batch = a.take(100)) {
      expect(batch.message.full === true).toBe(first);
      first = false;
      sizes.push(batch.size);
      for (const p of prefixesOf(batch).announce) seen.add(p);
      a.ack();
    }
    expect(sizes).toEqual([100, 100, 50]);
    expect(seen.size).toBe(250);
  });

  it('resends the whole table after a lost full batch or a resync', () => {
    const a = new AdvertisedRoutes();
    a.apply({ announce: [route('10.0.0.0/8')], withdraw: [] });
    a.take(10);
    a.nack();
    expect(a.resyncDue).toBe(true);
    a.take(10);
    a.ack();
    a.apply({ announce: [route('11.0.0.0/8')], withdraw: [] });
    a.resync();
    expect(prefixesOf(a.take(10))).toEqual({
      announce: ['10.0.0.0/8', '11.0.0.0/8'],
      withdraw: [],
      full: true,
    });
  });

  it('drops malformed routes and reports them', () => {
    const a = new AdvertisedRoutes();
    const rejected = a.apply({ announce: [route('10.0.0.0/8'), route('10.0.0.1/8')], withdraw: ['bogus'] });
    expect(rejected).toHaveLength(2);
    expect(a.size).toBe(1);
  });
});
