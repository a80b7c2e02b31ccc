import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeConfigInput } from '../../edge/config.js';
import type { TitleFile } from '../../manifests/index.js';
import { signToken } from '../../edge/tokens/token.js';
import {
  NODE,
  objectHandler,
  sleep,
  startStubOrigin,
  startTestEdge,
  until,
  type StubOrigin,
  type TestEdge,
} from './helpers.js';
import { originSuiteHooks, sample, startRealOrigin, versioned, type RealOrigin } from './proactiveHelpers.js';

/** CMCD prefetch in front of the real origin, over loopback sockets. */
let origin: RealOrigin;
let film: TitleFile;
let other: TitleFile;
let edge: TestEdge | undefined;

beforeAll(async () => {
  origin = await startRealOrigin();
  film = await origin.publish({ titleId: 'film1', segmentBytes: 64 * 1024, segmentCount: 6 });
  other = await origin.publish({ titleId: 'film2', segmentCount: 2 });
});

originSuiteHooks(
  () => origin,
  () => edge,
  () => (edge = undefined),
);

const seg = (n: number, track = 'video/v0'): string =>
  versioned(film, `${track}/${String(n).padStart(5, '0')}.m4s`);

/**
 * An edge for these tests: event-loop lag never sheds hints here (this machine's lag under a
 * parallel test run is not what a test is about; the lag rule has its unit test).
 */
function startEdge(originUrl: string, overrides: Partial<EdgeConfigInput> = {}): Promise<TestEdge> {
  return startTestEdge(originUrl, {
    ...overrides,
    prefetch: { maxEventLoopLagMs: 60_000, ...overrides.prefetch },
  });
}

