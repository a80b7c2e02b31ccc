import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeConfigInput } from '../../edge/config.js';
import { signFillToken } from '../../edge/fill/fillAuth.js';
import {
  fetchHashed,
  freePort,
  metricValue,
  ownedBy,
  startRealOrigin,
  type RealOrigin,
} from './fillHelpers.js';
import {
  objectHandler,
  startStubOrigin,
  startTestEdge,
  until,
  type StubOrigin,
  type TestEdge,
} from './helpers.js';

/** Peers, parents, back-off, loop prevention and fill tokens: real edges over a real origin. */
let origin: RealOrigin;
let edges: TestEdge[] = [];
/** Cache key → SHA-256 title.json lists, for every segment of every title. */
const shaOf = new Map<string, string>();
const TITLES = ['owner', 'backoff', 'parent', 'tokens'];

beforeAll(async () => {
  origin = await startRealOrigin(
    TITLES.map((titleId) => ({ titleId, segmentBytes: 48 * 1024, segmentCount: 8 })),
  );
  for (const title of origin.titles) {
    for (const track of title.tracks) {
      for (const seg of track.segments) shaOf.set(`/content/${title.id}/${seg.path}`, seg.sha256);
    }
  }
});

afterEach(async () => {
  await Promise.all(edges.map((e) => e.close()));
  edges = [];
});

afterAll(async () => {
  await origin?.close();
});

function keysOf(titleId: string): string[] {
  return [...shaOf.keys()].filter((k) => k.startsWith(`/content/${titleId}/`));
}

async function edge(
  nodeId: string,
  overrides: Partial<EdgeConfigInput>,
  clock: { nowMs: number },
  upstream = origin.url,
): Promise<TestEdge> {
  const e = await startTestEdge(upstream, { nodeId, ...overrides }, { clock });
  edges.push(e);
  return e;
}

const listenOn = (port: number) => ({ listen: { host: '127.0.0.1', port } });

/** Two members `a` and `b` of cluster `site1` on ports picked now (each must name the other). */
async function twoMembers() {
  const [pa, pb] = [await freePort(), await freePort()];
  const members = [
    { id: 'a', url: `http://127.0.0.1:${pa}` },
    { id: 'b', url: `http://127.0.0.1:${pb}` },
  ];
  return { pa, pb, members, cluster: { id: 'site1', peers: members } };
}

describe('fill from the peer that owns the key', () => {
  it('asks the owner peer once (counted at the peer and at the origin once); own keys go to the origin', async () => {
    const clock = { nowMs: Date.now() };
    const { pa, pb, members, cluster } = await twoMembers();
    const a = await edge('a', { ...listenOn(pa), cluster }, clock);
    const b = await edge('b', { ...listenOn(pb), cluster }, clock);
    const [kb] = ownedBy(keysOf('owner'), members, 'b');
    const [ka] = ownedBy(keysOf('owner'), members, 'a');

    const first = await fetchHashed(`${a.url}${kb}`);
    expect(first.status).toBe(200);
    expect(first.sha256).toBe(shaOf.get(kb!));
    expect(first.headers.get('cache-status')).toBe('a; fwd=miss; fwd-status=200; stored');
    expect(origin.count(kb!)).toBe(1);
    // RFC 8586: each hop appends itself.
    expect(origin.requests(kb!)[0]!['cdn-loop']).toBe('site1; node=a, site1; node=b');
    expect(await metricValue(a, 'cdn_edge_upstream_requests_total{source="peer",outcome="ok"}')).toBe(1);
    expect(await metricValue(a, 'cdn_edge_upstream_requests_total{source="origin",outcome="ok"}')).toBe(0);
    expect(await metricValue(b, 'cdn_edge_requests_total{cache_status="miss",object_type="segment"}')).toBe(
      1,
    );
    expect(await metricValue(b, 'cdn_edge_upstream_requests_total{source="origin",outcome="ok"}')).toBe(1);

    // The owner kept it: its own clients hit, and A hits too.
    await until(() => b.memory.has(kb!) && a.memory.has(kb!));
    const atOwner = await fetchHashed(`${b.url}${kb}`);
    expect(atOwner.headers.get('cache-status')).toBe('b; hit');
    expect((await fetchHashed(`${a.url}${kb}`)).headers.get('cache-status')).toBe('a; hit');
    expect(origin.count(kb!)).toBe(1);

    // A key A owns: straight to the origin, B is not asked.
    const own = await fetchHashed(`${a.url}${ka}`);
    expect(own.sha256).toBe(shaOf.get(ka!));
    expect(origin.requests(ka!)[0]!['cdn-loop']).toBe('site1; node=a');
    expect(await metricValue(a, 'cdn_edge_upstream_requests_total{source="origin",outcome="ok"}')).toBe(1);
    expect(await metricValue(b, 'cdn_edge_requests_total{cache_status="miss",object_type="segment"}')).toBe(
      1,
    );
  });

  it('skips an owner that is down for its back-off, then probes it again', async () => {
    const clock = { nowMs: Date.now() };
    const { pa, pb, members, cluster } = await twoMembers();
    const fill = { backoffMinMs: 5000, backoffMaxMs: 20_000 };
    const a = await edge('a', { ...listenOn(pa), cluster, fill }, clock);
    let b = await edge('b', { ...listenOn(pb), cluster }, clock);
    const [k1, k2, k3] = ownedBy(keysOf('backoff'), members, 'b');
    await b.close();

    const r1 = await fetchHashed(`${a.url}${k1}`);
    expect(r1.status).toBe(200);
    expect(r1.sha256).toBe(shaOf.get(k1!));
    expect(
      await metricValue(a, 'cdn_edge_upstream_requests_total{source="peer",outcome="unavailable"}'),
    ).toBe(1);
    expect(a.app.filler.sources().find((s) => s.id === 'b')?.health).toEqual({
      kind: 'down',
      failures: 1,
      retryAtMs: clock.nowMs + 5000,
    });

    // Within the back-off B is not even tried.
    const r2 = await fetchHashed(`${a.url}${k2}`);
    expect(r2.sha256).toBe(shaOf.get(k2!));
    expect(await metricValue(a, 'cdn_edge_fill_source_skips_total{source="peer"}')).toBe(1);
    expect(
      await metricValue(a, 'cdn_edge_upstream_requests_total{source="peer",outcome="unavailable"}'),
    ).toBe(1);
    expect(await metricValue(a, 'cdn_edge_upstream_requests_total{source="origin",outcome="ok"}')).toBe(2);

    // B is back and the back-off is over: the next fill probes it, and it is healthy again.
    clock.nowMs += 5000;
    edges = edges.filter((e) => e !== b);
    b = await edge('b', { ...listenOn(pb), cluster }, clock);
    const r3 = await fetchHashed(`${a.url}${k3}`);
    expect(r3.sha256).toBe(shaOf.get(k3!));
    expect(await metricValue(a, 'cdn_edge_upstream_requests_total{source="peer",outcome="ok"}')).toBe(1);
    expect(await metricValue(b, 'cdn_edge_upstream_requests_total{source="origin",outcome="ok"}')).toBe(1);
    expect(a.app.filler.sources().find((s) => s.id === 'b')?.health).toEqual({ kind: 'up' });
    for (const k of [k1, k2, k3]) expect(origin.count(k!)).toBe(1);
  });
});

