import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signToken } from '../../edge/tokens/token.js';
import {
  ADMIN_TOKEN,
  NODE,
  admin,
  makeTempDir,
  objectHandler,
  rawGet,
  removeDir,
  sleep,
  startStubOrigin,
  startTestEdge,
  until,
  type StubOrigin,
  type TestEdge,
} from './helpers.js';

const SEG = '/content/t1/video/v0/00001.m4s';
const BODY = randomBytes(64 * 1024);

let origin: StubOrigin;
let edge: TestEdge | undefined;
let dir: string | undefined;

beforeEach(async () => {
  origin = await startStubOrigin();
});

afterEach(async () => {
  await edge?.close();
  edge = undefined;
  await origin.close();
  await removeDir(dir);
  dir = undefined;
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${edge!.url}${path}`, { headers });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

describe('edge: hit, miss, stale', () => {
  it('misses once, then hits, with Cache-Status and Age', async () => {
    origin.routes.set(SEG, objectHandler(BODY, 'public, max-age=60'));
    edge = await startTestEdge(origin.url);
    const first = await get(SEG);
    expect(first.res.status).toBe(200);
    expect(first.res.headers.get('cache-status')).toBe(`${NODE}; fwd=miss; fwd-status=200; stored`);
    expect(first.body.equals(BODY)).toBe(true);
    edge.clock.nowMs += 3000;
    const second = await get(SEG);
    expect(second.res.headers.get('cache-status')).toBe(`${NODE}; hit`);
    expect(second.res.headers.get('age')).toBe('3');
    expect(second.res.headers.get('etag')).toBe('"v1"');
    expect(second.body.equals(BODY)).toBe(true);
    expect(origin.count(SEG)).toBe(1);
    const head = await fetch(`${edge.url}${SEG}`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(BODY.length));
    const metrics = await edge.registry.metrics();
    expect(metrics).toContain('cdn_edge_requests_total{cache_status="hit",object_type="segment"} 2');
    expect(metrics).toContain('cdn_edge_upstream_requests_total{source="origin",outcome="ok"} 1');
  });

  it('serves stale within stale-while-revalidate and refreshes in the background (304)', async () => {
    origin.routes.set(SEG, objectHandler(BODY, 'public, max-age=2, stale-while-revalidate=30'));
    edge = await startTestEdge(origin.url);
    await get(SEG);
    edge.clock.nowMs += 5000;
    const stale = await get(SEG);
    expect(stale.res.headers.get('cache-status')).toBe(`${NODE}; fwd=stale; detail=stale-while-revalidate`);
    expect(stale.body.equals(BODY)).toBe(true);
    await until(() => origin.count(SEG) === 2 && edge!.app.filler.inflightCount === 0);
    expect(origin.requests[1]!.headers['if-none-match']).toBe('"v1"');
    const fresh = await get(SEG);
    expect(fresh.res.headers.get('cache-status')).toBe(`${NODE}; hit`);
  });

  it('revalidates a stale object without stale-while-revalidate (fwd=stale, 304)', async () => {
    origin.routes.set(SEG, objectHandler(BODY, 'public, max-age=2'));
    edge = await startTestEdge(origin.url);
    await get(SEG);
    edge.clock.nowMs += 5000;
    const r = await get(SEG);
    expect(r.res.headers.get('cache-status')).toBe(`${NODE}; fwd=stale; fwd-status=304`);
    expect(r.body.equals(BODY)).toBe(true);
    expect((await get(SEG)).res.headers.get('cache-status')).toBe(`${NODE}; hit`);
  });
});

describe('edge: coalescing', () => {
  it('500 concurrent misses make one upstream request; joiners are collapsed', async () => {
    origin.routes.set(SEG, objectHandler(BODY, 'public, max-age=60', '"v1"', 150));
    edge = await startTestEdge(origin.url);
    const results = await Promise.all(Array.from({ length: 500 }, () => get(SEG)));
    expect(origin.count(SEG)).toBe(1);
    for (const r of results) expect(r.body.equals(BODY)).toBe(true);
    const statuses = results.map((r) => r.res.headers.get('cache-status') ?? '');
    const collapsed = statuses.filter((s) => s.endsWith('; collapsed')).length;
    const hits = statuses.filter((s) => s === `${NODE}; hit`).length;
    expect(statuses.filter((s) => s.endsWith('; stored'))).toHaveLength(1);
    expect(collapsed + hits).toBe(499);
    expect(collapsed).toBeGreaterThan(0);
  });

  it('a failed fill fails every waiter cleanly and is not cached', async () => {
    origin.routes.set(SEG, (_req, res) => {
      setTimeout(() => {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('down');
      }, 100);
    });
    edge = await startTestEdge(origin.url);
    const results = await Promise.all(Array.from({ length: 20 }, () => get(SEG)));
    expect(origin.count(SEG)).toBe(1);
    for (const r of results) {
      expect(r.res.status).toBe(502);
      expect(JSON.parse(r.body.toString())).toMatchObject({ error: 'EDGE_ERR_UPSTREAM_STATUS' });
    }
  });
});

describe('edge: tokens', () => {
  const key = randomBytes(32);
  it('403 without or with a bad token, 410 expired, 200 valid', async () => {
    origin.routes.set(SEG, objectHandler(BODY, 'public, max-age=60'));
    edge = await startTestEdge(origin.url, {
      tokens: { required: true, keys: { k1: key.toString('base64') } },
    });
    const nowS = Math.floor(edge.clock.nowMs / 1000);
    const missing = await get(SEG);
    expect(missing.res.status).toBe(403);
    expect(JSON.parse(missing.body.toString()).error).toBe('EDGE_ERR_TOKEN_INVALID');
    const other = signToken({ keyId: 'k1', key, pathPrefix: '/content/t2/', expiresAtS: nowS + 60 });
    expect((await get(`${SEG}?token=${other}`)).res.status).toBe(403);
    const expired = signToken({ keyId: 'k1', key, pathPrefix: '/content/t1/', expiresAtS: nowS - 1 });
    const e = await get(`${SEG}?token=${expired}`);
    expect(e.res.status).toBe(410);
    expect(JSON.parse(e.body.toString()).error).toBe('EDGE_ERR_TOKEN_EXPIRED');
    const ok = signToken({ keyId: 'k1', key, pathPrefix: '/content/t1/', expiresAtS: nowS + 60 });
    const good = await get(`${SEG}?token=${ok}&CMCD=bl%3D1000`);
    expect(good.res.status).toBe(200);
    // Token and CMCD are not in the key, nor forwarded.
    expect(origin.requests[0]!.path).toBe(SEG);
    expect(await edge.registry.metrics()).toContain('cdn_edge_token_failures_total{reason="expired"} 1');
  });
});

describe('edge: admin', () => {
  it('purges by key and by title; refuses a bad token', async () => {
    origin.routes.set(SEG, objectHandler(BODY, 'public, max-age=60'));
    edge = await startTestEdge(origin.url);
    await get(SEG);
    expect((await admin(edge.url, '/admin/purge', { key: SEG }, 'wrong-token-0123456789')).status).toBe(401);
    const r = await admin(edge.url, '/admin/purge', { key: SEG });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ purged: { memory: 1, disk: 0 } });
    expect((await get(SEG)).res.headers.get('cache-status')).toContain('fwd=miss');
    const t = await admin(edge.url, '/admin/purge', { titleId: 't1' });
    expect(await t.json()).toEqual({ purged: { memory: 1, disk: 0 } });
    expect(origin.count(SEG)).toBe(2);
    expect((await admin(edge.url, '/admin/purge', { titleId: '../x' })).status).toBe(400);
  });

  it('drain turns readiness to 503; healthz stays 200; metrics are served', async () => {
    edge = await startTestEdge(origin.url);
    expect((await fetch(`${edge.url}/readyz`)).status).toBe(200);
    expect((await admin(edge.url, '/admin/drain', {})).status).toBe(200);
    const ready = await fetch(`${edge.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { error: string }).error).toBe('EDGE_ERR_NOT_READY');
    expect((await fetch(`${edge.url}/healthz`)).status).toBe(200);
    await admin(edge.url, '/admin/drain', { draining: false });
    expect((await fetch(`${edge.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${edge.url}/metrics`)).text();
    expect(metrics).toContain('cdn_edge_cache_bytes{tier="memory"}');
    expect((await fetch(`${edge.url}/nope`)).status).toBe(404);
  });
});