/** Origin requests for `path` since the test started. */
const fetched = (path: string): number => origin.since().filter((p) => p === path).length;

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${edge!.url}${path}`, { headers });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

async function prefetchCount(outcome: string): Promise<number> {
  return sample(await edge!.registry.metrics(), `cdn_edge_prefetch_total{outcome="${outcome}"}`);
}

describe('CMCD prefetch', () => {
  it('fetches the nor object of a header-mode request once; the later request is a hit and counts as used', async () => {
    edge = await startEdge(origin.url);
    const first = await get(seg(1), {
      'CMCD-Request': 'nor="00002.m4s"',
      'CMCD-Object': 'ot=v,br=800',
      'CMCD-Session': 'sid="s1"',
    });
    expect(first.res.status).toBe(200);
    await until(() => edge!.memory.has(seg(2)));
    expect(fetched(seg(2))).toBe(1);
    const second = await get(seg(2));
    expect(second.res.headers.get('cache-status')).toBe(`${NODE}; hit`);
    expect(second.body.equals((await origin.app.inject({ method: 'GET', url: seg(2) })).rawPayload)).toBe(
      true,
    );
    expect(fetched(seg(2))).toBe(1);
    expect(edge.app.prefetcher.stats).toMatchObject({ issued: 1, used: 1, wasted: 0, dropped: 0 });
    expect(await prefetchCount('issued')).toBe(1);
    expect(await prefetchCount('used')).toBe(1);
  });

  it('reads CMCD v2 from the query (nor list, relative paths up the tree) and never keys on it', async () => {
    edge = await startEdge(origin.url);
    const cmcd = 'nor=("00003.m4s" "../../audio/a0/00003.m4s"),sid="s2",v=2';
    const res = await get(`${seg(2)}?CMCD=${encodeURIComponent(cmcd)}`);
    expect(res.res.status).toBe(200);
    await until(() => edge!.memory.has(seg(3)) && edge!.memory.has(seg(3, 'audio/a0')));
    expect(fetched(seg(3))).toBe(1);
    expect(fetched(seg(3, 'audio/a0'))).toBe(1);
    // The CMCD parameter is not part of the key: the same object with other CMCD data is a hit.
    const again = await get(`${seg(2)}?CMCD=${encodeURIComponent('sid="other"')}`);
    expect(again.res.headers.get('cache-status')).toBe(`${NODE}; hit`);
    expect((await get(seg(3, 'audio/a0'))).res.headers.get('cache-status')).toBe(`${NODE}; hit`);
    expect(edge.app.prefetcher.stats).toMatchObject({ issued: 2, used: 1 });
  });

  it('ignores and counts hints outside the title, outside /content, to another host or malformed; fetches none of them', async () => {
    edge = await startEdge(origin.url);
    const hints = [
      `nor="${encodeURIComponent(`/content/film2/v/${other.version}/video/v0/00001.m4s`)}"`,
      `nor="${encodeURIComponent('../../../../../film2/video/v0/00001.m4s')}"`,
      `nor="${encodeURIComponent('/metrics')}"`,
      `nor="${encodeURIComponent('http://127.0.0.2:1/content/film1/a.m4s')}"`,
      `nor="${encodeURIComponent('a%2F..%2F..%2Fb.m4s')}"`,
    ];
    for (const hint of hints) expect((await get(seg(4), { 'CMCD-Request': hint })).res.status).toBe(200);
    // Broken CMCD is not an error for the request carrying it.
    expect((await get(seg(4), { 'CMCD-Request': 'nor=("unterminated' })).res.status).toBe(200);
    await until(async () => (await prefetchCount('ignored')) === hints.length);
    await sleep(100);
    expect(origin.since()).toEqual([seg(4)]);
    expect(edge.app.prefetcher.stats).toMatchObject({ issued: 0, ignored: hints.length });
  });

  it('skips objects already cached or being filled, and the current object itself (nrr only)', async () => {
    edge = await startEdge(origin.url);
    await get(seg(5));
    await get(seg(4), { 'CMCD-Request': 'nor="00005.m4s"' });
    await get(seg(4), { 'CMCD-Request': 'nrr="0-999"' });
    await until(async () => (await prefetchCount('cached')) === 2);
    expect(fetched(seg(5))).toBe(1);
    expect(edge.app.prefetcher.stats.issued).toBe(0);
  });

  it('counts a prefetch nobody asks for within the window as wasted', async () => {
    edge = await startEdge(origin.url, { prefetch: { usedWindowMs: 1000 } });
    await get(seg(1), { 'CMCD-Request': 'nor="00006.m4s"' });
    await until(() => edge!.memory.has(seg(6)));
    edge.clock.nowMs += 1500;
    await until(async () => (await prefetchCount('wasted')) === 1);
    // Too late to count as used.
    await get(seg(6));
    expect(edge.app.prefetcher.stats).toMatchObject({ issued: 1, used: 0, wasted: 1 });
  });

  it('drops hints beyond the queue when the prefetch pool is busy', async () => {
    edge = await startEdge(origin.url, { prefetch: { concurrency: 1, queueMax: 1 } });
    await get(seg(1), { 'CMCD-Request': 'nor=("00002.m4s" "00003.m4s" "00004.m4s")', 'CMCD-Session': 'v=2' });
    await until(async () => (await prefetchCount('dropped')) === 1);
    await until(() => edge!.app.prefetcher.stats.issued === 2 && edge!.memory.has(seg(3)));
    expect(fetched(seg(4))).toBe(0);
    expect(edge.app.prefetcher.stats).toMatchObject({ issued: 2, dropped: 1 });
  });

  it('refuses hints the request token does not cover; follows those it does', async () => {
    const key = randomBytes(32);
    edge = await startEdge(origin.url, {
      tokens: { required: true, keys: { k1: key.toString('base64') } },
    });
    const expiresAtS = Math.floor(edge.clock.nowMs / 1000) + 600;
    const videoOnly = signToken({ keyId: 'k1', key, pathPrefix: versioned(film, 'video/'), expiresAtS });
    const res = await get(`${seg(1)}?token=${videoOnly}`, {
      'CMCD-Request': 'nor=("00002.m4s" "../../audio/a0/00002.m4s")',
      'CMCD-Session': 'v=2',
    });
    expect(res.res.status).toBe(200);
    await until(async () => (await prefetchCount('ignored')) === 1 && edge!.memory.has(seg(2)));
    expect(fetched(seg(2, 'audio/a0'))).toBe(0);
  });
});

describe('CMCD prefetch under load', () => {
  let slow: StubOrigin;

  beforeAll(async () => {
    slow = await startStubOrigin();
  });

  afterAll(async () => {
    await slow?.close();
  });

  it('drops hints while client requests in flight exceed the limit, and fetches again once they finish', async () => {
    const body = randomBytes(4096);
    slow.routes.set('/content/t1/slow.m4s', objectHandler(body, 'public, max-age=60', '"s"', 1500));
    slow.routes.set('/content/t1/00001.m4s', objectHandler(body, 'public, max-age=60'));
    slow.routes.set('/content/t1/00002.m4s', objectHandler(body, 'public, max-age=60'));
    edge = await startEdge(slow.url, { prefetch: { maxInflightRequests: 1 } });
    const busy = [get('/content/t1/slow.m4s'), get('/content/t1/slow.m4s')];
    await until(() => edge!.app.metrics.inflightRequests.n === 2);
    await get('/content/t1/00001.m4s', { 'CMCD-Request': 'nor="00002.m4s"' });
    await until(async () => (await prefetchCount('dropped')) === 1);
    expect(slow.count('/content/t1/00002.m4s')).toBe(0);
    await Promise.all(busy);
    await until(() => edge!.app.metrics.inflightRequests.n === 0);
    await get('/content/t1/00001.m4s', { 'CMCD-Request': 'nor="00002.m4s"' });
    await until(() => slow.count('/content/t1/00002.m4s') === 1);
    expect(edge.app.prefetcher.stats).toMatchObject({ issued: 1, dropped: 1 });
  });
});
