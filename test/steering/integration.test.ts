/**
 * Steering end to end on loopback: a real origin, three edges' control clients heartbeating real
 * prefixes from static route feeds, and clients from different addresses asking to be steered.
 * Ranking, IPv6, the default cluster, failover when an edge stops heartbeating, draining, route
 * withdrawals, URL tokens, the steering manifest, steered manifests and bad inputs.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenPath } from '../../common/steeringProtocol.js';
import { StaticRouteFeed } from '../../edge/control/index.js';
import { titleKeyPrefix, verifyToken } from '../../edge/index.js';
import { parseMpd } from '../../manifests/dash/index.js';
import { parseHlsMaster } from '../../manifests/hls/index.js';
import { parseSteeringManifest } from '../../manifests/index.js';
import type { SteerResponse } from '../../origin/steering/index.js';
import { API_TOKEN, makeDirs, removeDirs, type TestDirs } from '../origin/helpers.js';
import {
  TOKEN_KEY,
  edgeToken,
  startTestOrigin,
  testClient,
  until,
  type RunningTestOrigin,
  type TestClient,
} from './helpers.js';

const EDGES = ['edge-a', 'edge-b', 'edge-c'] as const;
type Edge = (typeof EDGES)[number];
const INTERVAL_MS = 150;
const MISSED = 2;

/** A parsed JSON answer, read loosely by the assertions. */
type Json = Record<string, unknown> & { error?: string; message?: string; outcome?: string };

let dirs: TestDirs;
let origin: RunningTestOrigin;
const clients = new Map<Edge, TestClient>();
const feeds = new Map<Edge, StaticRouteFeed>();

async function get(
  path: string,
): Promise<{ status: number; json: Json; text: string; headers: Record<string, unknown> }> {
  const res = await request(`${origin.url}${path}`, { headersTimeout: 5000, bodyTimeout: 5000 });
  const text = await res.body.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    // Not JSON (a manifest): the text is what the caller reads.
  }
  return { status: res.statusCode, json, text, headers: res.headers };
}

async function steer(ip: string, session = 'sess-1'): Promise<SteerResponse> {
  const res = await get(`/v1/steer?title=movie&session=${session}&client_ip=${encodeURIComponent(ip)}`);
  expect(res.status, res.text).toBe(200);
  return res.json as unknown as SteerResponse;
}

const order = async (ip: string) => (await steer(ip)).edges.map((e) => e.id);

async function startEdge(id: Edge, cluster: string, feed: StaticRouteFeed): Promise<TestClient> {
  const t = testClient(origin.url, id, { cluster });
  t.client.attach(feed);
  t.client.start();
  clients.set(id, t);
  await t.client.whenSynced();
  return t;
}

beforeAll(async () => {
  dirs = await makeDirs('steering-e2e-');
  origin = await startTestOrigin(dirs, {
    edgeTokens: Object.fromEntries(EDGES.map((id) => [id, edgeToken(id)])),
    heartbeatIntervalMs: INTERVAL_MS,
    missedHeartbeats: MISSED,
    defaultCluster: 'site-b',
    allowClientIpOverride: true,
    tokens: { keyId: 'live', key: TOKEN_KEY.toString('base64'), ttlS: 600 },
  });
  feeds.set('edge-a', new StaticRouteFeed(['198.51.100.0/24', '2001:db8:a::/48']));
  feeds.set(
    'edge-b',
    new StaticRouteFeed([{ prefix: '198.51.100.0/24', asPath: [65010, 65010] }, '198.51.0.0/16']),
  );
  feeds.set('edge-c', new StaticRouteFeed(['203.0.113.0/24']));
  await startEdge('edge-a', 'site-a', feeds.get('edge-a')!);
  await startEdge('edge-b', 'site-a', feeds.get('edge-b')!);
  await startEdge('edge-c', 'site-b', feeds.get('edge-c')!);
});

afterAll(async () => {
  for (const t of clients.values()) await t.client.stop();
  await origin?.close();
  await removeDirs(dirs);
});

