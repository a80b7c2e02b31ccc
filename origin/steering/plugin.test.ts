import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUTH,
  buildTestApp,
  fakePipeline,
  makeDirs,
  removeDirs,
  type TestDirs,
} from '../../test/origin/helpers.js';
import { titleKeyPrefix, verifyToken } from '../../edge/index.js';
import { parseMpd } from '../../manifests/dash/index.js';
import { parseHlsMaster } from '../../manifests/hls/index.js';
import { parseSteeringManifest } from '../../manifests/index.js';
import type { OriginConfigInput } from '../config.js';
import { writeFakePackage } from '../store/fixtures.js';
import type { HeartbeatRequest, RegisterRequest, SteerResponse } from '../../common/steeringProtocol.js';

const TOKEN_KEY = Buffer.alloc(32, 7);
const EDGE_TOKENS = {
  'edge-a': 'edge-a-token-0123456789',
  'edge-b': 'edge-b-token-0123456789',
  'edge-c': 'edge-c-token-0123456789',
  'edge-d': 'edge-d-token-0123456789',
};
type EdgeId = keyof typeof EDGE_TOKENS;

const STEERING = {
  edgeTokens: EDGE_TOKENS,
  heartbeatIntervalMs: 1000,
  missedHeartbeats: 3,
  maxEdges: 4,
  maxPrefixesPerEdge: 1000,
  defaultCluster: 'home',
  allowClientIpOverride: true,
  trustedProxies: ['127.0.0.0/8'],
  publicUrl: 'http://origin.test:8080',
  heartbeatBodyLimitBytes: 64 * 1024,
  tokens: { keyId: 'k1', key: TOKEN_KEY.toString('base64'), ttlS: 3600 },
} satisfies NonNullable<OriginConfigInput['steering']>;

const bearer = (id: EdgeId) => ({ authorization: `Bearer ${EDGE_TOKENS[id]}` });

interface Harness {
  app: FastifyInstance;
  dirs: TestDirs;
  clock: { nowMs: number };
  epochs: Map<string, string>;
  seqs: Map<string, number>;
}

async function harness(
  steering: Record<string, unknown> = STEERING,
  extra: Partial<OriginConfigInput> = {},
): Promise<Harness> {
  const dirs = await makeDirs('steering-plugin-');
  const clock = { nowMs: Date.parse('2025-06-01T00:00:00Z') };
  const app = await buildTestApp(
    dirs,
    { steering, ...extra },
    { createPipeline: fakePipeline().pipeline, nowMs: () => clock.nowMs },
  );
  await writeFakePackage(join(dirs.root, 'pkg'), { titleId: 'movie' });
  await app.origin.store.publish(join(dirs.root, 'pkg'));
  return { app, dirs, clock, epochs: new Map(), seqs: new Map() };
}

async function register(
  h: Harness,
  id: EdgeId,
  cluster = 'c1',
  capacityGbps = 10,
): Promise<LightMyRequestResponse> {
  const body: RegisterRequest = { id, cluster, publicUrl: `http://${id}.test:8081/`, capacityGbps };
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/edges/register',
    headers: bearer(id),
    payload: body,
  });
  if (res.statusCode === 200) h.epochs.set(id, res.json<{ epoch: string }>().epoch);
  return res;
}

async function heartbeat(
  h: Harness,
  id: EdgeId,
  extra: Partial<HeartbeatRequest> = {},
): Promise<LightMyRequestResponse> {
  const seq = (h.seqs.get(id) ?? 0) + 1;
  h.seqs.set(id, seq);
  const body: HeartbeatRequest = {
    epoch: h.epochs.get(id) ?? 'none',
    seq,
    health: 'ok',
    loadGbps: 1,
    draining: false,
    ...extra,
  };
  return h.app.inject({
    method: 'POST',
    url: `/v1/edges/${id}/heartbeat`,
    headers: bearer(id),
    payload: body,
  });
}

const announce = (prefixes: string[], extra: Record<string, unknown> = {}) => ({
  announce: [{ prefixes, nextHop: '192.0.2.1', asPath: [65001], ...extra }],
});

