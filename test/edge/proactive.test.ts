import { beforeAll, describe, expect, it } from 'vitest';
import type { TitleFile } from '../../manifests/index.js';
import { READ_TOKEN } from '../origin/helpers.js';
import { ADMIN_TOKEN, NODE, admin, startTestEdge, until, type TestEdge } from './helpers.js';
import {
  originSuiteHooks,
  sample,
  startRealOrigin,
  titleObjectPaths,
  type RealOrigin,
} from './proactiveHelpers.js';

/** Proactive fill (`/admin/fill`) in front of the real origin, over loopback sockets. */
let origin: RealOrigin;
let film: TitleFile;
let big: TitleFile;
let edge: TestEdge | undefined;

beforeAll(async () => {
  origin = await startRealOrigin();
  film = await origin.publish({ titleId: 'film1', segmentBytes: 32 * 1024, segmentCount: 4 });
  // 2 MiB of video: 16 segments of 128 KiB.
  big = await origin.publish({ titleId: 'big', segmentBytes: 128 * 1024, segmentCount: 16 });
});

originSuiteHooks(
  () => origin,
  () => edge,
  () => (edge = undefined),
);
const since = (): string[] => origin.since();

interface FillStatus {
  status: 'running' | 'idle';
  run?: {
    id: string;
    trigger: string;
    outcome?: string;
    bytes: number;
    objects: { filled: number; cached: number; failed: number };
    titles: { titleId: string; state: string; score: number }[];
    titlesDone: number;
    displacedBytes: number;
    errors: { code: string }[];
  };
}