describe('steering end to end', () => {
  it('ranks edges announcing the client prefix by best path, each with a token the edges accept', async () => {
    const s = await steer('198.51.100.7');
    expect(s.outcome).toBe('matched_prefix');
    expect(s.matchedPrefix).toBe('198.51.100.0/24');
    // Equal LOCAL_PREF: edge-b's prepended AS_PATH loses.
    const ranks = s.edges.map((e) => `${e.id} ${e.tier} ${e.decidedBy ?? '-'}`);
    expect(ranks).toEqual([
      'edge-a longest_prefix as_path',
      'edge-b longest_prefix tier',
      'edge-c default_cluster -',
    ]);
    expect(s.edges[0]!.reason).toMatch(/AS_PATH length 0 < 2/);
    const keyring = new Map([['live', TOKEN_KEY]]);
    for (const e of s.edges) {
      // The token travels in the path, so relative URIs below the manifest carry it too.
      expect(e.dashUrl).toBe(
        `http://${e.id}.test:8081${tokenPath(e.token!, `/content/movie/v/${s.version}/`)}manifest.mpd`,
      );
      const segment = `${titleKeyPrefix('movie')}v/${s.version}/video/v0/00001.m4s`;
      expect(verifyToken(e.token, segment, keyring, Date.now())).toMatchObject({ ok: true, keyId: 'live' });
      expect(verifyToken(e.token, segment, new Map([['live', Buffer.alloc(32, 1)]]), Date.now())).toEqual({
        ok: false,
        reason: 'bad-signature',
      });
    }
  });

  it('serves less specific prefixes, IPv6 and the default cluster', async () => {
    expect(await order('198.51.7.7')).toEqual(['edge-b', 'edge-c', 'edge-a']);
    expect((await order('2001:db8:a:ff::1'))[0]).toBe('edge-a');
    const unmatched = await steer('192.0.2.50');
    expect(unmatched.outcome).toBe('default');
    expect(unmatched.edges.map((e) => e.tier)).toEqual(['default_cluster', 'fallback', 'fallback']);
    expect(unmatched.edges[0]!.id).toBe('edge-c');
  });

  it('serves the steering manifest and steered manifests to players', async () => {
    const hls = await get('/v1/play/movie/master.m3u8?session=play-1&client_ip=198.51.100.7');
    expect(hls.status).toBe(200);
    const master = parseHlsMaster(hls.text);
    expect(master.variants.map((v) => v.pathwayId)).toEqual(['edge-a', 'edge-b', 'edge-c']);
    const server = master.contentSteering!.serverUri;
    expect(
      server.startsWith(`${origin.url}/v1/steering/movie?session=play-1&pathways=edge-a%2Cedge-b%2Cedge-c`),
    ).toBe(true);
    const dash = parseMpd(
      (await get('/v1/play/movie/manifest.mpd?session=play-1&client_ip=198.51.100.7')).text,
    );
    expect(dash.contentSteering!.defaultServiceLocation).toBe('edge-a');

    // The player follows the steering server URI from the manifest.
    const first = await request(server);
    const manifest = parseSteeringManifest(await first.body.text());
    expect(manifest['PATHWAY-PRIORITY']).toEqual(['edge-a', 'edge-b', 'edge-c']);
    expect(manifest.TTL).toBeGreaterThan(0);
    // It reports edge-a slow (below the title's lowest rung): edge-a goes last for this session.
    const reload = `${manifest['RELOAD-URI']!}&_HLS_pathway=%22edge-a%22&_HLS_throughput=50000`;
    const slow = parseSteeringManifest(await (await request(reload)).body.text());
    expect(slow['PATHWAY-PRIORITY']).toEqual(['edge-b', 'edge-c', 'edge-a']);
  });

  it('takes an edge that stops heartbeating out of rotation, and back when it returns', async () => {
    const a = clients.get('edge-a')!;
    await a.client.stop();
    await until(
      async () => !(await order('198.51.100.7')).includes('edge-a'),
      'edge-a out of rotation',
      INTERVAL_MS * MISSED * 10,
    );
    expect(await order('198.51.100.7')).toEqual(['edge-b', 'edge-c']);
    const steering = parseSteeringManifest(
      (await get('/v1/steering/movie?session=play-2&client_ip=198.51.100.7&pathways=edge-a,edge-b,edge-c'))
        .text,
    );
    expect(steering['PATHWAY-PRIORITY']).toEqual(['edge-b', 'edge-c']);
    const listed = await request(`${origin.url}/v1/edges`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    const body = (await listed.body.json()) as { edges: Array<{ id: string; state: string }> };
    expect(body.edges.find((e) => e.id === 'edge-a')!.state).toBe('stale');
    const metrics = (await get('/metrics')).text;
    expect(metrics).toMatch(/cdn_steering_edges\{state="stale"\} 1/);

    await startEdge('edge-a', 'site-a', feeds.get('edge-a')!);
    expect(await order('198.51.100.7')).toEqual(['edge-a', 'edge-b', 'edge-c']);
  });

  it('gives a draining edge no new clients', async () => {
    const b = clients.get('edge-b')!;
    b.status.draining = true;
    await until(async () => !(await order('198.51.7.7')).includes('edge-b'), 'edge-b drained', 3000);
    expect(await order('198.51.7.7')).toEqual(['edge-c', 'edge-a']);
    b.status.draining = false;
    await until(async () => (await order('198.51.7.7'))[0] === 'edge-b', 'edge-b back', 3000);
  });

  it('follows route withdrawals and announcements', async () => {
    feeds.get('edge-b')!.withdraw(['198.51.0.0/16']);
    await clients.get('edge-b')!.client.whenSynced();
    expect((await steer('198.51.7.7')).outcome).toBe('default');
    feeds.get('edge-c')!.announce([{ prefix: '198.51.7.0/24', med: 5 }]);
    await clients.get('edge-c')!.client.whenSynced();
    const s = await steer('198.51.7.7');
    expect([s.outcome, s.matchedPrefix, s.edges[0]!.id]).toEqual([
      'matched_prefix',
      '198.51.7.0/24',
      'edge-c',
    ]);
  });

  it('answers bad inputs with coded errors and keeps serving', async () => {
    const cases: Array<[string, number, string]> = [
      ['/v1/steer?title=movie&client_ip=198.51.100.999', 400, 'STEER_ERR_BAD_IP'],
      ['/v1/steer?title=movie&client_ip=', 400, 'STEER_ERR_BAD_IP'],
      ['/v1/steer?title=movie&session=%00bad', 400, 'STEER_ERR_BAD_SESSION'],
      ['/v1/steer?title=unknown-title', 404, 'ORIGIN_ERR_TITLE_NOT_FOUND'],
      ['/v1/steer?title=..%2Fetc', 400, 'STEER_ERR_BAD_TITLE'],
      ['/v1/steer', 400, 'STEER_ERR_BAD_TITLE'],
      ['/v1/steering/movie?_DASH_pathway=edge-a&_DASH_throughput=1,2', 400, 'STEER_ERR_BAD_REQUEST'],
      ['/v1/play/unknown-title/master.m3u8', 404, 'ORIGIN_ERR_TITLE_NOT_FOUND'],
    ];
    for (const [path, status, code] of cases) {
      const res = await get(path);
      expect([path, res.status, res.json?.error]).toEqual([path, status, code]);
      expect(typeof res.json?.message).toBe('string');
    }
    // The connection's own address (127.0.0.1) is in no prefix: default cluster.
    const own = await get('/v1/steer?title=movie');
    expect([own.status, own.json.outcome]).toEqual([200, 'default']);
  });

  it('answers 503 STEER_ERR_NO_HEALTHY_EDGE when every edge is gone', async () => {
    for (const t of clients.values()) await t.client.stop({ drain: true });
    const res = await get('/v1/steer?title=movie&client_ip=198.51.100.7');
    expect([res.status, res.json.error]).toEqual([503, 'STEER_ERR_NO_HEALTHY_EDGE']);
    const steering = await get('/v1/steering/movie?client_ip=198.51.100.7');
    expect([steering.status, steering.json.error]).toEqual([503, 'STEER_ERR_NO_HEALTHY_EDGE']);
  });
});