function steer(h: Harness, query: string, headers: Record<string, string> = {}) {
  return h.app.inject({ method: 'GET', url: `/v1/steer?${query}`, headers });
}

const codeOf = (res: LightMyRequestResponse) => [res.statusCode, res.json<{ error: string }>().error];

describe('steering API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
    for (const id of ['edge-a', 'edge-b', 'edge-c'] as const)
      expect((await register(h, id, id === 'edge-c' ? 'home' : 'c1')).statusCode).toBe(200);
    expect(
      (
        await heartbeat(h, 'edge-a', {
          routes: announce(['198.51.100.0/24', '2001:db8:a::/48'], { localPref: 200 }),
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await heartbeat(h, 'edge-b', {
          routes: announce(['198.51.100.0/24', '198.51.0.0/16'], { asPath: [65002, 65003] }),
        })
      ).statusCode,
    ).toBe(200);
    expect((await heartbeat(h, 'edge-c', { routes: announce(['203.0.113.0/24']) })).statusCode).toBe(200);
  });
  afterAll(async () => {
    await h?.app.close();
    await removeDirs(h?.dirs);
  });

  it('ranks the edges announcing the client prefix by LOCAL_PREF, with reasons and signed URLs', async () => {
    const res = await steer(h, 'title=movie&session=s-1&client_ip=198.51.100.7');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<SteerResponse>();
    expect(body.outcome).toBe('matched_prefix');
    expect(body.matchedPrefix).toBe('198.51.100.0/24');
    expect(body.clientIpSource).toBe('override');
    expect(body.edges.map((e) => [e.id, e.tier, e.decidedBy])).toEqual([
      ['edge-a', 'longest_prefix', 'local_pref'],
      ['edge-b', 'longest_prefix', 'tier'],
      ['edge-c', 'default_cluster', undefined],
    ]);
    expect(body.edges[0]!.reason).toMatch(/LOCAL_PREF 200 > 100/);
    const first = body.edges[0]!;
    // The token sits in the path, so the manifests' relative URIs carry it to every segment.
    expect(first.baseUrl).toBe(`http://edge-a.test:8081/t/${first.token}/content/movie/v/${body.version}/`);
    expect(first.dashUrl).toBe(`${first.baseUrl}manifest.mpd`);
    expect(first.hlsUrl).toBe(`${first.baseUrl}master.m3u8`);
    const keyring = new Map([['k1', TOKEN_KEY]]);
    const verdict = verifyToken(
      first.token,
      `${titleKeyPrefix('movie')}v/${body.version}/video/v0/00001.m4s`,
      keyring,
      h.clock.nowMs,
    );
    expect(verdict.ok).toBe(true);
    expect(verifyToken(first.token, '/content/other/x.m4s', keyring, h.clock.nowMs)).toEqual({
      ok: false,
      reason: 'path',
    });
    expect(verifyToken(first.token, '/content/movie/x.m4s', keyring, h.clock.nowMs + 3601_000)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(body.steering.hls).toBe(
      'http://origin.test:8080/v1/play/movie/master.m3u8?session=s-1&client_ip=198.51.100.7',
    );
  });

  it('falls back to less specific prefixes, then to the default cluster for unmatched clients', async () => {
    const wide = (await steer(h, 'title=movie&session=s-2&client_ip=198.51.7.7')).json<SteerResponse>();
    expect(wide.matchedPrefix).toBe('198.51.0.0/16');
    expect(wide.edges.map((e) => [e.id, e.tier])).toEqual([
      ['edge-b', 'longest_prefix'],
      ['edge-c', 'default_cluster'],
      ['edge-a', 'fallback'],
    ]);
    const none = (await steer(h, 'title=movie&session=s-3&client_ip=192.0.2.1')).json<SteerResponse>();
    expect(none.outcome).toBe('default');
    expect(none.edges[0]!.id).toBe('edge-c');
    expect(none.edges[0]!.reason).toMatch(/default cluster home/);
    const v6 = (await steer(h, 'title=movie&client_ip=2001:db8:a:1::9&count=1')).json<SteerResponse>();
    expect(v6.edges.map((e) => e.id)).toEqual(['edge-a']);
    expect(v6.matchedPrefix).toBe('2001:db8:a::/48');
  });

  it('believes X-Forwarded-For only from trusted proxies (inject comes from 127.0.0.1)', async () => {
    const res = await steer(h, 'title=movie', { 'x-forwarded-for': '10.0.0.1, 198.51.100.20' });
    const body = res.json<SteerResponse>();
    expect([body.clientIp, body.clientIpSource]).toEqual(['198.51.100.20', 'forwarded']);
    expect(body.edges[0]!.id).toBe('edge-a');
  });

  it('answers every bad input with a coded error', async () => {
    expect(codeOf(await steer(h, 'session=s'))).toEqual([400, 'STEER_ERR_BAD_TITLE']);
    expect(codeOf(await steer(h, 'title=Movie!'))).toEqual([400, 'STEER_ERR_BAD_TITLE']);
    expect(codeOf(await steer(h, 'title=nope&client_ip=198.51.100.1'))).toEqual([
      404,
      'ORIGIN_ERR_TITLE_NOT_FOUND',
    ]);
    expect(codeOf(await steer(h, 'title=movie&client_ip=198.51.100.300'))).toEqual([400, 'STEER_ERR_BAD_IP']);
    expect(codeOf(await steer(h, 'title=movie&client_ip=fe80::1%25eth0'))).toEqual([400, 'STEER_ERR_BAD_IP']);
    expect(codeOf(await steer(h, 'title=movie&session=has%20space'))).toEqual([400, 'STEER_ERR_BAD_SESSION']);
    expect(codeOf(await steer(h, `title=movie&session=${'x'.repeat(65)}`))).toEqual([
      400,
      'STEER_ERR_BAD_SESSION',
    ]);
    expect(codeOf(await steer(h, 'title=movie&count=0'))).toEqual([400, 'STEER_ERR_BAD_REQUEST']);
    expect(codeOf(await steer(h, 'title=movie&count=abc'))).toEqual([400, 'STEER_ERR_BAD_REQUEST']);
    expect(codeOf(await steer(h, 'title=movie', { 'x-forwarded-for': 'not-an-ip' }))).toEqual([
      400,
      'STEER_ERR_BAD_IP',
    ]);
    const steering = (q: string) => h.app.inject({ method: 'GET', url: `/v1/steering/movie?${q}` });
    expect(codeOf(await steering('_HLS_pathway=edge-a&_HLS_throughput=fast'))).toEqual([
      400,
      'STEER_ERR_BAD_REQUEST',
    ]);
    expect(codeOf(await steering('pathways=a%20b'))).toEqual([400, 'STEER_ERR_BAD_REQUEST']);
    expect(codeOf(await h.app.inject({ method: 'GET', url: '/v1/play/BAD/master.m3u8' }))).toEqual([
      400,
      'STEER_ERR_BAD_TITLE',
    ]);
    expect(codeOf(await h.app.inject({ method: 'GET', url: '/v1/play/nope/manifest.mpd' }))).toEqual([
      404,
      'ORIGIN_ERR_TITLE_NOT_FOUND',
    ]);
  });

  it('serves the steering manifest and demotes a pathway the player reports slow or left', async () => {
    const base = '/v1/steering/movie?session=m-1&client_ip=198.51.100.7&pathways=edge-a,edge-b,edge-c';
    const first = await h.app.inject({ method: 'GET', url: base });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toMatch(/application\/json/);
    const m = parseSteeringManifest(first.body);
    expect(m['PATHWAY-PRIORITY']).toEqual(['edge-a', 'edge-b', 'edge-c']);
    expect(m['SERVICE-LOCATION-PRIORITY']).toEqual(['edge-a', 'edge-b', 'edge-c']);
    expect(m.TTL).toBe(10);
    expect(m['RELOAD-URI']).toBe(
      'http://origin.test:8080/v1/steering/movie?session=m-1&pathways=edge-a%2Cedge-b%2Cedge-c&client_ip=198.51.100.7',
    );
    // The fake title's lowest rung is 100 kbit/s video + 100 kbit/s audio: 150 kbit/s cannot carry it.
    const slow = parseSteeringManifest(
      (await h.app.inject({ method: 'GET', url: `${base}&_HLS_pathway=%22edge-a%22&_HLS_throughput=150000` }))
        .body,
    );
    expect(slow['PATHWAY-PRIORITY']).toEqual(['edge-b', 'edge-c', 'edge-a']);
    const fast = parseSteeringManifest(
      (
        await h.app.inject({
          method: 'GET',
          url: `/v1/steering/movie?session=m-2&client_ip=198.51.100.7&_DASH_pathway=%22edge-a%22&_DASH_throughput=900000`,
        })
      ).body,
    );
    expect(fast['SERVICE-LOCATION-PRIORITY']![0]).toBe('edge-a');
    // Session m-3 is put on edge-a, then reports edge-b: it left edge-a.
    await h.app.inject({
      method: 'GET',
      url: '/v1/steering/movie?session=m-3&client_ip=198.51.100.7&pathways=edge-a,edge-b',
    });
    const left = parseSteeringManifest(
      (
        await h.app.inject({
          method: 'GET',
          url: '/v1/steering/movie?session=m-3&client_ip=198.51.100.7&pathways=edge-a,edge-b&_HLS_pathway=edge-b',
        })
      ).body,
    );
    expect(left['PATHWAY-PRIORITY']).toEqual(['edge-b', 'edge-a']);
    // Pathways the manifest does not have are left out.
    const only = parseSteeringManifest(
      (
        await h.app.inject({
          method: 'GET',
          url: '/v1/steering/movie?client_ip=198.51.100.7&pathways=edge-c,edge-x',
        })
      ).body,
    );
    expect(only['PATHWAY-PRIORITY']).toEqual(['edge-c']);
  });

  it('serves HLS and DASH manifests with one pathway per ranked edge and the steering server', async () => {
    const hls = await h.app.inject({
      method: 'GET',
      url: '/v1/play/movie/master.m3u8?session=p-1&client_ip=198.51.100.7',
    });
    expect(hls.statusCode).toBe(200);
    expect(hls.headers['content-type']).toMatch(/mpegurl/);
    const master = parseHlsMaster(hls.body);
    expect(master.contentSteering?.pathwayId).toBe('edge-a');
    expect(master.contentSteering?.serverUri).toMatch(
      /^http:\/\/origin\.test:8080\/v1\/steering\/movie\?session=p-1&pathways=edge-a%2Cedge-b%2Cedge-c&client_ip=198\.51\.100\.7$/,
    );
    expect(master.variants.map((v) => v.pathwayId)).toEqual(['edge-a', 'edge-b', 'edge-c']);
    const a = master.variants[0]!;
    expect(a.uri).toMatch(
      /^http:\/\/edge-a\.test:8081\/t\/k1\.[^/]+\/content\/movie\/v\/[^/]+\/video\/v0\/playlist\.m3u8$/,
    );
    expect(a.audioGroupId).toBe('audio-edge-a');
    const mpdRes = await h.app.inject({
      method: 'GET',
      url: '/v1/play/movie/manifest.mpd?session=p-1&client_ip=198.51.100.7',
    });
    expect(mpdRes.headers['content-type']).toMatch(/dash\+xml/);
    const mpd = parseMpd(mpdRes.body);
    expect(mpd.contentSteering?.defaultServiceLocation).toBe('edge-a');
    expect(mpd.contentSteering?.serverUrl).toMatch(
      /\/v1\/steering\/movie\?session=p-1&pathways=edge-a%2Cedge-b%2Cedge-c/,
    );
    expect(mpd.baseUrls.map((b) => b.serviceLocation)).toEqual(['edge-a', 'edge-b', 'edge-c']);
    expect(mpd.baseUrls[1]!.url).toMatch(
      /^http:\/\/edge-b\.test:8081\/t\/k1\.[^/]+\/content\/movie\/v\/[^/]+\/$/,
    );
    // Segment URIs stay relative (no query token): they resolve below the tokenised BaseURL.
    const template =
      mpd.periods[0]!.adaptationSets[0]!.representations[0]!.segmentTemplate ??
      mpd.periods[0]!.adaptationSets[0]!.segmentTemplate;
    expect(template?.media).toBe('video/v0/$Number%05d$.m4s');
    expect(new URL('video/v0/00001.m4s', mpd.baseUrls[1]!.url).pathname).toMatch(
      /^\/t\/k1\.[^/]+\/content\/movie\/v\/[^/]+\/video\/v0\/00001\.m4s$/,
    );
  });

  it('lists edges to the API token only', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/v1/edges' })).statusCode).toBe(401);
    const res = await h.app.inject({ method: 'GET', url: '/v1/edges', headers: AUTH });
    const body = res.json<{
      edges: Array<{ id: string; state: string; prefixes: { ipv4: number; ipv6: number } }>;
      routeTable: unknown;
    }>();
    expect(body.edges.map((e) => [e.id, e.state, e.prefixes])).toEqual([
      ['edge-a', 'active', { ipv4: 1, ipv6: 1 }],
      ['edge-b', 'active', { ipv4: 2, ipv6: 0 }],
      ['edge-c', 'active', { ipv4: 1, ipv6: 0 }],
    ]);
    expect(body.routeTable).toEqual({ ipv4: 3, ipv6: 1 });
  });

  it('exports the steering metrics', async () => {
    const text = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/cdn_steering_decisions_total\{outcome="matched_prefix"\} [1-9]/);
    expect(text).toMatch(/cdn_steering_decisions_total\{outcome="default"\} [1-9]/);
    expect(text).toMatch(/cdn_steering_route_table_prefixes\{family="ipv4"\} 3/);
    expect(text).toMatch(/cdn_steering_edges\{state="active"\} 3/);
    expect(text).toMatch(/cdn_steering_heartbeat_age_seconds\{edge="edge-a"\} 0/);
    expect(text).toMatch(/cdn_steering_selection_duration_seconds_count [1-9]/);
  });
});

