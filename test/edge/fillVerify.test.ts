import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { EdgeConfigInput } from '../../edge/config.js';
import { fetchHashed, freePort, metricValue, originEtag, ownedBy, sha256Hex } from './fillHelpers.js';
import {
  NODE,
  objectHandler,
  startStubOrigin,
  startTestEdge,
  until,
  type StubHandler,
  type StubOrigin,
  type TestEdge,
} from './helpers.js';

/**
 * SHA-256 verification of fills against the origin's strong ETag, and moving on to the next
 * source. Upstreams here are small node:http servers that can lie (a wrong body under a real tag),
 * stand in for the origin or for a peer edge.
 */
const GOOD = randomBytes(256 * 1024);
const BAD = Buffer.from(GOOD);
BAD[100_000]! ^= 0x01;
const CC = 'public, max-age=60';

let stubs: StubOrigin[] = [];
let edge: TestEdge | undefined;

afterEach(async () => {
  await edge?.close();
  edge = undefined;
  await Promise.all(stubs.map((s) => s.close()));
  stubs = [];
});

async function stub(): Promise<StubOrigin> {
  const s = await startStubOrigin();
  stubs.push(s);
  return s;
}

/** Sends `body` under the ETag of GOOD, in 64 KiB pieces 20 ms apart (clients see bytes early). */
function lying(body: () => Buffer): StubHandler {
  return (_req, res: ServerResponse) => {
    res.sendDate = false;
    const data = body();
    res.writeHead(200, {
      'content-type': 'video/mp4',
      'content-length': data.length,
      etag: originEtag(GOOD),
      'cache-control': CC,
    });
    let offset = 0;
    const timer = setInterval(() => {
      res.write(data.subarray(offset, offset + 64 * 1024));
      offset += 64 * 1024;
      if (offset >= data.length) {
        clearInterval(timer);
        res.end();
      }
    }, 20);
    res.once('close', () => clearInterval(timer));
  };
}

/** Reads the first chunk of a streamed response, then expects the connection to be cut. */
async function streamedThenCut(url: string): Promise<{ status: number; firstBytes: number }> {
  const res = await fetch(url);
  const reader = res.body!.getReader();
  const first = await reader.read();
  let cut = false;
  try {
    for (;;) if ((await reader.read()).done) break;
  } catch {
    cut = true;
  }
  expect(cut, 'the client streaming a corrupt fill is cut').toBe(true);
  return { status: res.status, firstBytes: first.value?.length ?? 0 };
}

describe('fill verification (SHA-256 of the origin ETag)', () => {
  it('cuts the streaming client, stores nothing, answers 502 next, and recovers once upstream does', async () => {
    const origin = await stub();
    const key = '/content/t1/video/v0/00001.m4s';
    let corrupt = true;
    origin.routes.set(
      key,
      lying(() => (corrupt ? BAD : GOOD)),
    );
    edge = await startTestEdge(origin.url);

    const streamed = await streamedThenCut(`${edge.url}${key}`);
    expect(streamed.status).toBe(200);
    expect(streamed.firstBytes).toBeGreaterThan(0);
    await until(() => edge!.app.filler.inflightCount === 0);
    expect(edge.memory.has(key)).toBe(false);
    expect(await metricValue(edge, 'cdn_edge_fill_verification_failures_total')).toBe(1);
    expect(
      await metricValue(edge, 'cdn_edge_upstream_requests_total{source="origin",outcome="corrupt"}'),
    ).toBe(1);

    // The key is now filled verify-first: the next client gets a clean 502, not a cut body.
    const next = await fetch(`${edge.url}${key}`);
    expect(next.status).toBe(502);
    expect(await next.json()).toMatchObject({ error: 'EDGE_ERR_FILL_CORRUPT' });
    expect(origin.count(key)).toBe(2);
    expect(edge.memory.has(key)).toBe(false);

    corrupt = false;
    const fixed = await fetchHashed(`${edge.url}${key}`);
    expect(fixed.status).toBe(200);
    expect(fixed.sha256).toBe(sha256Hex(GOOD));
    expect(fixed.headers.get('cache-status')).toBe(`${NODE}; fwd=miss; fwd-status=200; stored`);
    expect(edge.memory.peek(key)?.sha256).toBe(sha256Hex(GOOD));
    expect((await fetchHashed(`${edge.url}${key}`)).headers.get('cache-status')).toBe(`${NODE}; hit`);
  });

  it('does not check tags that are not the origin form', async () => {
    const origin = await stub();
    const key = '/content/t1/a.m4s';
    origin.routes.set(key, objectHandler(BAD, CC, '"v1"'));
    edge = await startTestEdge(origin.url);
    const r = await fetchHashed(`${edge.url}${key}`);
    expect(r.sha256).toBe(sha256Hex(BAD));
    expect(await metricValue(edge, 'cdn_edge_fill_verification_failures_total')).toBe(0);
  });
});

