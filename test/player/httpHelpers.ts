/**
 * A small real streaming system on loopback for the player's HTTP tests: a lavfi title encoded and
 * packaged for real (6 s, 1 s segments, four rungs and an audio track; about 4 s to build), an
 * origin that publishes it with steering (client_ip override, URL tokens, 1 s content steering TTL)
 * and the QoE collector, and two edges registered through their control clients:
 * `edge-a` (site-a) announces 198.51.100.0/24 and `edge-b` (site-b) is the default cluster, so
 * clients in 198.51.100.0/24 get [edge-a, edge-b].
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { edgeConfigFromInput, startEdge, type RunningEdge } from '../../edge/index.js';
import { encodeTitle, encoderToolsConfigFromEnv, makeSyntheticSource } from '../../encoder/index.js';
import { packageTitle, parseMpd, type TitleFile } from '../../manifests/index.js';
import { ladderFromDash, type Ladder, type SteerResponse } from '../../player-sim/index.js';
import { API_TOKEN, buildTestApp, makeDirs, removeDirs, type TestDirs } from '../origin/helpers.js';

export const TITLE = 'clip';
/** A client address inside edge-a's prefix. */
export const CLIENT_A = '198.51.100.7';
export const EDGE_IDS = ['edge-a', 'edge-b'] as const;
const KEY = Buffer.alloc(32, 7).toString('base64');
const edgeToken = (id: string): string => `${id}-control-token-0123456789`;
/** Heartbeat period asked of the edges, ms: short, so steering sees both within a second. */
const HEARTBEAT_MS = 200;

/** Encodes and packages the test title (PSNR, ultrafast: quality is not under test); 6 s by default. */
export async function packageClip(root: string, durationS = 6): Promise<{ dir: string; title: TitleFile }> {
  const tools = encoderToolsConfigFromEnv();
  await mkdir(root, { recursive: true });
  const spec = { pattern: 'simple', resolution: { width: 192, height: 108 }, durationS, fps: 25 } as const;
  const source = await makeSyntheticSource(
    tools.ffmpegPath,
    { ...spec, audio: true },
    join(root, 'source.mp4'),
  );
  const encoded = await encodeTitle(source, {
    outDir: join(root, 'renditions'),
    metric: 'psnr',
    resolutions: [spec.resolution],
    preset: 'ultrafast',
    sampleDurationS: 2,
    floorBitrateKbps: 20,
    segmentDurationS: 1,
    gopDurationS: 1,
  });
  const packaged = await packageTitle(encoded.outDir, { outDir: join(root, 'package'), titleId: TITLE });
  return { dir: packaged.outDir, title: packaged.title };
}

export interface PlayerWorld {
  dirs: TestDirs;
  pkgDir: string;
  title: TitleFile;
  origin: FastifyInstance;
  originUrl: string;
  edges: Map<string, RunningEdge>;
  /** The edge's HTTP server dies at once (connections cut, port closed); its heartbeats go on. */
  kill(id: string): void;
  close(): Promise<void>;
}