describe('edge registration and heartbeats', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.app.close();
    await removeDirs(h?.dirs);
  });

  it('authenticates each edge with its own token', async () => {
    const body = { id: 'edge-a', cluster: 'c1', publicUrl: 'http://a:1', capacityGbps: 1 };
    const none = await h.app.inject({ method: 'POST', url: '/v1/edges/register', payload: body });
    expect(codeOf(none)).toEqual([401, 'STEER_ERR_EDGE_UNAUTHORIZED']);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const other = await h.app.inject({
      method: 'POST',
      url: '/v1/edges/register',
      headers: bearer('edge-b'),
      payload: body,
    });
    expect(codeOf(other)).toEqual([403, 'STEER_ERR_EDGE_FORBIDDEN']);
    const unlisted = await h.app.inject({
      method: 'POST',
      url: '/v1/edges/register',
      headers: bearer('edge-a'),
      payload: { ...body, id: 'edge-z' },
    });
    expect(codeOf(unlisted)).toEqual([403, 'STEER_ERR_EDGE_FORBIDDEN']);
    const hb = await h.app.inject({
      method: 'POST',
      url: '/v1/edges/edge-a/heartbeat',
      headers: bearer('edge-b'),
      payload: {},
    });
    expect(codeOf(hb)).toEqual([403, 'STEER_ERR_EDGE_FORBIDDEN']);
    const ok = await register(h, 'edge-a');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ epoch: expect.any(String), heartbeatIntervalMs: 1000, expireAfterMs: 3000 });
  });

  it('refuses malformed registrations and heartbeats whole', async () => {
    const reg = (payload: unknown) =>
      h.app.inject({
        method: 'POST',
        url: '/v1/edges/register',
        headers: bearer('edge-a'),
        payload: payload as object,
      });
    expect(codeOf(await reg({ id: 'edge-a', cluster: 'c1', publicUrl: 'ftp://x', capacityGbps: 1 }))).toEqual(
      [400, 'ORIGIN_ERR_BAD_REQUEST'],
    );
    expect(
      codeOf(await reg({ id: 'edge-a', cluster: 'c1', publicUrl: 'http://x:1', capacityGbps: 0 })),
    ).toEqual([400, 'ORIGIN_ERR_BAD_REQUEST']);
    expect(
      codeOf(await reg({ id: 'edge:a', cluster: 'c1', publicUrl: 'http://x:1', capacityGbps: 1 })),
    ).toEqual([400, 'ORIGIN_ERR_BAD_REQUEST']);
    await register(h, 'edge-a');
    expect((await heartbeat(h, 'edge-a', { routes: announce(['10.0.0.0/8']) })).statusCode).toBe(200);
    const bad = await heartbeat(h, 'edge-a', {
      routes: { withdraw: ['10.0.0.0/8'], ...announce(['11.0.0.0/8', '12.0.0.1/8']) },
    });
    expect(codeOf(bad)).toEqual([400, 'STEER_ERR_BAD_ROUTE']);
    expect(bad.json<{ message: string }>().message).toMatch(/12\.0\.0\.1\/8.*host bits/);
    const limit = await heartbeat(h, 'edge-a', {
      routes: announce(Array.from({ length: 1001 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`)),
    });
    expect(codeOf(limit)).toEqual([422, 'STEER_ERR_PREFIX_LIMIT']);
    const big = await heartbeat(h, 'edge-a', {
      routes: announce(Array.from({ length: 5000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`)),
    });
    expect(codeOf(big)).toEqual([413, 'ORIGIN_ERR_BODY_TOO_LARGE']);
    const schema = await h.app.inject({
      method: 'POST',
      url: '/v1/edges/edge-a/heartbeat',
      headers: bearer('edge-a'),
      payload: { epoch: h.epochs.get('edge-a'), seq: 99, health: 'great', loadGbps: 1, draining: false },
    });
    expect(codeOf(schema)).toEqual([400, 'ORIGIN_ERR_BAD_REQUEST']);
    const notJson = await h.app.inject({
      method: 'POST',
      url: '/v1/edges/edge-a/heartbeat',
      headers: { ...bearer('edge-a'), 'content-type': 'application/json' },
      payload: '{"epoch":',
    });
    expect(codeOf(notJson)).toEqual([400, 'ORIGIN_ERR_MALFORMED_JSON']);
    // Nothing of the refused heartbeats was applied.
    const listed = (await h.app.inject({ method: 'GET', url: '/v1/edges', headers: AUTH })).json<{
      routeTable: unknown;
    }>();
    expect(listed.routeTable).toEqual({ ipv4: 1, ipv6: 0 });
  });

  it('asks for re-registration after a restart or when the edge is unknown', async () => {
    const unknown = await heartbeat(h, 'edge-d');
    expect(codeOf(unknown)).toEqual([404, 'STEER_ERR_EDGE_UNKNOWN']);
    await register(h, 'edge-b');
    const oldEpoch = h.epochs.get('edge-b')!;
    await register(h, 'edge-b');
    const stale = await h.app.inject({
      method: 'POST',
      url: '/v1/edges/edge-b/heartbeat',
      headers: bearer('edge-b'),
      payload: { epoch: oldEpoch, seq: 50, health: 'ok', loadGbps: 0, draining: false },
    });
    expect(codeOf(stale)).toEqual([409, 'STEER_ERR_EDGE_EPOCH']);
  });

  it('takes edges that stop heartbeating or drain out of rotation, and answers 503 with none left', async () => {
    const id = 'edge-c';
    await register(h, id);
    const only = async () =>
      (await steer(h, 'title=movie&client_ip=172.16.0.1')).json<SteerResponse>().edges.map((e) => e.id);
    expect(codeOf(await steer(h, 'title=movie&client_ip=172.16.0.1'))[0]).toBe(200);
    // edge-b never sent a heartbeat in its epoch (pending), edge-a and edge-c are active after these.
    await heartbeat(h, 'edge-a');
    await heartbeat(h, id, { routes: announce(['172.16.0.0/12']) });
    expect((await only())[0]).toBe(id);
    h.clock.nowMs += 2000;
    await heartbeat(h, 'edge-a');
    h.clock.nowMs += 1500;
    // edge-c silent for 3.5 s > 3 intervals: out of rotation, its routes ignored.
    expect(await only()).toEqual(['edge-a']);
    await heartbeat(h, id, { draining: true });
    expect(await only()).toEqual(['edge-a']);
    await heartbeat(h, 'edge-a', { health: 'down' });
    expect(codeOf(await steer(h, 'title=movie&client_ip=172.16.0.1'))).toEqual([
      503,
      'STEER_ERR_NO_HEALTHY_EDGE',
    ]);
    await heartbeat(h, id, { draining: false });
    expect(await only()).toEqual([id]);
    const text = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/cdn_steering_decisions_total\{outcome="no_healthy_edge"\} 1/);
    expect(text).toMatch(/cdn_steering_edges\{state="down"\} 1/);
  });

  it('forgets edges silent past forgetAfterMs', async () => {
    await register(h, 'edge-d');
    h.clock.nowMs += 700_000;
    // Everyone is silent past forgetAfterMs: the sweeper forgets them.
    expect(h.app.origin.steering.sweep().sort()).toEqual(['edge-a', 'edge-b', 'edge-c', 'edge-d']);
    expect(codeOf(await heartbeat(h, 'edge-a'))).toEqual([404, 'STEER_ERR_EDGE_UNKNOWN']);
  });
});