describe('fill sources: failing over before the head', () => {
  /** An edge in a cluster with `peer` (a stub) as the other member; the keys the stub owns. */
  async function withStubPeer(
    peer: StubOrigin,
    origin: StubOrigin,
    overrides: Partial<EdgeConfigInput> = {},
  ): Promise<string[]> {
    const port = await freePort();
    const members = [
      { id: 'a', url: `http://127.0.0.1:${port}` },
      { id: 'b', url: peer.url },
    ];
    edge = await startTestEdge(origin.url, {
      nodeId: 'a',
      listen: { host: '127.0.0.1', port },
      cluster: { id: 'site1', peers: members },
      ...overrides,
    });
    const keys = Array.from({ length: 40 }, (_, i) => `/content/t1/video/v0/${i}.m4s`);
    return ownedBy(keys, members, 'b');
  }

  it('a peer answering 5xx is passed over for the origin and backed off; a relayed upstream failure is not its fault', async () => {
    const [peer, origin] = [await stub(), await stub()];
    const [k1, k2] = await withStubPeer(peer, origin);
    for (const k of [k1!, k2!]) origin.routes.set(k, objectHandler(GOOD, CC, originEtag(GOOD)));
    peer.routes.set(k2!, (_req, res) => {
      // What an edge answers when its own upstream failed (app.ts upstreamFailed).
      res.writeHead(502, {
        'content-type': 'application/json',
        'cache-status': 'b; fwd=miss; detail=EDGE_ERR_UPSTREAM_UNAVAILABLE',
      });
      res.end('{"error":"EDGE_ERR_UPSTREAM_UNAVAILABLE"}');
    });
    const relayed = await fetchHashed(`${edge!.url}${k2}`);
    expect(relayed.sha256).toBe(sha256Hex(GOOD));
    expect(edge!.app.filler.sources().find((s) => s.id === 'b')?.health).toEqual({ kind: 'up' });

    peer.routes.set(k1!, (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('overloaded');
    });
    const r = await fetchHashed(`${edge!.url}${k1}`);
    expect(r.status).toBe(200);
    expect(r.sha256).toBe(sha256Hex(GOOD));
    expect(peer.count(k1!)).toBe(1);
    expect(origin.count(k1!)).toBe(1);
    expect(
      await metricValue(edge!, 'cdn_edge_upstream_requests_total{source="peer",outcome="error_status"}'),
    ).toBe(2);
    expect(edge!.app.filler.sources().find((s) => s.id === 'b')?.health.kind).toBe('down');
    // The peer's request carried this node in CDN-Loop.
    expect(peer.requests[0]!.headers['cdn-loop']).toBe('site1; node=a');
  });

  it('stops after fill.maxAttempts upstream requests', async () => {
    const [peer, origin] = [await stub(), await stub()];
    const [k] = await withStubPeer(peer, origin, { fill: { maxAttempts: 1 } });
    origin.routes.set(k!, objectHandler(GOOD, CC, originEtag(GOOD)));
    peer.routes.set(k!, (_req, res) => {
      res.writeHead(503);
      res.end();
    });
    const r = await fetch(`${edge!.url}${k}`);
    expect(r.status).toBe(502);
    expect(await r.json()).toMatchObject({ error: 'EDGE_ERR_UPSTREAM_STATUS' });
    expect(origin.count(k!)).toBe(0);
  });

  it('a peer sending a corrupt body is backed off; a suspect key is verified before its head, so a corrupt source is passed over within the fill', async () => {
    const [peer, origin] = [await stub(), await stub()];
    const [k1, k2] = await withStubPeer(peer, origin, { fill: { backoffMinMs: 1000, backoffMaxMs: 1000 } });
    for (const k of [k1!, k2!]) {
      origin.routes.set(k, objectHandler(GOOD, CC, originEtag(GOOD)));
      peer.routes.set(
        k,
        lying(() => BAD),
      );
    }
    const first = await streamedThenCut(`${edge!.url}${k1}`);
    expect(first.status).toBe(200);
    expect(
      await metricValue(edge!, 'cdn_edge_upstream_requests_total{source="peer",outcome="corrupt"}'),
    ).toBe(1);
    expect(edge!.app.filler.sources().find((s) => s.id === 'b')?.health.kind).toBe('down');

    // In the back-off: straight to the origin.
    const second = await fetchHashed(`${edge!.url}${k1}`);
    expect(second.sha256).toBe(sha256Hex(GOOD));
    expect(peer.count(k1!)).toBe(1);

    // Make k2 suspect, then let the back-off run out: the probe of the peer is held back, found
    // corrupt, and the same fill moves on to the origin; the client sees one clean answer.
    edge!.clock.nowMs += 1000;
    await streamedThenCut(`${edge!.url}${k2}`);
    edge!.clock.nowMs += 2000;
    const held = await fetchHashed(`${edge!.url}${k2}`);
    expect(held.status).toBe(200);
    expect(held.sha256).toBe(sha256Hex(GOOD));
    expect(held.headers.get('cache-status')).toBe('a; fwd=miss; fwd-status=200; stored');
    expect(peer.count(k2!)).toBe(2);
    expect(origin.count(k2!)).toBe(1);
    expect(await metricValue(edge!, 'cdn_edge_fill_verification_failures_total')).toBe(3);
  });
});
