/**
 * The browser tests' world: a lavfi title really encoded and packaged (16 s, 1 s segments, two
 * sizes for the ladder and audio), a real origin publishing it with steering (client_ip override, URL tokens) and
 * serving the web player, pairs of real edges registered through their control clients — `edge-a`
 * (site-a) announces the test client's prefix, `edge-b` (site-b) is the default cluster, so the
 * client gets [edge-a, edge-b] — and Debian's Chromium driven by playwright-core (never a
 * downloaded browser).
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { edgeConfigFromInput, startEdge, type RunningEdge } from '../../edge/index.js';
import type { SteerResponse } from '../../origin/steering/index.js';
import { makeDirs, removeDirs, type TestDirs } from '../origin/helpers.js';
import { packageLavfiTitle } from '../helpers/packagedTitle.js';
import { getJson, until } from '../player/httpHelpers.js';
import { startTestOrigin } from '../steering/helpers.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
/** Why the browser tests are skipped, or undefined when they can run. */
export const CHROMIUM_MISSING = existsSync(CHROMIUM_PATH)
  ? undefined
  : `${CHROMIUM_PATH} is missing (Debian: apt-get install chromium)`;

/**
 * Headless Chromium for software decoding on a small machine; no background traffic (updates,
 * sync, QUIC probes), and autoplay without a user gesture.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

export const TITLE = 'browser-clip';
/** Title length, s: 8 s of clean playback, then a failover with time left to show playback goes on. */
export const TITLE_DURATION_S = 16;
/** A client address inside edge-a's prefix. */
export const CLIENT = '198.51.100.7';
export const EDGE_IDS = ['edge-a', 'edge-b'] as const;
const KEY = Buffer.alloc(32, 5).toString('base64');
const edgeToken = (id: string): string => `${id}-browser-token-0123456789`;
/** Heartbeat period asked of the edges, ms: short, so steering sees new edges within a second. */
const HEARTBEAT_MS = 200;
const ROUTES: Readonly<Record<string, { cluster: string; staticRoutes: string[] }>> = {
  'edge-a': { cluster: 'site-a', staticRoutes: ['198.51.100.0/24'] },
  'edge-b': { cluster: 'site-b', staticRoutes: ['203.0.113.0/24'] },
};
/**
 * Each edge on its own loopback address, as real edges have their own host names: shaka-player
 * bans a failed location by host name (ContentSteeringManager.banLocation), so two edges on
 * 127.0.0.1 with different ports would be banned together.
 */
const EDGE_HOSTS: Readonly<Record<string, string>> = { 'edge-a': '127.0.0.2', 'edge-b': '127.0.0.3' };

/** What an edge received: the request target and its CMCD headers (none when sent in the query). */
export interface EdgeRequest {
  url: string;
  origin: string | undefined;
  cmcdHeaders: boolean;
}

export interface BrowserWorld {
  dirs: TestDirs;
  origin: FastifyInstance;
  originUrl: string;
  edges: Map<string, RunningEdge>;
  /** Requests each edge received, in order (every edge started under this id). */
  requests: Map<string, EdgeRequest[]>;
  /** Starts edge-a and edge-b and waits until steering ranks them so for CLIENT. */
  startEdges(): Promise<void>;
  /** The edge's HTTP server dies at once (connections cut, port closed); its heartbeats go on. */
  kill(id: string): void;
  stopEdges(): Promise<void>;
  close(): Promise<void>;
}