async function fillStatus(): Promise<FillStatus> {
  const res = await fetch(`${edge!.url}/admin/fill`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as FillStatus;
}

async function finished(timeoutMs = 15_000): Promise<NonNullable<FillStatus['run']>> {
  let last: FillStatus | undefined;
  await until(async () => {
    last = await fillStatus();
    return last.status === 'idle' && last.run !== undefined;
  }, timeoutMs);
  return last!.run!;
}

async function metric(line: string): Promise<number> {
  return sample(await edge!.registry.metrics(), line);
}

function objectBytes(title: TitleFile): number {
  return title.tracks.reduce(
    (sum, t) => sum + t.init.sizeBytes + t.segments.reduce((s, x) => s + x.sizeBytes, 0),
    0,
  );
}

describe('proactive fill', () => {
  it('fills every object of a title once; every segment is then a hit; a second run finds them all cached', async () => {
    edge = await startTestEdge(origin.url);
    const res = await admin(edge.url, '/admin/fill', { titles: ['film1'] });
    expect(res.status).toBe(202);
    const started = (await res.json()) as FillStatus;
    expect(started.status).toBe('running');
    const run = await finished();
    const paths = titleObjectPaths(film);
    expect(run.outcome).toBe('completed');
    expect(run.objects).toEqual({ filled: paths.length, cached: 0, failed: 0 });
    expect(run.titles).toEqual([expect.objectContaining({ titleId: 'film1', state: 'done' })]);
    // Bodies with sizes in title.json, plus the manifests and playlists.
    expect(run.bytes).toBeGreaterThan(objectBytes(film));
    for (const path of paths)
      expect(
        since().filter((p) => p === path),
        path,
      ).toHaveLength(1);
    expect(since().filter((p) => p === '/content/film1/title.json')).toHaveLength(1);
    const before = origin.requests.length;
    for (const path of paths) {
      const hit = await fetch(`${edge.url}${path}`);
      await hit.arrayBuffer();
      expect(hit.headers.get('cache-status'), path).toBe(`${NODE}; hit`);
    }
    expect(origin.requests.length).toBe(before);
    expect(await metric('cdn_edge_proactive_fill_objects_total{outcome="filled"}')).toBe(paths.length);
    expect(await metric('cdn_edge_proactive_fill_bytes_total')).toBe(run.bytes);
    expect(await metric('cdn_edge_proactive_fill_runs_total{outcome="completed"}')).toBe(1);

    expect((await admin(edge.url, '/admin/fill', { titles: ['film1'] })).status).toBe(202);
    const again = await finished();
    expect(again.objects).toEqual({ filled: 0, cached: paths.length, failed: 0 });
    expect(origin.requests.length).toBe(before);
  });

  it('keeps to the bandwidth limit: a 2 MiB title at 8 Mbit/s takes well over a second and a half', async () => {
    edge = await startTestEdge(origin.url, { proactiveFill: { bandwidthBps: 8_000_000 } });
    const startedMs = performance.now();
    expect((await admin(edge.url, '/admin/fill', { titles: ['big'] })).status).toBe(202);
    const run = await finished(30_000);
    const elapsedMs = performance.now() - startedMs;
    expect(run.outcome).toBe('completed');
    expect(run.bytes).toBeGreaterThan(2 * 1024 * 1024);
    // Paced bits are all but the first 100 ms burst and the last object: ≥ (2 MiB − 128 KiB) × 8 / 8 Mbit/s ≈ 1.9 s.
    expect(elapsedMs).toBeGreaterThan(1500);
    expect(elapsedMs).toBeLessThan(20_000);
  });

  it('answers 409 while a run is in progress; DELETE cancels it; a new run may start after', async () => {
    edge = await startTestEdge(origin.url, { proactiveFill: { bandwidthBps: 100_000 } });
    expect((await admin(edge.url, '/admin/fill', { titles: ['big'] })).status).toBe(202);
    const busy = await admin(edge.url, '/admin/fill', { titles: ['film1'] });
    expect(busy.status).toBe(409);
    expect(await busy.json()).toMatchObject({ error: 'EDGE_ERR_FILL_RUNNING' });
    const running = await fillStatus();
    expect(running.status).toBe('running');
    expect(running.run?.titles[0]).toMatchObject({ titleId: 'big', state: 'filling' });
    const cancel = await fetch(`${edge.url}/admin/fill`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(cancel.status).toBe(200);
    expect(await cancel.json()).toMatchObject({
      cancelled: true,
      status: 'idle',
      run: { outcome: 'cancelled' },
    });
    const fetchedBig = since().filter((p) => p.startsWith('/content/big/v/')).length;
    expect(fetchedBig).toBeLessThan(titleObjectPaths(big).length);
    expect(await metric('cdn_edge_proactive_fill_runs_total{outcome="cancelled"}')).toBe(1);
    // Nothing more is fetched for the cancelled run.
    await new Promise((r) => setTimeout(r, 300));
    expect(since().filter((p) => p.startsWith('/content/big/v/')).length).toBe(fetchedBig);
    const idle = await fetch(`${edge.url}/admin/fill`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(await idle.json()).toMatchObject({ cancelled: false });
    expect((await admin(edge.url, '/admin/fill', { titles: ['film1'] })).status).toBe(202);
    expect(await fillStatus()).toMatchObject({ status: 'running', run: { titles: [{ titleId: 'film1' }] } });
  });

  it('refuses bad bodies with coded 400s, unknown titles with a 404, and fetches no content for them', async () => {
    edge = await startTestEdge(origin.url);
    const raw = (body: string) =>
      fetch(`${edge!.url}/admin/fill`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body,
      });
    // The last is over the 64 KiB admin body limit.
    for (const body of [
      '{not json',
      '[1,2]',
      '"titles"',
      'null',
      JSON.stringify({ a: 'x'.repeat(70_000) }),
    ]) {
      const res = await raw(body);
      expect(res.status, body.slice(0, 20)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('EDGE_ERR_BAD_REQUEST');
    }
    for (const body of [
      {},
      { titles: 'film1' },
      { titles: [] },
      { titles: [42] },
      { titles: ['../film1'] },
      { titles: ['film1'], fromPopularity: true },
      { fromPopularity: 'yes' },
      { fromPopularity: true, limit: -1 },
      { titles: ['film1'], maxBytes: 'lots' },
      { titles: ['film1'], colour: 'blue' },
    ]) {
      const res = await admin(edge.url, '/admin/fill', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('EDGE_ERR_BAD_REQUEST');
    }
    const unknown = await admin(edge.url, '/admin/fill', { titles: ['film1', 'nosuch', 'gone'] });
    expect(unknown.status).toBe(404);
    const error = (await unknown.json()) as { error: string; message: string };
    expect(error.error).toBe('EDGE_ERR_TITLE_NOT_FOUND');
    expect(error.message).toContain('gone, nosuch');
    // No popularity token configured on this node.
    const popular = await admin(edge.url, '/admin/fill', { fromPopularity: true });
    expect(popular.status).toBe(503);
    expect(((await popular.json()) as { error: string }).error).toBe('EDGE_ERR_POPULARITY_UNAVAILABLE');
    // Only the title.json files were read; no run ever started.
    expect(since().every((p) => p.endsWith('/title.json'))).toBe(true);
    expect(await fillStatus()).toEqual({ status: 'idle' });
    expect(await metric('cdn_edge_proactive_fill_objects_total{outcome="filled"}')).toBe(0);
    // Still serving.
    expect((await fetch(`${edge.url}/healthz`)).status).toBe(200);
  });

  it('answers 401 without the admin token and 405 for other methods', async () => {
    edge = await startTestEdge(origin.url);
    for (const method of ['GET', 'POST', 'DELETE']) {
      for (const headers of [
        {},
        { authorization: 'Bearer wrong-token-0123456789' },
        { authorization: ADMIN_TOKEN },
      ]) {
        const res = await fetch(`${edge.url}/admin/fill`, {
          method,
          headers,
          ...(method === 'POST' ? { body: JSON.stringify({ titles: ['film1'] }) } : {}),
        });
        expect(res.status, `${method} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect(((await res.json()) as { error: string }).error).toBe('EDGE_ERR_UNAUTHORIZED');
      }
    }
    const put = await fetch(`${edge.url}/admin/fill`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toContain('DELETE');
    expect(since()).toEqual([]);
  });
});

/**
 * Memory-tier bytes for one and a half titles like `title`: listed bodies, plus manifests,
 * playlists and the per-entry overhead (16 KiB covers them for these small packages).
 */
function roomForOneAndAHalf(title: TitleFile): number {
  return Math.round((objectBytes(title) + 16 * 1024) * 1.5);
}

describe('proactive fill from popularity', () => {
  let hot: TitleFile;
  let cold: TitleFile;

  beforeAll(async () => {
    hot = await origin.publish({ titleId: 'hot', segmentBytes: 32 * 1024, segmentCount: 4, seed: 'h' });
    cold = await origin.publish({ titleId: 'cold', segmentBytes: 32 * 1024, segmentCount: 4, seed: 'c' });
    // Popularity as the origin counts it: content GETs per title (the fills below add a few each).
    await origin.hit('/content/hot/title.json', 300);
    await origin.hit('/content/cold/title.json', 100);
  });

  it('fills the hottest titles first', async () => {
    edge = await startTestEdge(origin.url, { proactiveFill: { originReadToken: READ_TOKEN } });
    expect((await admin(edge.url, '/admin/fill', { fromPopularity: true, limit: 2 })).status).toBe(202);
    const run = await finished();
    expect(run.outcome).toBe('completed');
    expect(run.titles.map((t) => t.titleId)).toEqual(['hot', 'cold']);
    expect(run.titles[0]!.score).toBeGreaterThan(run.titles[1]!.score);
    const firstCold = since().findIndex((p) => p.startsWith('/content/cold/'));
    const lastHot = since().findLastIndex((p) => p.startsWith('/content/hot/'));
    expect(lastHot).toBeLessThan(firstCold);
  });

  it('starts runs on its schedule inside the window', async () => {
    edge = await startTestEdge(origin.url, {
      proactiveFill: {
        enabled: true,
        intervalS: 1,
        windowStartHourUtc: 0,
        windowEndHourUtc: 24,
        popularityLimit: 1,
        originReadToken: READ_TOKEN,
      },
    });
    const run = await finished();
    expect(run).toMatchObject({ trigger: 'schedule', outcome: 'completed' });
    expect(run.titles.map((t) => t.titleId)).toEqual(['hot']);
  });

  it('never displaces hotter titles: makes room from colder ones, stops when only hotter ones are left', async () => {
    // A memory-only node with room for about one and a half of these titles.
    edge = await startTestEdge(origin.url, {
      memory: { maxBytes: roomForOneAndAHalf(hot) },
      proactiveFill: { originReadToken: READ_TOKEN },
    });
    expect((await admin(edge.url, '/admin/fill', { titles: ['cold'] })).status).toBe(202);
    expect((await finished()).outcome).toBe('completed');
    const coldPaths = titleObjectPaths(cold);
    expect(coldPaths.every((p) => edge!.memory.has(p))).toBe(true);

    // Hotter than what is there: colder objects make way.
    expect((await admin(edge.url, '/admin/fill', { titles: ['hot'] })).status).toBe(202);
    const hotRun = await finished();
    expect(hotRun.outcome).toBe('completed');
    expect(hotRun.displacedBytes).toBeGreaterThan(0);
    const hotPaths = titleObjectPaths(hot);
    expect(hotPaths.every((p) => edge!.memory.has(p))).toBe(true);
    expect(coldPaths.some((p) => !edge!.memory.has(p))).toBe(true);

    // Colder than what is there: fills the free space only, then stops; the hot title stays whole.
    expect((await admin(edge.url, '/admin/fill', { titles: ['cold'] })).status).toBe(202);
    const coldRun = await finished();
    expect(coldRun.outcome).toBe('cache_full');
    expect(coldRun.displacedBytes).toBe(0);
    expect(coldRun.titles[0]!.state).toBe('partial');
    expect(hotPaths.every((p) => edge!.memory.has(p))).toBe(true);
    expect(await metric('cdn_edge_proactive_fill_runs_total{outcome="cache_full"}')).toBe(1);
    expect(await metric('cdn_edge_cache_evictions_total{tier="memory"}')).toBe(0);
  });

  it('never displaces a title this node served recently, whatever its popularity', async () => {
    edge = await startTestEdge(origin.url, {
      memory: { maxBytes: roomForOneAndAHalf(hot) },
      proactiveFill: { originReadToken: READ_TOKEN },
    });
    // A viewer here watches the cold title: it is this node's working set.
    const coldPaths = titleObjectPaths(cold);
    for (const path of coldPaths) await (await fetch(`${edge.url}${path}`)).arrayBuffer();
    expect(coldPaths.every((p) => edge!.memory.has(p))).toBe(true);
    expect((await admin(edge.url, '/admin/fill', { titles: ['hot'] })).status).toBe(202);
    const run = await finished();
    expect(run.outcome).toBe('cache_full');
    expect(run.displacedBytes).toBe(0);
    expect(coldPaths.every((p) => edge!.memory.has(p))).toBe(true);
  });
});