describe('edge: ranges and conditionals', () => {
  it('206 for a single range (on a miss and on a hit), 416 beyond the end, 200 for several ranges', async () => {
    origin.routes.set(SEG, objectHandler(BODY, 'public, max-age=60'));
    edge = await startTestEdge(origin.url);
    const miss = await get(SEG, { range: 'bytes=100-199' });
    expect(miss.res.status).toBe(206);
    expect(miss.res.headers.get('content-range')).toBe(`bytes 100-199/${BODY.length}`);
    expect(miss.body.equals(BODY.subarray(100, 200))).toBe(true);
    const suffix = await get(SEG, { range: 'bytes=-10' });
    expect(suffix.res.status).toBe(206);
    expect(suffix.body.equals(BODY.subarray(BODY.length - 10))).toBe(true);
    const beyond = await get(SEG, { range: `bytes=${BODY.length}-` });
    expect(beyond.res.status).toBe(416);
    expect(beyond.res.headers.get('content-range')).toBe(`bytes */${BODY.length}`);
    const multi = await get(SEG, { range: 'bytes=0-1,5-6' });
    expect(multi.res.status).toBe(200);
    expect(multi.body.length).toBe(BODY.length);
    expect(origin.count(SEG)).toBe(1);
  });

  it('304 for a matching If-None-Match or If-Modified-Since', async () => {
    origin.routes.set(SEG, objectHandler(BODY, 'public, max-age=60'));
    edge = await startTestEdge(origin.url);
    await get(SEG);
    const inm = await get(SEG, { 'if-none-match': 'W/"v1"' });
    expect(inm.res.status).toBe(304);
    expect(inm.res.headers.get('etag')).toBe('"v1"');
    expect((await get(SEG, { 'if-none-match': '"v2"' })).res.status).toBe(200);
    expect((await get(SEG, { 'if-modified-since': 'Thu, 02 Jan 2025 00:00:00 GMT' })).res.status).toBe(304);
    expect((await get(SEG, { 'if-modified-since': 'Tue, 31 Dec 2024 00:00:00 GMT' })).res.status).toBe(200);
  });
});