export async function startBrowserWorld(): Promise<BrowserWorld> {
  const dirs = await makeDirs('browser-');
  const { dir: pkgDir } = await packageLavfiTitle(join(dirs.root, 'title'), {
    titleId: TITLE,
    durationS: TITLE_DURATION_S,
    // Two sizes for the ladder search: ABR has rungs to choose from.
    resolutions: [
      { width: 320, height: 180 },
      { width: 192, height: 108 },
    ],
    segmentDurationS: 1,
    pattern: 'moderate',
  });
  const running = await startTestOrigin(
    dirs,
    {
      edgeTokens: Object.fromEntries(EDGE_IDS.map((id) => [id, edgeToken(id)])),
      heartbeatIntervalMs: HEARTBEAT_MS,
      missedHeartbeats: 3,
      defaultCluster: 'site-b',
      allowClientIpOverride: true,
      tokens: { keyId: 'k1', key: KEY, ttlS: 600 },
    },
    { packages: [pkgDir] },
  );
  const { app: origin, url: originUrl } = running;
  const edges = new Map<string, RunningEdge>();
  const requests = new Map<string, EdgeRequest[]>(EDGE_IDS.map((id) => [id, []]));

  const startEdges = async (): Promise<void> => {
    for (const id of EDGE_IDS) {
      const edge = await startEdge(
        edgeConfigFromInput({
          nodeId: id,
          originUrl,
          listen: { host: EDGE_HOSTS[id]!, port: 0 },
          logLevel: 'silent',
          tokens: { required: true, keys: { k1: KEY } },
          // Hints are never shed for event-loop lag here (the browser shares the two cores).
          prefetch: { maxEventLoopLagMs: 60_000 },
          control: {
            token: edgeToken(id),
            capacityGbps: 10,
            routeFlushDelayMs: 10,
            backoff: { initialMs: 50, maxMs: 500 },
            ...ROUTES[id]!,
          },
        }),
      );
      const seen = requests.get(id)!;
      edge.app.server.on('request', (req: IncomingMessage) =>
        seen.push({
          url: req.url ?? '',
          origin: req.headers.origin,
          cmcdHeaders: req.headers['cmcd-request'] !== undefined,
        }),
      );
      edges.set(id, edge);
    }
    await until(async () => {
      const res = await getJson<SteerResponse>(
        `${originUrl}/v1/steer?title=${TITLE}&session=warmup&client_ip=${CLIENT}`,
      );
      return res.status === 200 && res.body.edges.map((e) => e.id).join() === EDGE_IDS.join();
    }, 'steering to rank edge-a then edge-b');
  };

  const stopEdges = async (): Promise<void> => {
    for (const edge of edges.values()) await edge.close().catch(() => undefined);
    edges.clear();
    for (const seen of requests.values()) seen.length = 0;
  };

  return {
    dirs,
    origin,
    originUrl,
    edges,
    requests,
    startEdges,
    kill(id) {
      const server = edges.get(id)!.app.server;
      server.close();
      server.closeAllConnections();
    },
    stopEdges,
    async close() {
      await stopEdges();
      await origin.close();
      await removeDirs(dirs);
    },
  };
}

/** Chromium from Debian with a fresh profile under `root`. */
export async function launchChromium(root: string): Promise<BrowserContext> {
  const profile = await mkdtemp(join(root, 'chromium-profile-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    timeout: 30_000,
  });
}

/** What the page exposes on `window.__player` (origin/player/static/player.js). */
export interface PlayerState {
  status: string;
  format: string;
  player: string;
  session: string;
  edges: string[];
  manifestUrl: string;
  events: { atMs: number; type: string; detail?: unknown }[];
  errors: { atMs: number; source: string; code: string; message: string; fatal: boolean }[];
  positionS: number;
  maxPositionS: number;
  bufferAheadS: number;
  bandwidthEstimateBps?: number;
  rung?: { width: number; height: number; bandwidthBps: number };
  servedBy: {
    atMs: number;
    type: string;
    url: string;
    edge?: string;
    cacheStatus?: string;
    bytes?: number;
  }[];
  edge?: string;
  edgeChanges: number;
}

export function playerState(page: Page): Promise<PlayerState> {
  return page.evaluate(() => (globalThis as unknown as { __player: PlayerState }).__player);
}

/** Polls the page until `check` holds on its state; fails with the state's story when it does not. */
export async function untilPlayer(
  page: Page,
  what: string,
  check: (s: PlayerState) => boolean,
  timeoutMs: number,
): Promise<PlayerState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await playerState(page);
    if (check(state)) return state;
    if (Date.now() > deadline) {
      const story = {
        status: state.status,
        positionS: state.positionS,
        errors: state.errors.slice(-5),
        events: state.events.slice(-10),
        servedBy: state.servedBy.slice(-5).map((s) => `${s.type} ${s.edge ?? '?'} ${s.url}`),
      };
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(story)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