/** GET of JSON with bounded waits. */
export async function getJson<T>(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const res = await request(url, { headers, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const text = await res.body.text();
  return { status: res.statusCode, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

/** Polls until `check` holds (bounded). */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startWorld(options: { durationS?: number } = {}): Promise<PlayerWorld> {
  const dirs = await makeDirs('player-http-');
  const { dir: pkgDir, title } = await packageClip(join(dirs.root, 'title'), options.durationS);
  const origin = await buildTestApp(
    dirs,
    {
      steering: {
        edgeTokens: Object.fromEntries(EDGE_IDS.map((id) => [id, edgeToken(id)])),
        heartbeatIntervalMs: HEARTBEAT_MS,
        missedHeartbeats: 3,
        defaultCluster: 'site-b',
        allowClientIpOverride: true,
        manifestTtlS: 1,
        tokens: { keyId: 'k1', key: KEY, ttlS: 600 },
      },
      qoe: { sink: 'memory', rateLimitEventsPerS: 0 },
    },
    { createPipeline: () => () => Promise.reject(new Error('no encode jobs in this test')) },
  );
  await origin.origin.store.publish(pkgDir);
  await origin.listen({ host: '127.0.0.1', port: 0 });
  const address = origin.server.address();
  const originUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const edges = new Map<string, RunningEdge>();
  const routes: Record<string, { cluster: string; staticRoutes: string[] }> = {
    'edge-a': { cluster: 'site-a', staticRoutes: ['198.51.100.0/24'] },
    'edge-b': { cluster: 'site-b', staticRoutes: ['203.0.113.0/24'] },
  };
  for (const id of EDGE_IDS) {
    const edge = await startEdge(
      edgeConfigFromInput({
        nodeId: id,
        originUrl,
        listen: { host: '127.0.0.1', port: 0 },
        logLevel: 'silent',
        tokens: { required: true, keys: { k1: KEY } },
        // Hints are never shed for event-loop lag here (a parallel test run's lag is not under test).
        prefetch: { maxEventLoopLagMs: 60_000 },
        control: {
          token: edgeToken(id),
          capacityGbps: 10,
          routeFlushDelayMs: 10,
          backoff: { initialMs: 50, maxMs: 500 },
          ...routes[id]!,
        },
      }),
    );
    edges.set(id, edge);
  }
  await until(async () => {
    const res = await getJson<SteerResponse>(
      `${originUrl}/v1/steer?title=${TITLE}&session=warmup&client_ip=${CLIENT_A}`,
    );
    return res.status === 200 && res.body.edges.map((e) => e.id).join() === EDGE_IDS.join();
  }, 'steering to rank edge-a then edge-b');
  const killed = new Set<string>();
  return {
    dirs,
    pkgDir,
    title,
    origin,
    originUrl,
    edges,
    kill(id) {
      const server = edges.get(id)!.app.server;
      killed.add(id);
      server.close();
      server.closeAllConnections();
    },
    async close() {
      for (const edge of edges.values()) await edge.close().catch(() => undefined);
      await origin.close();
      await removeDirs(dirs);
    },
  };
}

/** The collector's record of a session (GET /v1/qoe/sessions/{id}). */
export interface QoeRecord {
  events: number;
  failovers: number;
  errors: number;
  fatalErrors: number;
  outcome?: string;
  startupEdge?: string;
  edge?: string;
  summary?: { failovers: number; rebufferCount: number; strategy: string };
}

export async function qoeRecord(
  world: PlayerWorld,
  sessionId: string,
): Promise<{ status: number; body: QoeRecord }> {
  return getJson<QoeRecord>(`${world.originUrl}/v1/qoe/sessions/${sessionId}`, {
    authorization: `Bearer ${API_TOKEN}`,
  });
}

/** Prometheus sample of an edge (sum over label sets matching `prefix`). */
export async function edgeSample(edge: RunningEdge, prefix: string): Promise<number> {
  const text = await edge.registry.metrics();
  return text
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/**
 * The title's ladder as the core sees it without any HTTP: the package's MPD from disk, with the
 * exact size of every segment (video plus audio) from the files.
 */
export async function diskLadder(world: PlayerWorld, mpdText: string): Promise<Ladder> {
  const base = 'file:///pkg/';
  const ladder = ladderFromDash(parseMpd(mpdText), { manifestUrl: `${base}manifest.mpd` });
  const size = async (url: string | undefined) =>
    url === undefined ? 0 : (await stat(join(world.pkgDir, url.slice(base.length)))).size;
  const sizes = await Promise.all(
    ladder.segmentDurationsMs.map((_, k) =>
      Promise.all(
        ladder.rungs.map(
          async (rung) =>
            (await size(rung.segments?.[k]?.url)) + (await size(ladder.audio?.segments?.[k]?.url)),
        ),
      ),
    ),
  );
  return { ...ladder, segmentSizesBytes: sizes };
}