describe('edge: upstream failures', () => {
  it('serves stale within stale-if-error when the origin is down, else 502 JSON', async () => {
    origin.routes.set(SEG, objectHandler(BODY, 'public, max-age=2, stale-if-error=600'));
    edge = await startTestEdge(origin.url, { upstream: { connectTimeoutMs: 500 } });
    await get(SEG);
    await origin.close();
    edge.clock.nowMs += 10_000;
    const stale = await get(SEG);
    expect(stale.res.status).toBe(200);
    expect(stale.res.headers.get('cache-status')).toBe(`${NODE}; fwd=stale; detail=stale-if-error`);
    expect(stale.body.equals(BODY)).toBe(true);
    const none = await get('/content/t1/other.m4s');
    expect(none.res.status).toBe(502);
    expect(JSON.parse(none.body.toString())).toMatchObject({ error: 'EDGE_ERR_UPSTREAM_UNAVAILABLE' });
  });

  it('504 when the origin is slow to answer', async () => {
    origin.routes.set(SEG, objectHandler(BODY, 'public, max-age=60', '"v1"', 2000));
    edge = await startTestEdge(origin.url, { upstream: { headersTimeoutMs: 200 } });
    const r = await get(SEG);
    expect(r.res.status).toBe(504);
    expect(JSON.parse(r.body.toString())).toMatchObject({ error: 'EDGE_ERR_UPSTREAM_TIMEOUT' });
  });

  it('a truncated origin body aborts the client, is not cached, and is refetched', async () => {
    let calls = 0;
    origin.routes.set(SEG, (_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(200, { 'content-length': 1000, 'cache-control': 'public, max-age=60', etag: '"x"' });
        res.write(Buffer.alloc(500, 1));
        setTimeout(() => res.destroy(), 20);
        return;
      }
      objectHandler(BODY, 'public, max-age=60')(_req, res);
    });
    edge = await startTestEdge(origin.url);
    await expect(get(SEG)).rejects.toThrow();
    expect(edge.memory.has(SEG)).toBe(false);
    const again = await get(SEG);
    expect(again.res.status).toBe(200);
    expect(again.body.equals(BODY)).toBe(true);
    expect(origin.count(SEG)).toBe(2);
    expect(await edge.registry.metrics()).toContain('outcome="truncated"} 1');
  });

  it('a client leaving mid-body does not disturb the other waiters; the object is stored', async () => {
    const big = randomBytes(256 * 1024);
    origin.routes.set(SEG, (_req, res) => {
      res.writeHead(200, {
        'content-length': big.length,
        'cache-control': 'public, max-age=60',
        etag: '"b"',
      });
      let offset = 0;
      const timer = setInterval(() => {
        res.write(big.subarray(offset, offset + 32 * 1024));
        offset += 32 * 1024;
        if (offset >= big.length) {
          clearInterval(timer);
          res.end();
        }
      }, 20);
    });
    edge = await startTestEdge(origin.url);
    const controller = new AbortController();
    const leaving = fetch(`${edge.url}${SEG}`, { signal: controller.signal }).then(async (res) => {
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
    });
    const staying = get(SEG);
    await leaving.catch(() => undefined);
    const r = await staying;
    expect(r.body.equals(big)).toBe(true);
    await until(() => edge!.app.filler.inflightCount === 0);
    expect(edge.memory.has(SEG)).toBe(true);
    await until(async () =>
      (await edge!.registry.getSingleMetricAsString('cdn_edge_inflight_requests')).endsWith(' 0'),
    );
    expect(origin.count(SEG)).toBe(1);
  });
});