describe('fill from a parent tier', () => {
  it('children fill through the parent; the second child hits there', async () => {
    const clock = { nowMs: Date.now() };
    const p = await edge('p', {}, clock);
    const parents = [{ id: 'p', url: p.url }];
    const c1 = await edge('c1', { parents }, clock);
    const c2 = await edge('c2', { parents }, clock);
    const [key] = keysOf('parent');
    const r1 = await fetchHashed(`${c1.url}${key}`);
    expect(r1.sha256).toBe(shaOf.get(key!));
    expect(await metricValue(c1, 'cdn_edge_upstream_requests_total{source="parent",outcome="ok"}')).toBe(1);
    expect(origin.requests(key!)[0]!['cdn-loop']).toBe('c1; node=c1, p; node=p');
    await until(() => p.memory.has(key!));
    const r2 = await fetchHashed(`${c2.url}${key}`);
    expect(r2.sha256).toBe(shaOf.get(key!));
    expect(await metricValue(p, 'cdn_edge_requests_total{cache_status="hit",object_type="segment"}')).toBe(1);
    expect(origin.count(key!)).toBe(1);
  });
});

describe('fill tokens between edges', () => {
  it('a parent requiring URL tokens lets signed fills in, refuses the rest; an unsigned child falls back to the origin', async () => {
    const clock = { nowMs: Date.now() };
    const fillKey = randomBytes(32).toString('base64');
    const p = await edge(
      'p',
      {
        tokens: { required: true, keys: { u1: randomBytes(32).toString('base64') } },
        fillAuth: { keys: { f1: fillKey } },
      },
      clock,
    );
    const parents = [{ id: 'p', url: p.url }];
    const signed = await edge(
      'c1',
      { parents, fillAuth: { keys: { f1: fillKey }, signingKeyId: 'f1' } },
      clock,
    );
    const unsigned = await edge('c2', { parents }, clock);
    const [k1, k2] = keysOf('tokens');

    const ok = await fetchHashed(`${signed.url}${k1}`);
    expect(ok.sha256).toBe(shaOf.get(k1!));
    expect(await metricValue(signed, 'cdn_edge_upstream_requests_total{source="parent",outcome="ok"}')).toBe(
      1,
    );
    expect(origin.count(k1!)).toBe(1);

    // Clients (and forged or misplaced fill tokens) still need a URL token at the parent.
    const direct = await fetch(`${p.url}${k1}`);
    expect(direct.status).toBe(403);
    expect(((await direct.json()) as { error: string }).error).toBe('EDGE_ERR_TOKEN_INVALID');
    const forged = signFillToken({ keyId: 'f1', key: randomBytes(32) }, k1!, clock.nowMs);
    expect((await fetch(`${p.url}${k1}`, { headers: { 'cdn-fill-token': forged } })).status).toBe(403);
    const genuine = signFillToken({ keyId: 'f1', key: Buffer.from(fillKey, 'base64') }, k1!, clock.nowMs);
    expect((await fetch(`${p.url}${k2}`, { headers: { 'cdn-fill-token': genuine } })).status).toBe(403);
    expect((await fetch(`${p.url}${k1}`, { headers: { 'cdn-fill-token': genuine } })).status).toBe(200);

    // A child without the key is refused by the parent and fills from the origin instead.
    const fallback = await fetchHashed(`${unsigned.url}${k2}`);
    expect(fallback.status).toBe(200);
    expect(fallback.sha256).toBe(shaOf.get(k2!));
    expect(
      await metricValue(unsigned, 'cdn_edge_upstream_requests_total{source="parent",outcome="error_status"}'),
    ).toBe(1);
    expect(
      await metricValue(unsigned, 'cdn_edge_upstream_requests_total{source="origin",outcome="ok"}'),
    ).toBe(1);
  });
});

