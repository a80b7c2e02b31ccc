import { describe, expect, it } from 'vitest';
import { parseIp, parsePrefix, type IpPrefix } from '../../common/ip.js';
import { RouteTable, type RouteAttributes } from './routeTable.js';

function prefix(text: string): IpPrefix {
  const p = parsePrefix(text);
  if (!p.ok) throw new Error(p.reason);
  return p.prefix;
}

const attrs = (asPath: number[], extra: Partial<RouteAttributes> = {}): RouteAttributes => ({
  nextHop: '192.0.2.1',
  asPath,
  ...extra,
});

describe('RouteTable', () => {
  it('keeps one route per edge and prefix, and returns every edge of the longest match', () => {
    const t = new RouteTable();
    expect(t.announce(prefix('10.0.0.0/8'), 'a', attrs([65001]))).toBe(true);
    expect(t.announce(prefix('10.1.0.0/16'), 'a', attrs([65001]))).toBe(true);
    expect(t.announce(prefix('10.1.0.0/16'), 'b', attrs([65002, 65003]))).toBe(true);
    // A second announcement of the same (prefix, edge) replaces the route.
    expect(t.announce(prefix('10.1.0.0/16'), 'b', attrs([65002], { localPref: 200 }))).toBe(false);
    expect(t.size).toEqual({ ipv4: 2, ipv6: 0 });

    const m = t.lookup(parseIp('10.1.2.3')!)!;
    expect(m.prefix).toBe('10.1.0.0/16');
    expect(m.routes.map((r) => [r.edgeId, r.attrs.localPref])).toEqual([
      ['a', undefined],
      ['b', 200],
    ]);
    expect(t.matches(parseIp('10.1.2.3')!).map((x) => x.prefix)).toEqual(['10.1.0.0/16', '10.0.0.0/8']);
    expect(t.lookup(parseIp('10.2.0.1')!)!.prefix).toBe('10.0.0.0/8');
    expect(t.lookup(parseIp('11.0.0.1')!)).toBeUndefined();
    expect(t.lookup(parseIp('::1')!)).toBeUndefined();
  });

  it('withdraws per edge and drops the prefix with its last route', () => {
    const t = new RouteTable();
    t.announce(prefix('2001:db8::/32'), 'a', attrs([1]));
    t.announce(prefix('2001:db8::/32'), 'b', attrs([2]));
    expect(t.withdraw(prefix('2001:db8::/32'), 'c')).toBe(false);
    expect(t.withdraw(prefix('2001:db8::/32'), 'a')).toBe(true);
    expect(t.lookup(parseIp('2001:db8::5')!)!.routes.map((r) => r.edgeId)).toEqual(['b']);
    expect(t.withdraw(prefix('2001:db8::/32'), 'b')).toBe(true);
    expect(t.size).toEqual({ ipv4: 0, ipv6: 0 });
    expect(t.lookup(parseIp('2001:db8::5')!)).toBeUndefined();
    expect(t.withdraw(prefix('2001:db8::/48'), 'b')).toBe(false);
  });

  it('removes all routes of one edge, leaving the others', () => {
    const t = new RouteTable();
    for (let i = 0; i < 300; i++) {
      t.announce(prefix(`10.${i >> 8}.${i & 255}.0/24`), 'a', attrs([1]));
      if (i % 3 === 0) t.announce(prefix(`10.${i >> 8}.${i & 255}.0/24`), 'b', attrs([2]));
    }
    t.announce(prefix('2001:db8::/32'), 'a', attrs([1]));
    expect(t.removeEdge('a')).toEqual({ ipv4: 300, ipv6: 1 });
    expect(t.size).toEqual({ ipv4: 100, ipv6: 0 });
    expect(t.has(prefix('10.0.3.0/24'), 'b')).toBe(true);
    expect(t.has(prefix('10.0.3.0/24'), 'a')).toBe(false);
    expect(t.lookup(parseIp('10.0.1.1')!)).toBeUndefined();
    const seen: string[] = [];
    t.forEach((_p, r) => seen.push(r.edgeId));
    expect(seen).toHaveLength(100);
    expect(new Set(seen)).toEqual(new Set(['b']));
  });
});
