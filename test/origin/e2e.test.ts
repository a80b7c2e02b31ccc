import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../common/metrics.js';
import {
  detectTools,
  encoderToolsConfigFromEnv,
  makeSyntheticSource,
  type EncoderTools,
} from '../../encoder/index.js';
import { parseMpd } from '../../manifests/dash/index.js';
import { parseHlsMaster } from '../../manifests/hls/index.js';
import type { TitleFile } from '../../manifests/index.js';
import { buildOriginApp } from '../../origin/app.js';
import { createEncodePipeline } from '../../origin/jobs/encodePipeline.js';
import type { JobRecord } from '../../origin/jobs/types.js';
import { API_TOKEN, makeDirs, removeDirs, testConfig, type TestDirs } from './helpers.js';

/**
 * The origin end to end over a real socket, with the real encoder and packager: publish a short
 * lavfi title through the API, poll the job to done, then fetch its manifests and segments the way a
 * player and an edge would.
 */
let dirs: TestDirs;
let tools: EncoderTools;
let app: FastifyInstance;
let base: string;
const auth = { authorization: `Bearer ${API_TOKEN}` };

const ENCODE = {
  metric: 'psnr',
  resolutions: [
    { width: 320, height: 180 },
    { width: 240, height: 136 },
  ],
  preset: 'veryfast',
  sampleDurationS: 2,
  // 320x180 needs far less than the default 200 kbit/s floor.
  floorBitrateKbps: 20,
  segmentDurationS: 2,
  gopDurationS: 2,
};