describe('loop prevention (CDN-Loop, RFC 8586)', () => {
  let stub: StubOrigin;
  afterEach(async () => {
    await stub?.close();
  });

  it('two edges that each think the other owns every key never forward a peer request again', async () => {
    stub = await startStubOrigin();
    const clock = { nowMs: Date.now() };
    const [px, py] = [await freePort(), await freePort()];
    // Each lists only the other, with a weight that makes it the owner of (practically) every key.
    const x = await edge(
      'x',
      {
        ...listenOn(px),
        cluster: { id: 'site2', peers: [{ id: 'y', url: `http://127.0.0.1:${py}`, weight: 1e6 }] },
      },
      clock,
      stub.url,
    );
    const y = await edge(
      'y',
      {
        ...listenOn(py),
        cluster: { id: 'site2', peers: [{ id: 'x', url: `http://127.0.0.1:${px}`, weight: 1e6 }] },
      },
      clock,
      stub.url,
    );
    const body = randomBytes(32 * 1024);
    for (const k of ['/content/t/1.m4s', '/content/t/2.m4s', '/content/t/3.m4s']) {
      stub.routes.set(k, objectHandler(body, 'public, max-age=60', '"v1"', 150));
    }

    const one = await fetchHashed(`${x.url}/content/t/1.m4s`);
    expect(one.status).toBe(200);
    expect(stub.count('/content/t/1.m4s')).toBe(1);
    expect(stub.requests[0]!.headers['cdn-loop']).toBe('site2; node=x, site2; node=y');
    expect(await metricValue(x, 'cdn_edge_requests_total{cache_status="miss",object_type="segment"}')).toBe(
      1,
    );
    // Y answered its peer from the origin: it asked no peer (X would have refused it as a loop).
    expect(await metricValue(y, 'cdn_edge_upstream_requests_total{source="origin",outcome="ok"}')).toBe(1);
    for (const outcome of ['ok', 'error_status']) {
      expect(
        await metricValue(y, `cdn_edge_upstream_requests_total{source="peer",outcome="${outcome}"}`),
      ).toBe(0);
    }
    expect(await metricValue(x, 'cdn_edge_requests_total{cache_status="error",object_type="segment"}')).toBe(
      0,
    );

    // Both at once: each one's fill asks the other, and each answers its peer from the origin
    // instead of joining its own fill (which waits on the peer): no deadlock, no timeout.
    const [rx, ry] = await Promise.all([
      fetchHashed(`${x.url}/content/t/2.m4s`),
      fetchHashed(`${y.url}/content/t/2.m4s`),
    ]);
    expect([rx.status, ry.status]).toEqual([200, 200]);
    expect(rx.body?.equals(body)).toBe(true);
    expect(ry.body?.equals(body)).toBe(true);
    expect(stub.count('/content/t/2.m4s')).toBeLessThanOrEqual(2);
    for (const e of [x, y]) {
      expect(await metricValue(e, 'cdn_edge_upstream_requests_total{source="peer",outcome="timeout"}')).toBe(
        0,
      );
    }

    // A request naming this node itself is refused on a miss, and still served from cache.
    const looped = await fetch(`${x.url}/content/t/3.m4s`, { headers: { 'cdn-loop': 'site2; node=x' } });
    expect(looped.status).toBe(508);
    expect(await looped.json()).toMatchObject({ error: 'EDGE_ERR_FILL_LOOP' });
    expect(stub.count('/content/t/3.m4s')).toBe(0);
    await fetchHashed(`${x.url}/content/t/3.m4s`);
    await until(() => x.memory.has('/content/t/3.m4s'));
    const cached = await fetch(`${x.url}/content/t/3.m4s`, { headers: { 'cdn-loop': 'site2; node=x' } });
    expect(cached.status).toBe(200);
    expect(cached.headers.get('cache-status')).toBe('x; hit');
    await cached.arrayBuffer();
  });
});
