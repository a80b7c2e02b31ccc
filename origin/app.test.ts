import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  API_TOKEN,
  AUTH,
  READ_TOKEN,
  buildTestApp,
  fakePipeline,
  makeDirs,
  removeDirs,
  untilAborted,
  waitForJob,
  type FakePipelineControl,
  type TestDirs,
} from '../test/origin/helpers.js';
import { CdnError } from '../common/errors.js';
import type { TitleFile } from '../manifests/index.js';
import type { JobRecord } from './jobs/types.js';
import { writeFakePackage } from './store/fixtures.js';

let dirs: TestDirs;
let app: FastifyInstance;
let fake: FakePipelineControl;

async function start(overrides: Parameters<typeof buildTestApp>[1] = {}): Promise<void> {
  fake = fakePipeline();
  app = await buildTestApp(dirs, overrides, { createPipeline: fake.pipeline });
}

async function publishFake(titleId: string, seed = 'a', segmentBytes = 4096): Promise<string> {
  const dir = join(dirs.root, `pkg-${titleId}-${seed}`);
  const title = await writeFakePackage(dir, { titleId, seed, segmentBytes });
  await app.origin.store.publish(dir);
  return title.version;
}

async function ingestFile(name: string, content = 'not really a video'): Promise<string> {
  const path = join(dirs.ingestDir, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  return path;
}

async function waitForFile(path: string, until: (text: string) => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (until(text)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${path} never matched`);
}

const post = (payload: unknown, headers: Record<string, string> = AUTH) =>
  app.inject({ method: 'POST', url: '/v1/titles', headers, payload: payload as Record<string, unknown> });

beforeEach(async () => {
  dirs = await makeDirs();
});

afterEach(async () => {
  await app?.close();
  await removeDirs(dirs);
});

describe('content serving', () => {
  let version: string;
  beforeEach(async () => {
    await start();
    version = await publishFake('movie');
  });

  it('serves the current MPD pinned to its version, with short caching', async () => {
    const res = await app.inject({ method: 'GET', url: '/content/movie/manifest.mpd' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/dash+xml');
    expect(res.body).toContain(`<BaseURL>v/${version}/</BaseURL>`);
    expect(res.body.indexOf('<BaseURL>')).toBeLessThan(res.body.indexOf('<Period'));
    expect(res.headers['cache-control']).toBe(
      'public, max-age=2, stale-while-revalidate=30, stale-if-error=86400',
    );
    expect(res.headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(res.headers['last-modified']).toMatch(/GMT$/);
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length);
  });

  it('serves the current HLS master with every rendition URI under the versioned path', async () => {
    const res = await app.inject({ method: 'GET', url: '/content/movie/master.m3u8' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(res.body).toContain(`URI="v/${version}/audio/a0/playlist.m3u8"`);
    expect(res.body).toContain(`\nv/${version}/video/v0/playlist.m3u8\n`);
  });

  it('serves versioned files unchanged and immutable', async () => {
    const original = await readFile(join(dirs.root, 'pkg-movie-a', 'manifest.mpd'), 'utf8');
    const res = await app.inject({ method: 'GET', url: `/content/movie/v/${version}/manifest.mpd` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(original);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const playlist = await app.inject({
      method: 'GET',
      url: `/content/movie/v/${version}/video/v0/playlist.m3u8`,
    });
    expect(playlist.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(playlist.headers['content-type']).toBe('application/vnd.apple.mpegurl');
  });

  it('serves segments with their media types and the SHA-256 ETag from title.json', async () => {
    const title = JSON.parse(
      await readFile(join(dirs.root, 'pkg-movie-a', 'title.json'), 'utf8'),
    ) as TitleFile;
    const seg = title.tracks[0]!.segments[0]!;
    const res = await app.inject({ method: 'GET', url: `/content/movie/v/${version}/${seg.path}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('video/mp4');
    expect(res.headers.etag).toBe(`"${seg.sha256.slice(0, 32)}"`);
    expect(res.rawPayload).toEqual(await readFile(join(dirs.root, 'pkg-movie-a', seg.path)));
    const audio = await app.inject({ method: 'GET', url: `/content/movie/v/${version}/audio/a0/init.mp4` });
    expect(audio.headers['content-type']).toBe('audio/mp4');
    const current = await app.inject({ method: 'GET', url: `/content/movie/${seg.path}` });
    expect(current.rawPayload).toEqual(res.rawPayload);
    expect(current.headers['cache-control']).toContain('max-age=2');
  });

  it('answers single byte ranges with 206, and unsatisfiable ones with 416', async () => {
    const url = `/content/movie/v/${version}/video/v0/00001.m4s`;
    const full = (await app.inject({ method: 'GET', url })).rawPayload;
    const part = await app.inject({ method: 'GET', url, headers: { range: 'bytes=100-199' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${full.length}`);
    expect(part.headers['content-length']).toBe('100');
    expect(part.rawPayload).toEqual(full.subarray(100, 200));
    const suffix = await app.inject({ method: 'GET', url, headers: { range: 'bytes=-10' } });
    expect(suffix.rawPayload).toEqual(full.subarray(full.length - 10));
    const open = await app.inject({ method: 'GET', url, headers: { range: 'bytes=4000-' } });
    expect(open.headers['content-range']).toBe(`bytes 4000-${full.length - 1}/${full.length}`);
    const none = await app.inject({ method: 'GET', url, headers: { range: `bytes=${full.length}-` } });
    expect(none.statusCode).toBe(416);
    expect(none.headers['content-range']).toBe(`bytes */${full.length}`);
    expect(none.json()).toMatchObject({ error: 'ORIGIN_ERR_RANGE_NOT_SATISFIABLE' });
    const multi = await app.inject({ method: 'GET', url, headers: { range: 'bytes=0-1,5-6' } });
    expect(multi.statusCode).toBe(200);
    expect(multi.rawPayload.length).toBe(full.length);
    // A range of the pinned manifest is of the pinned bytes.
    const mpd = (await app.inject({ method: 'GET', url: '/content/movie/manifest.mpd' })).rawPayload;
    const mpdPart = await app.inject({
      method: 'GET',
      url: '/content/movie/manifest.mpd',
      headers: { range: 'bytes=0-9' },
    });
    expect(mpdPart.rawPayload).toEqual(mpd.subarray(0, 10));
  });

  it('answers conditional requests: 304 on a matching ETag or date, 412 on a failed If-Match', async () => {
    const url = `/content/movie/v/${version}/video/v0/00001.m4s`;
    const first = await app.inject({ method: 'GET', url });
    const etag = first.headers.etag as string;
    const notModified = await app.inject({
      method: 'GET',
      url,
      headers: { 'if-none-match': `"zzz", ${etag}` },
    });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBe('');
    expect(notModified.headers.etag).toBe(etag);
    expect(notModified.headers['cache-control']).toContain('immutable');
    const byDate = await app.inject({
      method: 'GET',
      url,
      headers: { 'if-modified-since': first.headers['last-modified'] as string },
    });
    expect(byDate.statusCode).toBe(304);
    const changed = await app.inject({ method: 'GET', url, headers: { 'if-none-match': '"other"' } });
    expect(changed.statusCode).toBe(200);
    const failed = await app.inject({ method: 'GET', url, headers: { 'if-match': '"other"' } });
    expect(failed.statusCode).toBe(412);
    expect(failed.json()).toMatchObject({ error: 'ORIGIN_ERR_PRECONDITION_FAILED' });
    const staleRange = await app.inject({
      method: 'GET',
      url,
      headers: { range: 'bytes=0-9', 'if-range': '"other"' },
    });
    expect(staleRange.statusCode).toBe(200);
    const freshRange = await app.inject({
      method: 'GET',
      url,
      headers: { range: 'bytes=0-9', 'if-range': etag },
    });
    expect(freshRange.statusCode).toBe(206);
    const mpd = await app.inject({ method: 'GET', url: '/content/movie/manifest.mpd' });
    const mpd304 = await app.inject({
      method: 'GET',
      url: '/content/movie/manifest.mpd',
      headers: { 'if-none-match': mpd.headers.etag as string },
    });
    expect(mpd304.statusCode).toBe(304);
  });

  it('answers HEAD with the headers of GET and no body, and does not count it as popularity', async () => {
    const url = `/content/movie/v/${version}/video/v0/00001.m4s`;
    const res = await app.inject({ method: 'HEAD', url, headers: { range: 'bytes=0-9' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe('4096');
    expect(res.headers.etag).toMatch(/^"/);
    expect(res.body).toBe('');
    expect(app.origin.popularity.score('movie', Date.now())).toBe(0);
  });

  it('allows players on other origins (CORS), including Range and CMCD in preflights', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/content/movie/manifest.mpd',
      headers: { origin: 'https://player.example' },
    });
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(String(res.headers['access-control-expose-headers'])).toContain('Content-Range');
    expect(String(res.headers['access-control-expose-headers'])).toContain('ETag');
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/content/movie/video/v0/00001.m4s',
      headers: {
        origin: 'https://player.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'range,cmcd-request',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('Range');
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('CMCD-Request');
  });

  it('404s unknown titles, versions and files with their codes, and never caches them', async () => {
    const cases: [string, string][] = [
      ['/content/nope/manifest.mpd', 'ORIGIN_ERR_TITLE_NOT_FOUND'],
      ['/content/nope/v/20250101T000000Z-abc/manifest.mpd', 'ORIGIN_ERR_TITLE_NOT_FOUND'],
      ['/content/movie/v/20250101T000000Z-abc/manifest.mpd', 'ORIGIN_ERR_VERSION_NOT_FOUND'],
      ['/content/movie/video/v9/00001.m4s', 'ORIGIN_ERR_NOT_FOUND'],
      [`/content/movie/v/${version}/nope.m4s`, 'ORIGIN_ERR_NOT_FOUND'],
      ['/nowhere', 'ORIGIN_ERR_NOT_FOUND'],
    ];
    for (const [url, code] of cases) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ error: code });
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
  });

  it('counts GETs per title for popularity, hottest first', async () => {
    await publishFake('other', 'b');
    for (let i = 0; i < 3; i++) await app.inject({ method: 'GET', url: '/content/movie/manifest.mpd' });
    await app.inject({ method: 'GET', url: '/content/other/master.m3u8' });
    const res = await app.inject({ method: 'GET', url: '/v1/popularity', headers: AUTH });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ halfLifeS: number; titles: { titleId: string; score: number }[] }>();
    expect(body.halfLifeS).toBe(3600);
    expect(body.titles.map((t) => t.titleId)).toEqual(['movie', 'other']);
    expect(body.titles[0]!.score).toBeCloseTo(3, 2);
  });

  it('switches the current path to a new version at once, old versioned URLs still working', async () => {
    const v2 = await publishFake('movie', 'b');
    const res = await app.inject({ method: 'GET', url: '/content/movie/manifest.mpd' });
    expect(res.body).toContain(`<BaseURL>v/${v2}/</BaseURL>`);
    const old = await app.inject({ method: 'GET', url: `/content/movie/v/${version}/video/v0/00001.m4s` });
    expect(old.statusCode).toBe(200);
  });
});

describe('publish API: authentication', () => {
  beforeEach(() => start());

  it('refuses a missing token with 401 and WWW-Authenticate, a wrong one with 403', async () => {
    const missing = await app.inject({ method: 'GET', url: '/v1/titles' });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(missing.json()).toMatchObject({ error: 'ORIGIN_ERR_UNAUTHORIZED' });
    const malformed = await app.inject({
      method: 'GET',
      url: '/v1/titles',
      headers: { authorization: `Basic ${API_TOKEN}` },
    });
    expect(malformed.statusCode).toBe(401);
    const wrong = await app.inject({
      method: 'GET',
      url: '/v1/titles',
      headers: { authorization: 'Bearer not-the-token' },
    });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toMatchObject({ error: 'ORIGIN_ERR_FORBIDDEN' });
    const prefix = await app.inject({
      method: 'GET',
      url: '/v1/titles',
      headers: { authorization: `Bearer ${API_TOKEN}x` },
    });
    expect(prefix.statusCode).toBe(403);
    const ok = await app.inject({ method: 'GET', url: '/v1/titles', headers: AUTH });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ titles: [] });
  });

  it('accepts the read-only token for popularity only', async () => {
    const read = { authorization: `Bearer ${READ_TOKEN}` };
    expect((await app.inject({ method: 'GET', url: '/v1/popularity', headers: read })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/titles', headers: read })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/v1/popularity' })).statusCode).toBe(401);
  });

  it('leaves content, health, metrics and docs public', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/docs/json']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });
});

describe('publish API: bad input', () => {
  beforeEach(() => start({ jsonBodyLimitBytes: 2048 }));

  it('rejects malformed JSON with ORIGIN_ERR_MALFORMED_JSON', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/titles',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: '{"titleId": "movie", ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'ORIGIN_ERR_MALFORMED_JSON' });
    const empty = await app.inject({
      method: 'POST',
      url: '/v1/titles',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: '',
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ error: 'ORIGIN_ERR_MALFORMED_JSON' });
  });

  it('rejects an oversized body with 413 ORIGIN_ERR_BODY_TOO_LARGE', async () => {
    const res = await post({ titleId: 'movie', sourcePath: 'x'.repeat(4000) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'ORIGIN_ERR_BODY_TOO_LARGE' });
  });

  it('rejects bodies that fail the schema with ORIGIN_ERR_BAD_REQUEST', async () => {
    await ingestFile('a.mp4');
    const bodies = [
      {},
      { titleId: 'movie' },
      { titleId: 'Movie!', sourcePath: 'a.mp4' },
      { titleId: '../etc', sourcePath: 'a.mp4' },
      { titleId: 'movie', sourcePath: 'a.mp4', extra: 1 },
      { titleId: 'movie', sourcePath: 'a.mp4', encode: { outDir: '/tmp/x' } },
      { titleId: 'movie', sourcePath: 'a.mp4', encode: { metric: 'mse' } },
      { titleId: 'movie', sourcePath: 'a.mp4', encode: { resolutions: [{ width: 1, height: 1 }] } },
      [1, 2],
    ];
    for (const body of bodies) {
      const res = await post(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json(), JSON.stringify(body)).toMatchObject({ error: 'ORIGIN_ERR_BAD_REQUEST' });
    }
    expect(app.origin.queue.list()).toEqual([]);
  });

  it('rejects encode options the encoder refuses with ENC_ERR_INVALID_OPTIONS before queueing', async () => {
    await ingestFile('a.mp4');
    const res = await post({
      titleId: 'movie',
      sourcePath: 'a.mp4',
      encode: { segmentDurationS: 5, gopDurationS: 2 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'ENC_ERR_INVALID_OPTIONS' });
    expect(app.origin.queue.list()).toEqual([]);
  });

  it('refuses a body that is neither JSON nor multipart with 415', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/titles',
      headers: { ...AUTH, 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ error: 'ORIGIN_ERR_UNSUPPORTED_MEDIA_TYPE' });
  });

  it('refuses sources outside the ingest directory with 403, missing ones with 404', async () => {
    await ingestFile('inside.mp4');
    const outside = join(dirs.root, 'outside.mp4');
    await writeFile(outside, 'secret');
    await symlink(outside, join(dirs.ingestDir, 'link.mp4'));
    await symlink(dirs.root, join(dirs.ingestDir, 'dirlink'));
    for (const sourcePath of [
      '/etc/passwd',
      '../outside.mp4',
      outside,
      'sub/../../outside.mp4',
      'link.mp4',
      'dirlink/outside.mp4',
    ]) {
      const res = await post({ titleId: 'movie', sourcePath });
      expect(res.statusCode, sourcePath).toBe(403);
      expect(res.json(), sourcePath).toMatchObject({ error: 'ORIGIN_ERR_SOURCE_OUTSIDE_INGEST' });
    }
    const missing = await post({ titleId: 'movie', sourcePath: 'nope.mp4' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'ORIGIN_ERR_SOURCE_NOT_FOUND' });
    const dir = await post({ titleId: 'movie', sourcePath: 'uploads' });
    expect(dir.statusCode).toBe(404);
    const nul = await post({ titleId: 'movie', sourcePath: 'inside.mp4\u0000.txt' });
    expect(nul.statusCode).toBe(400);
    expect(nul.json()).toMatchObject({ error: 'ORIGIN_ERR_BAD_PATH' });
    expect(app.origin.queue.list()).toEqual([]);
  });

  it('refuses malformed ids in route parameters with 400', async () => {
    for (const url of ['/v1/titles/Bad!', '/v1/titles/a%00b', '/v1/jobs/not-a-uuid', '/v1/jobs/..%2Fjobs']) {
      const res = await app.inject({ method: 'GET', url, headers: AUTH });
      expect(res.statusCode, url).toBe(400);
      expect(res.json(), url).toMatchObject({ error: 'ORIGIN_ERR_BAD_REQUEST' });
    }
  });

  it('404s unknown titles and jobs with their codes', async () => {
    const title = await app.inject({ method: 'GET', url: '/v1/titles/nope', headers: AUTH });
    expect(title.json()).toMatchObject({ error: 'ORIGIN_ERR_TITLE_NOT_FOUND' });
    expect(title.statusCode).toBe(404);
    const del = await app.inject({ method: 'DELETE', url: '/v1/titles/nope', headers: AUTH });
    expect(del.statusCode).toBe(404);
    const id = '00000000-0000-4000-8000-000000000000';
    for (const method of ['GET', 'DELETE'] as const) {
      const job = await app.inject({ method, url: `/v1/jobs/${id}`, headers: AUTH });
      expect(job.statusCode).toBe(404);
      expect(job.json()).toMatchObject({ error: 'ORIGIN_ERR_JOB_NOT_FOUND' });
    }
  });
});

describe('publish API: jobs', () => {
  it('publishes a title through a job, reports it in the catalog, and unpublishes it', async () => {
    await start();
    await ingestFile('movie.mp4');
    const res = await post({
      titleId: 'movie',
      sourcePath: 'movie.mp4',
      encode: { metric: 'psnr', preset: 'veryfast' },
    });
    expect(res.statusCode).toBe(202);
    const { jobId, job } = res.json<{ jobId: string; job: JobRecord }>();
    expect(res.headers.location).toBe(`/v1/jobs/${jobId}`);
    expect(job).toMatchObject({
      titleId: 'movie',
      state: 'queued',
      encode: { metric: 'psnr', preset: 'veryfast' },
    });
    const done = await waitForJob(app, jobId);
    expect(done).toMatchObject({ state: 'done', progressPercent: 100 });
    expect(done.result?.version).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{12}$/);
    for (const phase of ['probing', 'searching', 'encoding', 'packaging', 'publishing']) {
      expect(done.timings[phase as 'probing'], phase).toBeGreaterThanOrEqual(0);
    }
    expect(done.timings.totalMs).toBeGreaterThanOrEqual(0);
    expect(done.finishedAt).toBeDefined();

    const list = await app.inject({ method: 'GET', url: '/v1/titles', headers: AUTH });
    expect(list.json().titles).toHaveLength(1);
    const title = (await app.inject({ method: 'GET', url: '/v1/titles/movie', headers: AUTH })).json();
    expect(title).toMatchObject({
      titleId: 'movie',
      current: { version: done.result!.version },
      manifests: {
        dash: '/content/movie/manifest.mpd',
        hls: '/content/movie/master.m3u8',
        versioned: { dash: `/content/movie/v/${done.result!.version}/manifest.mpd` },
      },
    });
    expect(title.ladder.rungs[0]).toMatchObject({ id: 'v0', width: 320, height: 180 });
    expect(title.versions).toEqual([
      expect.objectContaining({ version: done.result!.version, current: true }),
    ]);
    expect((await app.inject({ method: 'GET', url: '/content/movie/manifest.mpd' })).statusCode).toBe(200);

    const jobs = await app.inject({ method: 'GET', url: '/v1/jobs?limit=5', headers: AUTH });
    expect(jobs.json<{ jobs: JobRecord[] }>().jobs.map((j) => j.id)).toEqual([jobId]);

    const del = await app.inject({ method: 'DELETE', url: '/v1/titles/movie', headers: AUTH });
    expect(del.statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/content/movie/manifest.mpd' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/titles/movie', headers: AUTH })).statusCode).toBe(
      404,
    );
  });

  it('fails a job with the pipeline error code and publishes nothing', async () => {
    await start();
    fake.gate = () => {
      throw new CdnError('ENC_ERR_NOT_MEDIA', 'not a media file', { statusCode: 422 });
    };
    await ingestFile('notes.txt');
    const { jobId } = (await post({ titleId: 'notes', sourcePath: 'notes.txt' })).json<{ jobId: string }>();
    const job = await waitForJob(app, jobId);
    expect(job).toMatchObject({
      state: 'failed',
      error: { code: 'ENC_ERR_NOT_MEDIA', message: 'not a media file' },
    });
    expect(await app.origin.store.listTitles()).toEqual([]);
    expect(await readdir(join(dirs.dataDir, 'work'))).toEqual([]);
  });

  it('cancels a running job and a queued one; a finished job cannot be cancelled', async () => {
    await start({ jobConcurrency: 1 });
    fake.gate = (_job, signal) => untilAborted(signal);
    await ingestFile('a.mp4');
    const first = (await post({ titleId: 'a', sourcePath: 'a.mp4' })).json<{ jobId: string }>().jobId;
    const second = (await post({ titleId: 'b', sourcePath: 'a.mp4' })).json<{ jobId: string }>().jobId;
    await waitForJob(app, first, (j) => j.state === 'encoding');
    expect((await app.inject({ method: 'GET', url: `/v1/jobs/${second}`, headers: AUTH })).json().state).toBe(
      'queued',
    );
    const queued = await app.inject({ method: 'DELETE', url: `/v1/jobs/${second}`, headers: AUTH });
    expect(queued.json()).toMatchObject({ state: 'cancelled', error: { code: 'ORIGIN_ERR_JOB_CANCELLED' } });
    const running = await app.inject({ method: 'DELETE', url: `/v1/jobs/${first}`, headers: AUTH });
    expect(running.statusCode).toBe(200);
    expect(running.json()).toMatchObject({ state: 'cancelled', error: { code: 'ORIGIN_ERR_JOB_CANCELLED' } });
    const again = await app.inject({ method: 'DELETE', url: `/v1/jobs/${first}`, headers: AUTH });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: 'ORIGIN_ERR_JOB_FINISHED' });
    expect(fake.started.has(second)).toBe(false);
    expect(await app.origin.store.listTitles()).toEqual([]);
    const persisted = JSON.parse(await readFile(join(dirs.dataDir, 'jobs', `${first}.json`), 'utf8'));
    expect(persisted.state).toBe('cancelled');
  });

  it('refuses jobs beyond the queue limit with 503 ORIGIN_ERR_QUEUE_FULL', async () => {
    await start({ jobConcurrency: 1, maxQueuedJobs: 1 });
    fake.gate = (_job, signal) => untilAborted(signal);
    await ingestFile('a.mp4');
    const first = (await post({ titleId: 'a', sourcePath: 'a.mp4' })).json().jobId as string;
    await waitForJob(app, first, (j) => j.state === 'encoding');
    expect((await post({ titleId: 'b', sourcePath: 'a.mp4' })).statusCode).toBe(202);
    const full = await post({ titleId: 'c', sourcePath: 'a.mp4' });
    expect(full.statusCode).toBe(503);
    expect(full.json()).toMatchObject({ error: 'ORIGIN_ERR_QUEUE_FULL' });
  });

  it('completes concurrent publishes of one title, ending on one whole version', async () => {
    await start({ jobConcurrency: 2 });
    fake = fakePipeline();
    await ingestFile('a.mp4');
    const ids = await Promise.all(
      [1, 2, 3].map(
        async () => (await post({ titleId: 'movie', sourcePath: 'a.mp4' })).json<{ jobId: string }>().jobId,
      ),
    );
    const jobs = await Promise.all(ids.map((id) => waitForJob(app, id)));
    expect(jobs.map((j) => j.state)).toEqual(['done', 'done', 'done']);
    const title = (await app.inject({ method: 'GET', url: '/v1/titles/movie', headers: AUTH })).json();
    expect(jobs.map((j) => j.result!.version)).toContain(title.current.version);
    expect(title.versions).toHaveLength(3);
    const mpd = await app.inject({ method: 'GET', url: '/content/movie/manifest.mpd' });
    expect(mpd.body).toContain(`v/${title.current.version}/`);
    for (const path of [
      'video/v0/init.mp4',
      'video/v0/00001.m4s',
      'video/v0/00003.m4s',
      'audio/a0/00002.m4s',
    ]) {
      const res = await app.inject({
        method: 'GET',
        url: `/content/movie/v/${title.current.version}/${path}`,
      });
      expect(res.statusCode, path).toBe(200);
    }
  });
});

describe('publish API: uploads', () => {
  const multipart = (parts: { name: string; value: string | Buffer; filename?: string }[]) => {
    const boundary = '----origin-test-boundary';
    const chunks: Buffer[] = [];
    for (const p of parts) {
      const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`;
      const type = p.filename ? '\r\nContent-Type: application/octet-stream' : '';
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`));
      chunks.push(Buffer.isBuffer(p.value) ? p.value : Buffer.from(p.value));
      chunks.push(Buffer.from('\r\n'));
    }
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    return {
      payload: Buffer.concat(chunks),
      headers: { ...AUTH, 'content-type': `multipart/form-data; boundary=${boundary}` },
    };
  };

  beforeEach(() => start({ uploadMaxBytes: 1024 }));

  it('accepts an upload as the source of a job and removes it when the job ends', async () => {
    const body = multipart([
      { name: 'titleId', value: 'upload' },
      { name: 'encode', value: JSON.stringify({ metric: 'psnr' }) },
      { name: 'file', value: Buffer.alloc(500, 1), filename: '../../evil name.mp4' },
    ]);
    const res = await app.inject({ method: 'POST', url: '/v1/titles', ...body });
    expect(res.statusCode).toBe(202);
    const { job } = res.json<{ job: JobRecord }>();
    expect(job.source.uploaded).toBe(true);
    expect(job.source.path.startsWith(join(dirs.ingestDir, 'uploads'))).toBe(true);
    expect(job.source.path).toMatch(/-evil_name\.mp4$/);
    expect(job.encode).toEqual({ metric: 'psnr' });
    expect((await waitForJob(app, job.id)).state).toBe('done');
    expect(await readdir(join(dirs.ingestDir, 'uploads'))).toEqual([]);
  });

  it('refuses an upload over the size limit with 413 and leaves no partial file', async () => {
    const body = multipart([
      { name: 'titleId', value: 'upload' },
      { name: 'file', value: Buffer.alloc(5000, 1), filename: 'big.mp4' },
    ]);
    const res = await app.inject({ method: 'POST', url: '/v1/titles', ...body });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'ORIGIN_ERR_BODY_TOO_LARGE' });
    expect(await readdir(join(dirs.ingestDir, 'uploads'))).toEqual([]);
    expect(app.origin.queue.list()).toEqual([]);
  });

  it('refuses uploads without a file, with bad fields or bad encode JSON, leaving nothing', async () => {
    const cases: [Parameters<typeof multipart>[0], string][] = [
      [[{ name: 'titleId', value: 'upload' }], 'ORIGIN_ERR_UPLOAD_INVALID'],
      [
        [
          { name: 'titleId', value: 'Bad Id' },
          { name: 'file', value: 'x', filename: 'a.mp4' },
        ],
        'ORIGIN_ERR_BAD_REQUEST',
      ],
      [
        [
          { name: 'titleId', value: 'ok' },
          { name: 'encode', value: '{nope' },
          { name: 'file', value: 'x', filename: 'a.mp4' },
        ],
        'ORIGIN_ERR_MALFORMED_JSON',
      ],
      [
        [
          { name: 'titleId', value: 'ok' },
          { name: 'other', value: 'x', filename: 'a.mp4' },
        ],
        'ORIGIN_ERR_UPLOAD_INVALID',
      ],
    ];
    for (const [parts, code] of cases) {
      const res = await app.inject({ method: 'POST', url: '/v1/titles', ...multipart(parts) });
      expect(res.statusCode, code).toBe(400);
      expect(res.json(), code).toMatchObject({ error: code });
    }
    expect(await readdir(join(dirs.ingestDir, 'uploads'))).toEqual([]);
  });
});

describe('restart and shutdown', () => {
  it('reports a job that was running when the process died as failed (interrupted), and runs queued ones', async () => {
    await start({ jobConcurrency: 1 });
    fake.gate = (_job, signal) => untilAborted(signal);
    await ingestFile('a.mp4');
    const running = (await post({ titleId: 'a', sourcePath: 'a.mp4' })).json().jobId as string;
    const queued = (await post({ titleId: 'b', sourcePath: 'a.mp4' })).json().jobId as string;
    await waitForJob(app, running, (j) => j.state === 'encoding');
    await waitForFile(join(dirs.dataDir, 'jobs', `${running}.json`), (text) => text.includes('"encoding"'));
    // A crash: the first process is never closed while a second one opens the same data directory.
    const crashed = app;
    await start({ jobConcurrency: 1 });
    try {
      const job = await waitForJob(app, running);
      expect(job).toMatchObject({ state: 'failed', error: { code: 'ORIGIN_ERR_JOB_INTERRUPTED' } });
      expect(job.error!.message).toContain('encoding');
      expect((await waitForJob(app, queued)).state).toBe('done');
      expect(await readdir(join(dirs.dataDir, 'work'))).toEqual([]);
    } finally {
      await crashed.close();
    }
  });

  it('stops running jobs on close and records them as interrupted', async () => {
    await start();
    fake.gate = (_job, signal) => untilAborted(signal);
    await ingestFile('a.mp4');
    const id = (await post({ titleId: 'a', sourcePath: 'a.mp4' })).json().jobId as string;
    await waitForJob(app, id, (j) => j.state === 'encoding');
    await app.close();
    const persisted = JSON.parse(await readFile(join(dirs.dataDir, 'jobs', `${id}.json`), 'utf8'));
    expect(persisted).toMatchObject({ state: 'failed', error: { code: 'ORIGIN_ERR_JOB_INTERRUPTED' } });
    await start();
    expect((await waitForJob(app, id)).state).toBe('failed');
  });
});

describe('operations', () => {
  beforeEach(() => start());

  it('exposes Prometheus metrics: requests by route, bytes, jobs by state, phases, queue, store', async () => {
    await publishFake('movie');
    await app.inject({ method: 'GET', url: '/content/movie/manifest.mpd' });
    await app.inject({ method: 'GET', url: '/content/nope/manifest.mpd' });
    await ingestFile('a.mp4');
    const id = (await post({ titleId: 'job', sourcePath: 'a.mp4' })).json().jobId as string;
    await waitForJob(app, id);
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    expect(text).toMatch(/cdn_origin_requests_total\{route="\/content\/\*",method="GET",status="200"\} 1/);
    expect(text).toMatch(/cdn_origin_requests_total\{route="\/content\/\*",method="GET",status="404"\} 1/);
    expect(text).toMatch(/cdn_origin_response_bytes_total\{route="\/content\/\*"\} \d+/);
    expect(text).toMatch(/cdn_origin_jobs\{state="done"\} 1/);
    expect(text).toMatch(/cdn_origin_job_phase_duration_seconds_count\{phase="encoding"\} 1/);
    expect(text).toMatch(/cdn_origin_queue_depth 0/);
    expect(text).toMatch(/cdn_origin_store_titles 2/);
    expect(text).toMatch(/cdn_origin_store_bytes [1-9]\d*/);
    expect(text).toMatch(/cdn_origin_open_streams 0/);
    expect(text).not.toContain('/content/movie');
  });

  it('answers health and readiness, and is not ready once the queue stopped', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
    await app.origin.queue.close();
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'ORIGIN_ERR_NOT_READY' });
  });

  it('publishes an OpenAPI document generated from the route schemas', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { required?: string[] } }> } }>
      >;
      components: { securitySchemes: Record<string, unknown> };
    }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/titles',
        '/v1/titles/{id}',
        '/v1/jobs',
        '/v1/jobs/{id}',
        '/v1/popularity',
        '/healthz',
      ]),
    );
    expect(doc.paths['/v1/titles']!.post!.requestBody!.content['application/json']!.schema.required).toEqual([
      'titleId',
      'sourcePath',
    ]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});