async function startApp(): Promise<void> {
  app = await buildOriginApp({
    config: testConfig(dirs),
    registry: createMetricsRegistry({ processMetrics: false }),
    createPipeline: (store) => createEncodePipeline({ store, tools, encodeConcurrency: 1 }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

async function submit(titleId: string, sourcePath: string): Promise<string> {
  const res = await fetch(`${base}/v1/titles`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ titleId, sourcePath, encode: ENCODE }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { jobId: string }).jobId;
}

async function pollJob(
  id: string,
  until: (job: JobRecord) => boolean,
  seen?: Set<string>,
): Promise<JobRecord> {
  const deadline = Date.now() + 150_000;
  for (;;) {
    const job = (await (await fetch(`${base}/v1/jobs/${id}`, { headers: auth })).json()) as JobRecord;
    seen?.add(job.state);
    if (until(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} stuck in ${job.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const finished = (j: JobRecord) => ['done', 'failed', 'cancelled'].includes(j.state);

/** PIDs of processes whose command line mentions this test's directory (FFmpeg, packager). */
function ourProcesses(): string[] {
  try {
    return execFileSync('pgrep', ['-f', dirs.root], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

beforeAll(async () => {
  dirs = await makeDirs('origin-e2e-');
  await mkdir(dirs.ingestDir, { recursive: true });
  tools = await detectTools(encoderToolsConfigFromEnv());
  await Promise.all([
    makeSyntheticSource(
      tools.ffmpegPath,
      { pattern: 'moderate', resolution: { width: 320, height: 180 }, durationS: 4, fps: 25, audio: true },
      join(dirs.ingestDir, 'lavfi.mp4'),
    ),
    makeSyntheticSource(
      tools.ffmpegPath,
      { pattern: 'complex', resolution: { width: 320, height: 180 }, durationS: 8, fps: 25, audio: false },
      join(dirs.ingestDir, 'long.mp4'),
    ),
  ]);
  await writeFile(join(dirs.ingestDir, 'notes.txt'), 'this is not a video\n');
  await startApp();
});

afterAll(async () => {
  await app?.close();
  await removeDirs(dirs);
});

describe('origin end to end: publish a lavfi title through the API and play it', () => {
  let version: string;
  let title: TitleFile;

  it('runs the job through its phases to done', async () => {
    const seen = new Set<string>();
    const id = await submit('lavfi', 'lavfi.mp4');
    const job = await pollJob(id, finished, seen);
    expect(job.error).toBeUndefined();
    expect(job).toMatchObject({ state: 'done', progressPercent: 100, titleId: 'lavfi' });
    expect([...seen].filter((s) => s !== 'queued' && s !== 'done').length).toBeGreaterThanOrEqual(1);
    for (const phase of ['probing', 'searching', 'encoding', 'packaging', 'publishing'] as const) {
      expect(job.timings[phase], phase).toBeGreaterThanOrEqual(0);
    }
    version = job.result!.version;
    const catalog = (await (await fetch(`${base}/v1/titles/lavfi`, { headers: auth })).json()) as {
      current: { version: string };
      ladder: {
        rungs: { width: number; quality: { metric: string; mean: number } | null }[];
        audio: unknown[];
      };
    };
    expect(catalog.current.version).toBe(version);
    expect(catalog.ladder.rungs.length).toBeGreaterThanOrEqual(1);
    for (const rung of catalog.ladder.rungs) expect(rung.quality).toMatchObject({ metric: 'psnr' });
    expect(catalog.ladder.audio).toHaveLength(1);
    const titleRes = await fetch(`${base}/content/lavfi/v/${version}/title.json`);
    title = (await titleRes.json()) as TitleFile;
    expect(title.version).toBe(version);
  }, 180_000);

  it('serves the MPD pinned to the version, with short caching and a 304 on revalidation', async () => {
    const res = await fetch(`${base}/content/lavfi/manifest.mpd`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/dash+xml');
    expect(res.headers.get('cache-control')).toBe(
      'public, max-age=2, stale-while-revalidate=30, stale-if-error=86400',
    );
    const mpd = parseMpd(await res.text());
    expect(mpd.baseUrls).toEqual([{ url: `v/${version}/` }]);
    const etag = res.headers.get('etag')!;
    const again = await fetch(`${base}/content/lavfi/manifest.mpd`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
  });

  it('serves the HLS master with every playlist under the versioned path, and the playlists resolve', async () => {
    const res = await fetch(`${base}/content/lavfi/master.m3u8`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    const master = parseHlsMaster(await res.text());
    const uris = [
      ...master.variants.map((v) => v.uri),
      ...master.renditions.flatMap((r) => (r.uri ? [r.uri] : [])),
    ];
    expect(uris.length).toBeGreaterThanOrEqual(2);
    for (const uri of uris) {
      expect(uri.startsWith(`v/${version}/`)).toBe(true);
      const playlist = await fetch(new URL(uri, `${base}/content/lavfi/master.m3u8`));
      expect(playlist.status, uri).toBe(200);
      expect(playlist.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await playlist.text()).toContain('#EXT-X-ENDLIST');
    }
  });

  it('serves a segment whole and by range, immutable under the versioned path, with its SHA-256 ETag', async () => {
    const seg = title.tracks.find((t) => t.type === 'video')!.segments[0]!;
    const url = `${base}/content/lavfi/v/${version}/${seg.path}`;
    const full = await fetch(url);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('video/mp4');
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(full.headers.get('etag')).toBe(`"${seg.sha256.slice(0, 32)}"`);
    expect(full.headers.get('last-modified')).toMatch(/GMT$/);
    const bytes = Buffer.from(await full.arrayBuffer());
    expect(bytes.length).toBe(seg.sizeBytes);
    expect(Number(full.headers.get('content-length'))).toBe(seg.sizeBytes);

    const part = await fetch(url, { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-99/${seg.sizeBytes}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(0, 100));

    const tail = await fetch(url, { headers: { range: `bytes=${seg.sizeBytes}-` } });
    expect(tail.status).toBe(416);
    expect(tail.headers.get('content-range')).toBe(`bytes */${seg.sizeBytes}`);

    const notModified = await fetch(url, { headers: { 'if-none-match': full.headers.get('etag')! } });
    expect(notModified.status).toBe(304);
    const byDate = await fetch(url, { headers: { 'if-modified-since': full.headers.get('last-modified')! } });
    expect(byDate.status).toBe(304);

    const audio = title.tracks.find((t) => t.type === 'audio')!;
    const audioRes = await fetch(`${base}/content/lavfi/v/${version}/${audio.init.path}`);
    expect(audioRes.headers.get('content-type')).toBe('audio/mp4');
    await audioRes.arrayBuffer();
  });

  it('fails a job whose source is not a video with the encoder code, publishing nothing', async () => {
    const id = await submit('notes', 'notes.txt');
    const job = await pollJob(id, finished);
    expect(job).toMatchObject({ state: 'failed', error: { code: 'ENC_ERR_NOT_MEDIA' } });
    expect((await fetch(`${base}/v1/titles/notes`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${base}/content/notes/manifest.mpd`)).status).toBe(404);
  }, 60_000);

  it('reports a job as interrupted after a restart during its encode, stopping its FFmpegs', async () => {
    const id = await submit('restarted', 'long.mp4');
    await pollJob(id, (j) => j.state === 'searching' || j.state === 'encoding' || finished(j));
    await app.close();
    expect(ourProcesses()).toEqual([]);
    await startApp();
    const job = await pollJob(id, () => true);
    expect(job).toMatchObject({ state: 'failed', error: { code: 'ORIGIN_ERR_JOB_INTERRUPTED' } });
    expect((await fetch(`${base}/content/restarted/manifest.mpd`)).status).toBe(404);
    // The title published before the restart is still served.
    expect((await fetch(`${base}/content/lavfi/manifest.mpd`)).status).toBe(200);
  }, 120_000);
});