describe('steering configuration', () => {
  it('refuses client_ip unless allowed, and lets any edge register on an origin without auth', async () => {
    const h = await harness(
      { ...STEERING, allowClientIpOverride: false, edgeTokens: {}, maxEdges: 1 },
      { authDisabled: true, apiToken: undefined },
    );
    try {
      expect(codeOf(await steer(h, 'title=movie&client_ip=1.2.3.4'))).toEqual([
        403,
        'STEER_ERR_OVERRIDE_FORBIDDEN',
      ]);
      expect(codeOf(await steer(h, 'title=movie'))).toEqual([503, 'STEER_ERR_NO_HEALTHY_EDGE']);
      const res = await h.app.inject({
        method: 'POST',
        url: '/v1/edges/register',
        payload: { id: 'anyone', cluster: 'c', publicUrl: 'http://x:1', capacityGbps: 1 },
      });
      expect(res.statusCode).toBe(200);
      const second = await h.app.inject({
        method: 'POST',
        url: '/v1/edges/register',
        payload: { id: 'another', cluster: 'c', publicUrl: 'http://x:1', capacityGbps: 1 },
      });
      expect(codeOf(second)).toEqual([503, 'STEER_ERR_TOO_MANY_EDGES']);
    } finally {
      await h.app.close();
      await removeDirs(h.dirs);
    }
  });

  it('names the bad key of a bad steering configuration', async () => {
    const dirs = await makeDirs('steering-config-');
    try {
      await expect(buildTestApp(dirs, { steering: { trustedProxies: ['10.0.0.1/8'] } })).rejects.toThrow(
        /steering\.trustedProxies\[0\]/,
      );
      await expect(
        buildTestApp(dirs, { steering: { tokens: { keyId: 'k', key: 'c2hvcnQ=' } } }),
      ).rejects.toThrow(/steering\.tokens\.key/);
      await expect(
        buildTestApp(dirs, { steering: { edgeTokens: { 'bad:id': 'x'.repeat(20) } } }),
      ).rejects.toThrow(/steering\.edgeTokens/);
    } finally {
      await removeDirs(dirs);
    }
  });
});
