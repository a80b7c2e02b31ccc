/**
 * The edge control client against a real origin on 127.0.0.1: registration, heartbeats, route
 * changes, retries while the origin is down, resync after the origin forgets the edge, timeouts,
 * chunked resyncs, draining, refused credentials.
 */
import { createServer, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaticRouteFeed, backoffMs } from '../../edge/control/index.js';
import { parseIp } from '../../origin/steering/index.js';
import { makeDirs, removeDirs, type TestDirs } from '../origin/helpers.js';
import {
  edgeToken,
  freePort,
  startTestOrigin,
  testClient,
  until,
  type RunningTestOrigin,
} from './helpers.js';

const IDS = ['edge-1', 'edge-2'];
const STEERING = {
  edgeTokens: Object.fromEntries(IDS.map((id) => [id, edgeToken(id)])),
  heartbeatIntervalMs: 100,
  missedHeartbeats: 3,
  allowClientIpOverride: true,
};

let dirs: TestDirs;
let origin: RunningTestOrigin | undefined;
const cleanups: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  dirs = await makeDirs('steering-client-');
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await origin?.close();
  origin = undefined;
  await removeDirs(dirs);
});

const edgesOf = (o: RunningTestOrigin, ip: string) =>
  o.app.origin.steering.edges.routes.lookup(parseIp(ip)!)?.routes.map((r) => r.edgeId) ?? [];

