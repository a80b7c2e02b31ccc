import { describe, expect, it } from 'vitest';
import { parseIp } from '../../common/ip.js';
import type { HeartbeatRequest } from '../../common/steeringProtocol.js';
import { EdgeRegistry, type RegistryPolicy } from './registry.js';

const POLICY: RegistryPolicy = {
  heartbeatIntervalMs: 1000,
  missedHeartbeats: 3,
  forgetAfterMs: 60_000,
  maxEdges: 3,
  maxPrefixesPerEdge: 4,
};

function registered(policy: RegistryPolicy = POLICY) {
  const reg = new EdgeRegistry(policy);
  const out = reg.register(
    { id: 'e1', cluster: 'c1', publicUrl: 'http://127.0.0.1:1/', capacityGbps: 10 },
    { epoch: 'ep1', nowMs: 0 },
  );
  if (out.kind !== 'registered') throw new Error(out.kind);
  return reg;
}

function beat(seq: number, extra: Partial<HeartbeatRequest> = {}): HeartbeatRequest {
  return { epoch: 'ep1', seq, health: 'ok', loadGbps: 1, draining: false, ...extra };
}

const announce = (...prefixes: string[]) => ({
  announce: [{ prefixes, nextHop: '192.0.2.1', asPath: [65001], localPref: 150 }],
});

const lookupEdges = (reg: EdgeRegistry, ip: string) =>
  reg.routes.lookup(parseIp(ip)!)?.routes.map((r) => r.edgeId) ?? [];