describe('edge: disk tier and paths', () => {
  it('a restarted edge on the same disk dir hits at once', async () => {
    dir = await makeTempDir();
    origin.routes.set(SEG, objectHandler(BODY, 'public, max-age=600'));
    edge = await startTestEdge(origin.url, {}, { diskDir: dir });
    await get(SEG);
    await until(() => edge!.disk!.has(SEG));
    const clock = edge.clock;
    await edge.close();
    edge = await startTestEdge(origin.url, {}, { diskDir: dir, clock });
    const r = await get(SEG);
    expect(r.res.headers.get('cache-status')).toBe(`${NODE}; hit`);
    expect(r.body.equals(BODY)).toBe(true);
    expect(origin.count(SEG)).toBe(1);
    expect(edge.memory.has(SEG)).toBe(true);
  });

  it('refuses path traversal with 400 JSON before any lookup', async () => {
    edge = await startTestEdge(origin.url);
    for (const path of [
      '/content/t1/../../etc/passwd',
      '/content/t1/%2e%2e/x',
      '/content/t1//x',
      '/content/t1/a%00b',
    ]) {
      const r = await rawGet(edge.url, path);
      expect(r.status, path).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ error: 'EDGE_ERR_BAD_PATH' });
    }
    expect(origin.requests).toHaveLength(0);
    expect((await fetch(`${edge.url}${SEG}`, { method: 'POST' })).status).toBe(405);
  });

  it('admin is disabled without a configured token', async () => {
    edge = await startTestEdge(origin.url, { adminToken: undefined });
    expect((await admin(edge.url, '/admin/drain', {}, ADMIN_TOKEN)).status).toBe(401);
    await sleep(0);
  });
});