describe('ControlClient', () => {
  it('registers, syncs its routes and sends changes as they happen', async () => {
    origin = await startTestOrigin(dirs, STEERING);
    const feed = new StaticRouteFeed(['198.51.100.0/24', { prefix: '2001:db8::/32', localPref: 150 }]);
    const t = testClient(origin.url, 'edge-1', {}, {});
    t.client.attach(feed);
    t.client.start();
    cleanups.push(() => t.client.stop());
    await t.client.whenSynced();
    expect(edgesOf(origin, '198.51.100.9')).toEqual(['edge-1']);
    expect(
      origin.app.origin.steering.edges.routes.lookup(parseIp('2001:db8::1')!)!.routes[0]!.attrs.localPref,
    ).toBe(150);
    expect(t.events[0]).toMatchObject({ kind: 'registered', heartbeatIntervalMs: 100 });
    expect(t.events.find((e) => e.kind === 'heartbeat')).toMatchObject({ full: true, routesSent: 2 });

    feed.set(['203.0.113.0/24']);
    await until(() => edgesOf(origin!, '203.0.113.1').length === 1, 'the new route');
    await t.client.whenSynced();
    expect(edgesOf(origin, '198.51.100.9')).toEqual([]);
    expect(t.client.stats).toMatchObject({
      registered: true,
      routes: 1,
      pendingRoutes: 0,
      consecutiveFailures: 0,
    });
    // Heartbeats keep the edge active.
    await new Promise((r) => setTimeout(r, 400));
    expect(origin.app.origin.steering.status()[0]).toMatchObject({ id: 'edge-1', state: 'active' });
  });

  it('retries while the origin is down and syncs once it is up', async () => {
    const port = await freePort();
    const t = testClient(`http://127.0.0.1:${port}`, 'edge-1', { staticRoutes: [] });
    t.client.applyRoutes({
      announce: [{ prefix: '192.0.2.0/24', nextHop: '0.0.0.0', asPath: [] }],
      withdraw: [],
    });
    t.client.start();
    cleanups.push(() => t.client.stop());
    await until(() => t.events.filter((e) => e.kind === 'error').length >= 3, 'three failed attempts');
    const errors = t.events.filter((e) => e.kind === 'error');
    expect(errors[0]!.kind === 'error' && errors[0]!.error.code).toBe('EDGE_ERR_CONTROL_UNREACHABLE');
    expect(t.client.stats.registered).toBe(false);
    origin = await startTestOrigin(dirs, STEERING, { port });
    await t.client.whenSynced(5000);
    expect(edgesOf(origin, '192.0.2.7')).toEqual(['edge-1']);
  });

  it('registers again and resends its whole table when the origin has forgotten it', async () => {
    origin = await startTestOrigin(dirs, STEERING);
    const port = origin.port;
    const feed = new StaticRouteFeed(Array.from({ length: 50 }, (_, i) => `10.${i}.0.0/16`));
    const t = testClient(origin.url, 'edge-1');
    t.client.attach(feed);
    t.client.start();
    cleanups.push(() => t.client.stop());
    await t.client.whenSynced();
    const firstEpoch = t.client.stats.epoch;
    // The origin restarts: a new process knows nothing of the edge.
    await origin.close();
    origin = await startTestOrigin(dirs, STEERING, { port });
    await until(() => origin!.app.origin.steering.edges.routes.size.ipv4 === 50, 'the resync');
    expect(t.events.some((e) => e.kind === 'resync' && e.reason === 'STEER_ERR_EDGE_UNKNOWN')).toBe(true);
    expect(t.client.stats.epoch).not.toBe(firstEpoch);
    expect(origin.app.origin.steering.status()[0]!.prefixes.ipv4).toBe(50);
  });

  it('registers again when another process took over its id (409)', async () => {
    origin = await startTestOrigin(dirs, STEERING);
    const a = testClient(origin.url, 'edge-1');
    a.client.start();
    cleanups.push(() => a.client.stop());
    await a.client.whenSynced();
    const b = testClient(origin.url, 'edge-1');
    b.client.start();
    cleanups.push(() => b.client.stop());
    await until(
      () => a.events.some((e) => e.kind === 'resync' && e.reason === 'STEER_ERR_EDGE_EPOCH'),
      'the 409',
    );
  });

  it('sends a large table in chunks, the full resync first', async () => {
    origin = await startTestOrigin(dirs, STEERING);
    const t = testClient(origin.url, 'edge-1', { maxRoutesPerHeartbeat: 300 });
    t.client.applyRoutes({
      announce: Array.from({ length: 1000 }, (_, i) => ({
        prefix: `10.${i >> 8}.${i & 255}.0/24`,
        nextHop: '0.0.0.0',
        asPath: [],
      })),
      withdraw: [],
    });
    t.client.start();
    cleanups.push(() => t.client.stop());
    await t.client.whenSynced();
    const beats = t.events.filter((e) => e.kind === 'heartbeat');
    expect(beats.slice(0, 4).map((e) => e.kind === 'heartbeat' && [e.full, e.routesSent])).toEqual([
      [true, 300],
      [false, 300],
      [false, 300],
      [false, 100],
    ]);
    expect(origin.app.origin.steering.edges.routes.size.ipv4).toBe(1000);
  });

  it('times out on an origin that accepts but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    });
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const t = testClient(`http://127.0.0.1:${port}`, 'edge-1', { timeoutMs: 100 });
    t.client.start();
    cleanups.push(() => t.client.stop());
    await until(() => t.events.some((e) => e.kind === 'error'), 'a timeout');
    const e = t.events.find((x) => x.kind === 'error');
    expect(e?.kind === 'error' && e.error.code).toBe('EDGE_ERR_CONTROL_TIMEOUT');
  });

  it('reports draining on stop, and down when the edge cannot read its status', async () => {
    origin = await startTestOrigin(dirs, STEERING);
    const t = testClient(origin.url, 'edge-1');
    t.client.start();
    await t.client.whenSynced();
    await t.client.stop({ drain: true });
    expect(origin.app.origin.steering.status()[0]).toMatchObject({ id: 'edge-1', state: 'draining' });

    const broken = testClient(
      origin.url,
      'edge-2',
      {},
      {
        status: () => {
          throw new Error('metrics unavailable');
        },
      },
    );
    broken.client.start();
    cleanups.push(() => broken.client.stop());
    await broken.client.whenSynced();
    expect(origin.app.origin.steering.status().find((s) => s.id === 'edge-2')).toMatchObject({
      state: 'down',
      health: 'down',
    });
  });

  it('keeps retrying, backing off, when the origin refuses its token', async () => {
    origin = await startTestOrigin(dirs, STEERING);
    const t = testClient(origin.url, 'edge-1', { token: 'not-the-right-token-at-all' });
    t.client.start();
    cleanups.push(() => t.client.stop());
    await until(() => t.client.stats.consecutiveFailures >= 3, 'three refusals');
    const e = t.events.find((x) => x.kind === 'error');
    expect(e?.kind === 'error' && [e.error.code, e.error.details?.code]).toEqual([
      'EDGE_ERR_CONTROL_REFUSED',
      'STEER_ERR_EDGE_FORBIDDEN',
    ]);
    expect(t.client.stats.lastError?.message).toMatch(/403/);
  });
});

describe('backoffMs', () => {
  it('doubles its ceiling per failure up to the cap, with full jitter', () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 10].map((f) => backoffMs(f, 100, 1000, top))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffMs(5, 100, 1000, () => 0)).toBe(0);
    expect(backoffMs(1000, 100, 1000, top)).toBe(999);
  });
});