describe('EdgeRegistry', () => {
  it('moves an edge from pending to active with its first heartbeat, and stale after missed ones', () => {
    const reg = registered();
    const edge = reg.get('e1')!;
    expect(edge.publicUrl).toBe('http://127.0.0.1:1');
    expect(reg.stateOf(edge, 10)).toBe('pending');
    const out = reg.heartbeat('e1', beat(1, { routes: announce('10.0.0.0/8') }), 500);
    expect(out.kind).toBe('applied');
    expect(reg.stateOf(edge, 500)).toBe('active');
    expect(reg.stateOf(edge, 500 + 3000)).toBe('active');
    expect(reg.stateOf(edge, 500 + 3001)).toBe('stale');
    // A pending edge that never beats goes stale too.
    reg.register(
      { id: 'e2', cluster: 'c1', publicUrl: 'http://x:1', capacityGbps: 1 },
      { epoch: 'x', nowMs: 0 },
    );
    expect(reg.stateOf(reg.get('e2')!, 3001)).toBe('stale');
  });

  it('reports down and draining from the heartbeat', () => {
    const reg = registered();
    reg.heartbeat('e1', beat(1, { health: 'down' }), 1);
    expect(reg.stateOf(reg.get('e1')!, 1)).toBe('down');
    reg.heartbeat('e1', beat(2, { draining: true }), 2);
    expect(reg.stateOf(reg.get('e1')!, 2)).toBe('draining');
    reg.heartbeat('e1', beat(3, { health: 'degraded', capacityGbps: 40, cache: { titles: ['t1'] } }), 3);
    const e = reg.get('e1')!;
    expect(reg.stateOf(e, 3)).toBe('active');
    expect([e.health, e.capacityGbps, [...e.cachedTitles]]).toEqual(['degraded', 40, ['t1']]);
  });

  it('applies withdrawals before announcements and counts prefixes per family', () => {
    const reg = registered();
    reg.heartbeat('e1', beat(1, { routes: announce('10.0.0.0/8', '2001:db8::/32') }), 1);
    expect(reg.get('e1')!.prefixes).toEqual({ ipv4: 1, ipv6: 1 });
    const out = reg.heartbeat(
      'e1',
      beat(2, {
        routes: { withdraw: ['10.0.0.0/8', '2001:db8::/32', '10.9.0.0/16'], ...announce('10.0.0.0/8') },
      }),
      2,
    );
    expect(out.kind === 'applied' && [out.announced, out.withdrawn]).toEqual([1, 2]);
    expect(reg.get('e1')!.prefixes).toEqual({ ipv4: 1, ipv6: 0 });
    expect(lookupEdges(reg, '10.1.1.1')).toEqual(['e1']);
    expect(reg.routes.lookup(parseIp('10.1.1.1')!)!.routes[0]!.attrs).toEqual({
      nextHop: '192.0.2.1',
      asPath: [65001],
      localPref: 150,
    });
  });

  it('ignores a heartbeat whose seq is not above the last one applied', () => {
    const reg = registered();
    reg.heartbeat('e1', beat(5, { routes: announce('10.0.0.0/8') }), 1);
    const out = reg.heartbeat('e1', beat(4, { routes: { withdraw: ['10.0.0.0/8'] }, draining: true }), 2);
    expect(out.kind).toBe('duplicate');
    expect(lookupEdges(reg, '10.0.0.1')).toEqual(['e1']);
    expect(reg.get('e1')!.draining).toBe(false);
    expect(reg.heartbeat('e1', beat(5), 3).kind).toBe('duplicate');
  });

  it('answers unknown and epoch mismatch without changing anything', () => {
    const reg = registered();
    expect(reg.heartbeat('nobody', beat(1), 1)).toEqual({ kind: 'unknown' });
    expect(reg.heartbeat('e1', { ...beat(1), epoch: 'old' }, 1)).toEqual({
      kind: 'epoch_mismatch',
      current: 'ep1',
    });
    expect(reg.get('e1')!.lastSeq).toBe(0);
  });

  it('refuses a heartbeat with one bad route whole: nothing applied, not even its status', () => {
    const reg = registered();
    reg.heartbeat('e1', beat(1, { routes: announce('10.0.0.0/8') }), 1);
    for (const routes of [
      { withdraw: ['10.0.0.0/8'], ...announce('11.0.0.0/8', '12.0.0.1/8') },
      { withdraw: ['10.0.0.0/8', 'nonsense'] },
      { announce: [{ prefixes: ['13.0.0.0/8'], nextHop: 'not-an-ip', asPath: [] }] },
      announce('10.0.0.0/33'),
    ]) {
      const out = reg.heartbeat('e1', beat(2, { routes, draining: true }), 2);
      expect(out.kind).toBe('bad_route');
    }
    expect(lookupEdges(reg, '10.0.0.1')).toEqual(['e1']);
    expect(lookupEdges(reg, '11.0.0.1')).toEqual([]);
    expect(reg.get('e1')!.draining).toBe(false);
    expect(reg.get('e1')!.lastSeq).toBe(1);
  });

  it('enforces the prefix limit exactly: replacing and re-announcing do not count twice', () => {
    const reg = registered();
    expect(
      reg.heartbeat('e1', beat(1, { routes: announce('1.0.0.0/8', '2.0.0.0/8', '3.0.0.0/8') }), 1).kind,
    ).toBe('applied');
    // One new plus two already there: 4, at the limit.
    expect(
      reg.heartbeat('e1', beat(2, { routes: announce('1.0.0.0/8', '2.0.0.0/8', '4.0.0.0/8') }), 2).kind,
    ).toBe('applied');
    const over = reg.heartbeat('e1', beat(3, { routes: announce('5.0.0.0/8') }), 3);
    expect(over).toEqual({ kind: 'prefix_limit', prefixes: 5, max: 4 });
    // A withdrawal in the same heartbeat makes room.
    expect(
      reg.heartbeat('e1', beat(4, { routes: { withdraw: ['1.0.0.0/8'], ...announce('5.0.0.0/8') } }), 4).kind,
    ).toBe('applied');
    expect(reg.get('e1')!.prefixes.ipv4).toBe(4);
    // A full resync counts only what it carries.
    expect(
      reg.heartbeat('e1', beat(5, { routes: { full: true, ...announce('6.0.0.0/8', '7.0.0.0/8') } }), 5).kind,
    ).toBe('applied');
    expect(reg.get('e1')!.prefixes.ipv4).toBe(2);
    expect(lookupEdges(reg, '2.0.0.1')).toEqual([]);
    expect(lookupEdges(reg, '7.0.0.1')).toEqual(['e1']);
  });

  it('re-registration starts a new epoch and drops the routes; the edge count is capped', () => {
    const reg = registered();
    reg.heartbeat('e1', beat(1, { routes: announce('10.0.0.0/8') }), 1);
    const again = reg.register(
      { id: 'e1', cluster: 'c2', publicUrl: 'http://y:2', capacityGbps: 5 },
      { epoch: 'ep2', nowMs: 10 },
    );
    expect(again.kind === 'registered' && again.replaced).toBe(true);
    expect(lookupEdges(reg, '10.0.0.1')).toEqual([]);
    expect(reg.stateOf(reg.get('e1')!, 11)).toBe('pending');
    expect(reg.heartbeat('e1', beat(2), 12)).toEqual({ kind: 'epoch_mismatch', current: 'ep2' });
    for (const id of ['e2', 'e3']) {
      expect(
        reg.register({ id, cluster: 'c', publicUrl: 'http://z:1', capacityGbps: 1 }, { epoch: id, nowMs: 0 })
          .kind,
      ).toBe('registered');
    }
    expect(
      reg.register(
        { id: 'e4', cluster: 'c', publicUrl: 'http://z:1', capacityGbps: 1 },
        { epoch: 'e4', nowMs: 0 },
      ),
    ).toEqual({
      kind: 'too_many_edges',
      max: 3,
    });
    // Re-registering a known id is still allowed at the cap.
    expect(
      reg.register(
        { id: 'e3', cluster: 'c', publicUrl: 'http://z:1', capacityGbps: 1 },
        { epoch: 'e3b', nowMs: 0 },
      ).kind,
    ).toBe('registered');
  });

  it('forgets edges silent for forgetAfterMs, with their routes', () => {
    const reg = registered();
    reg.heartbeat('e1', beat(1, { routes: announce('10.0.0.0/8') }), 1000);
    expect(reg.sweep(61_000)).toEqual([]);
    expect(reg.sweep(61_001)).toEqual(['e1']);
    expect(reg.get('e1')).toBeUndefined();
    expect(reg.routes.size).toEqual({ ipv4: 0, ipv6: 0 });
  });
});
