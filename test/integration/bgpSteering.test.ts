/**
 * An ISP's edge learns its client prefixes over BGP and players get steered to it, end to end on
 * loopback: a real origin publishing a really packaged title, BIRD 2 as the ISP's router announcing
 * 198.51.100.0/24 and 2001:db8:51::/48 to the BGP speaker of edge `edge-bgp` (site-a), whose
 * control client heartbeats the learned routes to the origin, and edge `edge-static` (site-b, the
 * default cluster) announcing 203.0.113.0/24 from a static route feed through the same code path.
 * Both edges require URL tokens: players follow the steered URLs, which carry the token in the
 * path, from manifest to relative segment URIs. Then BIRD withdraws the prefix and steering falls
 * back to the default cluster; `cdn edge` prints its BGP and control status; and the edge shuts
 * down with a draining heartbeat and a BGP Administrative Shutdown.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenPath } from '../../common/steeringProtocol.js';
import { edgeConfigFromInput, startEdge, type EdgeConfigInput, type RunningEdge } from '../../edge/index.js';
import { parseMpd, representationsOf, segmentsOf } from '../../manifests/dash/index.js';
import { parseHlsMaster, parseHlsMedia } from '../../manifests/hls/index.js';
import type { TitleFile } from '../../manifests/index.js';
import type { SteerResponse } from '../../origin/steering/index.js';
import { type Bird, birdMissing, freePort, startBird, tempDir } from '../bgp/helpers.js';
import { runCdn } from '../helpers/cli.js';
import { API_TOKEN, makeDirs, removeDirs, type TestDirs } from '../origin/helpers.js';
import { startTestOrigin, type RunningTestOrigin } from '../steering/helpers.js';
import { eventually, get, packageRealTitle } from './helpers.js';

const TITLE = 'clip';
const KEY = Buffer.alloc(32, 5).toString('base64');
const EDGE_IDS = ['edge-bgp', 'edge-static', 'edge-cli'] as const;
const edgeToken = (id: string): string => `${id}-control-token-0123456789`;
/** Heartbeat period the origin asks for, in ms: short, so changes reach steering within a second. */
const HEARTBEAT_MS = 200;

/** BIRD as the ISP's router: eBGP from 127.0.0.2 (AS65001) to the edge's speaker on 127.0.0.1. */
function birdConfig(birdPort: number, speakerPort: number): string {
  return `
router id 192.0.2.1;
log stderr all;
protocol device {}
protocol static clients4 { ipv4; route 198.51.100.0/24 blackhole; }
protocol static clients6 { ipv6; route 2001:db8:51::/48 blackhole; }
filter to_edge {
  if proto != "clients4" && proto != "clients6" then reject;
  bgp_community.add((65001,100));
  accept;
}
protocol bgp edge {
  multihop;
  connect delay time 0;
  connect retry time 1;
  error wait time 1, 2;
  local 127.0.0.2 port ${birdPort} as 65001;
  neighbor 127.0.0.1 port ${speakerPort} as 65000;
  ipv4 { import none; export filter to_edge; };
  ipv6 { import none; export filter to_edge; next hop address 2001:db8::2; };
}
`;
}

/** Resolves `ref` against `base` (RFC 3986 §5, as players do). */
const resolve = (ref: string, base: string): string => new URL(ref, base).toString();

describe.skipIf(birdMissing)(
  'BGP-learned prefixes steer players to the edge (bird2 not installed: skipped)',
  () => {
    let dirs: TestDirs;
    let work: { dir: string; remove: () => Promise<void> };
    let pkgDir: string;
    let title: TitleFile;
    let origin: RunningTestOrigin;
    let bird: Bird | undefined;
    let bgpEdge: RunningEdge | undefined;
    let staticEdge: RunningEdge | undefined;

    const edgeInput = (extra: Partial<EdgeConfigInput>): EdgeConfigInput => ({
      originUrl: origin.url,
      listen: { host: '127.0.0.1', port: 0 },
      logLevel: 'silent',
      tokens: { required: true, keys: { k1: KEY } },
      ...extra,
    });

    const steer = async (ip: string, session = 's-1'): Promise<SteerResponse> => {
      const res = await get(
        `${origin.url}/v1/steer?title=${TITLE}&session=${session}&client_ip=${encodeURIComponent(ip)}`,
      );
      expect(res.status, res.text).toBe(200);
      return res.json<SteerResponse>();
    };

    const packageFile = (path: string): Promise<Buffer> => readFile(join(pkgDir, path));

    beforeAll(async () => {
      dirs = await makeDirs('bgp-steering-');
      work = await tempDir('bgp-steering-bird-');
      ({ dir: pkgDir, title } = await packageRealTitle(join(dirs.root, 'title'), TITLE));
      origin = await startTestOrigin(
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
      const speakerPort = await freePort();
      bgpEdge = await startEdge(
        edgeConfigFromInput(
          edgeInput({
            nodeId: 'edge-bgp',
            bgp: {
              localAs: 65000,
              routerId: '192.0.2.254',
              listen: { host: '127.0.0.1', port: speakerPort },
              connectRetryS: 1,
              idleHoldS: 1,
              neighbors: [{ name: 'bird', address: '127.0.0.2', peerAs: 65001 }],
              // The ISP may announce its client space only.
              importPolicy: {
                prefixes: [{ prefix: '198.51.100.0/22', maxLength: 24 }, { prefix: '2001:db8::/32' }],
              },
            },
            control: {
              token: edgeToken('edge-bgp'),
              cluster: 'site-a',
              capacityGbps: 10,
              routeFlushDelayMs: 10,
              backoff: { initialMs: 50, maxMs: 500 },
              cacheSummaryIntervalMs: 1000,
            },
          }),
        ),
      );
      staticEdge = await startEdge(
        edgeConfigFromInput(
          edgeInput({
            nodeId: 'edge-static',
            control: {
              token: edgeToken('edge-static'),
              cluster: 'site-b',
              capacityGbps: 10,
              routeFlushDelayMs: 10,
              staticRoutes: ['203.0.113.0/24'],
            },
          }),
        ),
      );
      bird = await startBird(work.dir, birdConfig(await freePort('127.0.0.2'), speakerPort));
    }, 90_000);

    afterAll(async () => {
      await bird?.kill();
      await bgpEdge?.close();
      await staticEdge?.close();
      await origin?.close();
      await work?.remove();
      await removeDirs(dirs);
    });

    it('ranks the edge first for clients inside the prefixes BIRD announces, with the matched prefix', async () => {
      const answer = await eventually(
        'steering on the BGP-learned prefix',
        async () => {
          const s = await steer('198.51.100.77');
          return s.outcome === 'matched_prefix' && s;
        },
        20_000,
      );
      expect(answer.matchedPrefix).toBe('198.51.100.0/24');
      expect(answer.edges.map((e) => [e.id, e.tier])).toEqual([
        ['edge-bgp', 'longest_prefix'],
        // The other edge stays in the list for failover, from the default cluster.
        ['edge-static', 'default_cluster'],
      ]);
      const first = answer.edges[0]!;
      expect(first.prefix).toBe('198.51.100.0/24');
      expect(first.reason).toMatch(/announces 198\.51\.100\.0\/24, the longest prefix covering the client/);
      // The path attributes BIRD sent, as the speaker learned them.
      expect(first.route).toMatchObject({
        nextHop: '127.0.0.2',
        asPath: [65001],
        communities: ['65001:100'],
      });
      const v6 = await eventually('the IPv6 prefix', async () => {
        const s = await steer('2001:db8:51:7::1');
        return s.outcome === 'matched_prefix' && s;
      });
      expect([v6.matchedPrefix, v6.edges[0]!.id]).toEqual(['2001:db8:51::/48', 'edge-bgp']);

      // The speaker and the control client report on the edge's own registry.
      const metrics = (await get(`${bgpEdge!.url}/metrics`)).text;
      expect(metrics).toMatch(/cdn_bgp_sessions_up\{[^}]*peer="bird"[^}]*\} 1/);
      expect(metrics).toMatch(/cdn_edge_control_registered\{[^}]*\} 1/);
      expect(metrics).toMatch(/cdn_edge_control_routes\{[^}]*state="advertised"[^}]*\} 2/);
      expect(bgpEdge!.link?.routeSource).toBe('bgp');
    });

    it('steers clients of the static feed to the other edge through the same path', async () => {
      const s = await steer('203.0.113.9');
      expect([s.outcome, s.matchedPrefix, s.edges[0]!.id, s.edges[0]!.tier]).toEqual([
        'matched_prefix',
        '203.0.113.0/24',
        'edge-static',
        'longest_prefix',
      ]);
      expect(staticEdge!.link?.routeSource).toBe('static');
      const listed = await get(`${origin.url}/v1/edges`, { authorization: `Bearer ${API_TOKEN}` });
      const edges = listed.json<{ edges: Array<{ id: string; state: string; prefixes: object }> }>().edges;
      expect(edges.map((e) => [e.id, e.state, e.prefixes])).toEqual([
        ['edge-bgp', 'active', { ipv4: 1, ipv6: 1 }],
        ['edge-static', 'active', { ipv4: 1, ipv6: 0 }],
      ]);
    });

    it('plays the title by path on the steered edge: HLS and DASH manifests, then relative segment URIs', async () => {
      const s = await steer('198.51.100.77', 'play-1');
      const edge = s.edges[0]!;
      expect(edge.token).toBeDefined();
      expect(edge.hlsUrl).toBe(
        `${bgpEdge!.url}${tokenPath(edge.token!, `/content/${TITLE}/v/${s.version}/`)}master.m3u8`,
      );

      // HLS: master → media playlist → init and segment, each URI relative to the one before.
      const master = await get(edge.hlsUrl);
      expect(master.status, master.text).toBe(200);
      const variant = parseHlsMaster(master.text).variants[0]!;
      expect(variant.uri).toBe('video/v0/playlist.m3u8');
      const mediaUrl = resolve(variant.uri, edge.hlsUrl);
      const media = await get(mediaUrl);
      expect(media.status, media.text).toBe(200);
      const playlist = parseHlsMedia(media.text);
      const segmentUrl = resolve(playlist.segments[0]!.uri, mediaUrl);
      expect(new URL(segmentUrl).pathname).toBe(
        tokenPath(edge.token!, `/content/${TITLE}/v/${s.version}/video/v0/00001.m4s`),
      );
      const segment = await get(segmentUrl);
      expect(segment.status).toBe(200);
      expect(segment.body.equals(await packageFile('video/v0/00001.m4s'))).toBe(true);
      expect(segment.headers['cache-status']).toMatch(/^edge-bgp; fwd=miss/);
      const init = await get(resolve(playlist.segments[0]!.map!.uri, mediaUrl));
      expect(init.body.equals(await packageFile('video/v0/init.mp4'))).toBe(true);

      // The same object by the query form of the token: one cache entry, so a hit.
      const byQuery = await get(
        `${bgpEdge!.url}/content/${TITLE}/v/${s.version}/video/v0/00001.m4s?token=${edge.token}`,
      );
      expect([byQuery.status, byQuery.headers['cache-status']]).toEqual([200, 'edge-bgp; hit']);
      expect(byQuery.body.equals(segment.body)).toBe(true);

      // DASH: the MPD, then its SegmentTemplate resolved against the MPD's URL.
      const mpdRes = await get(edge.dashUrl);
      expect(mpdRes.status, mpdRes.text).toBe(200);
      const mpd = parseMpd(mpdRes.text);
      const audio = representationsOf(mpd).find((r) => r.contentType === 'audio')!;
      const segs = segmentsOf(mpd, audio, { manifestUrl: edge.dashUrl });
      const audioSegment = await get(segs.segments[1]!.resolvedMediaUrl!);
      expect(audioSegment.status).toBe(200);
      const audioTrack = title.tracks.find((t) => t.type === 'audio')!;
      expect(audioSegment.body.equals(await packageFile(audioTrack.segments[1]!.path))).toBe(true);
      expect((await get(segs.resolvedInitUrl!)).status).toBe(200);

      // The heartbeats now say what the edge serves: the title is in its cache summary, and the
      // bytes it sent make a load.
      const reported = await eventually('the cache summary and the load in heartbeats', async () => {
        const listed = await get(`${origin.url}/v1/edges`, { authorization: `Bearer ${API_TOKEN}` });
        const e = listed
          .json<{ edges: Array<{ id: string; cachedTitles: number; loadGbps: number }> }>()
          .edges.find((x) => x.id === 'edge-bgp');
        return e !== undefined && e.cachedTitles === 1 && e.loadGbps > 0 && e;
      });
      expect(reported.loadGbps).toBeLessThan(10);
    });

    it('plays the steered manifest from the origin: every pathway carries the token in its path', async () => {
      const res = await get(
        `${origin.url}/v1/play/${TITLE}/master.m3u8?session=play-2&client_ip=198.51.100.77`,
      );
      expect(res.status, res.text).toBe(200);
      const master = parseHlsMaster(res.text);
      // One copy of each variant per pathway, in ranking order.
      expect([...new Set(master.variants.map((v) => v.pathwayId))]).toEqual(['edge-bgp', 'edge-static']);
      for (const pathway of ['edge-bgp', 'edge-static']) {
        const variant = master.variants.find((v) => v.pathwayId === pathway)!;
        const media = await get(variant.uri);
        expect(media.status, `${pathway}: ${media.text}`).toBe(200);
        const segment = await get(resolve(parseHlsMedia(media.text).segments[1]!.uri, variant.uri));
        expect([pathway, segment.status]).toEqual([pathway, 200]);
      }
    });

    it('refuses content without a valid token, in the path or the query, and keeps serving', async () => {
      const s = await steer('198.51.100.77');
      const token = s.edges[0]!.token!;
      const path = `/content/${TITLE}/v/${s.version}/video/v0/00002.m4s`;
      const other = (await steer('198.51.100.77')).edges[0]!.token!;
      const forged = `${token.slice(0, -4)}AAAA`;
      const cases: Array<[string, number, string]> = [
        [path, 403, 'EDGE_ERR_TOKEN_INVALID'],
        [`${path}?token=${forged}`, 403, 'EDGE_ERR_TOKEN_INVALID'],
        [tokenPath(forged, path), 403, 'EDGE_ERR_TOKEN_INVALID'],
        [tokenPath('', path), 403, 'EDGE_ERR_TOKEN_INVALID'],
        [tokenPath('not-a-token', path), 403, 'EDGE_ERR_TOKEN_INVALID'],
        // A token for this title does not open another title.
        [tokenPath(token, '/content/other/v/1/video/v0/00001.m4s'), 403, 'EDGE_ERR_TOKEN_INVALID'],
        // The path form leads to content only.
        [`/t/${token}/admin/drain`, 404, 'EDGE_ERR_NOT_FOUND'],
        [`/t/${token}/metrics`, 404, 'EDGE_ERR_NOT_FOUND'],
        [tokenPath(token, `/content/${TITLE}/v%2F..%2F..%2Fadmin`), 400, 'EDGE_ERR_BAD_PATH'],
      ];
      for (const [target, status, code] of cases) {
        const res = await get(`${bgpEdge!.url}${target}`);
        expect([target, res.status, res.json().error]).toEqual([target, status, code]);
      }
      // Both forms still serve with a good token (another signing of the same title is as good).
      expect((await get(`${bgpEdge!.url}${tokenPath(other, path)}`)).status).toBe(200);
      expect((await get(`${bgpEdge!.url}${path}?token=${token}`)).status).toBe(200);
    });

    it('serves the path form on an edge that does not require tokens, ignoring the token as it does `?token=`', async () => {
      const open = await startEdge(
        edgeConfigFromInput({ ...edgeInput({ nodeId: 'edge-open' }), tokens: { required: false, keys: {} } }),
      );
      try {
        const s = await steer('198.51.100.77');
        const path = `/content/${TITLE}/v/${s.version}/video/v0/00002.m4s`;
        const expected = await packageFile('video/v0/00002.m4s');
        const first = await get(`${open.url}${tokenPath(s.edges[0]!.token!, path)}`);
        expect([first.status, first.body.equals(expected)]).toEqual([200, true]);
        // Any token, even a malformed one, names the same cache object.
        const again = await get(`${open.url}${tokenPath('whatever', path)}`);
        expect([again.status, again.headers['cache-status']]).toEqual([200, 'edge-open; hit']);
        expect((await get(`${open.url}${path}`)).headers['cache-status']).toBe('edge-open; hit');
      } finally {
        await open.close();
      }
    });

    it('falls back to the default cluster once BIRD withdraws the prefix', async () => {
      await bird!.birdc('disable', 'clients4');
      const s = await eventually('the withdrawal reaching steering', async () => {
        const answer = await steer('198.51.100.77');
        return answer.outcome === 'default' && answer;
      });
      expect(s.matchedPrefix).toBeUndefined();
      expect([s.edges[0]!.id, s.edges[0]!.tier]).toEqual(['edge-static', 'default_cluster']);
      expect(s.edges[0]!.reason).toMatch(/no announced prefix covers the client: default cluster site-b/);
      // The IPv6 prefix is still announced.
      expect((await steer('2001:db8:51::9')).edges[0]!.id).toBe('edge-bgp');
      // And announced again, steered again.
      await bird!.birdc('enable', 'clients4');
      await eventually(
        'the prefix back',
        async () => (await steer('198.51.100.77')).edges[0]!.id === 'edge-bgp',
      );
    });

    it.each([1, 2])(
      '`cdn edge --workers %i` prints its BGP and control status, registers once, and drains on SIGTERM',
      async (workers) => {
        const speakerPort = await freePort();
        const config = join(dirs.root, `edge-cli-${workers}.json`);
        await writeFile(
          config,
          JSON.stringify({
            nodeId: 'edge-cli',
            originUrl: origin.url,
            listen: { host: '127.0.0.1', port: 0 },
            logLevel: 'warn',
            workers,
            bgp: {
              localAs: 65000,
              routerId: '192.0.2.253',
              listen: { host: '127.0.0.1', port: speakerPort },
              neighbors: [{ name: 'isp', address: '127.0.0.9', peerAs: 65009 }],
            },
            control: { cluster: 'site-a', capacityGbps: 1 },
          }),
        );
        const edges = async () =>
          (await get(`${origin.url}/v1/edges`, { authorization: `Bearer ${API_TOKEN}` })).json<{
            edges: Array<{ id: string; state: string; draining: boolean }>;
          }>().edges;
        /** Heartbeats the origin refused for a stale epoch: what two control clients of one id cause. */
        const epochRefusals = async () =>
          Number(
            /cdn_steering_heartbeats_total\{[^}]*result="epoch"[^}]*\} (\d+)/.exec(
              (await get(`${origin.url}/metrics`)).text,
            )?.[1] ?? 0,
          );
        const refusedBefore = await epochRefusals();
        const seen: string[] = [];
        let stdout = '';
        const run = await runCdn(['edge', '--config', config], {
          env: { ...process.env, EDGE_CONTROL_TOKEN: edgeToken('edge-cli') },
          timeoutMs: 60_000,
          onStdout: (text, child) => {
            stdout = text;
            if (!/^control/m.test(text) || seen.length > 0) return;
            seen.push('started');
            void (async () => {
              try {
                await eventually('edge-cli registered', async () =>
                  (await edges()).some((e) => e.id === 'edge-cli' && e.state === 'active' && !e.draining),
                );
                // A few heartbeats later, still one registration.
                await new Promise((r) => setTimeout(r, HEARTBEAT_MS * 5));
                seen.push(`epoch refusals ${(await epochRefusals()) - refusedBefore}`);
              } finally {
                child.kill('SIGTERM');
              }
            })();
          },
        });
        expect(run.code, run.stderr).toBe(0);
        expect(seen).toEqual(['started', 'epoch refusals 0']);
        const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
        // With workers, worker 0 alone runs the speaker and the control client (a second speaker
        // could not even bind the port), and the primary prints them from the configuration.
        const where = workers === 1 ? '' : ' (worker 0)';
        expect(stdout).toContain(
          `bgp${where}: AS65000 router id 192.0.2.253, listening on 127.0.0.1:${speakerPort}; peers: isp 127.0.0.9 AS65009 passive`,
        );
        expect(stdout).toContain(
          `control${where}: edge edge-cli (cluster site-a, ${url}) reporting to ${origin.url}; routes from BGP`,
        );
        // Its last heartbeat said it drains: it gets no new clients.
        expect((await edges()).find((e) => e.id === 'edge-cli')?.draining).toBe(true);
      },
    );

    it('on close, tells steering it drains and closes the BGP session with its shutdown message', async () => {
      await bgpEdge!.close();
      bgpEdge = undefined;
      const s = await steer('198.51.100.77');
      expect(s.edges.map((e) => e.id)).not.toContain('edge-bgp');
      const protocol = await eventually('BIRD to see the session closed', async () => {
        const text = await bird!.birdc('show', 'protocols', 'all', 'edge');
        return !/Established/.test(text) && text;
      });
      expect(protocol).toMatch(/Administrative shutdown/i);
      expect(protocol).toContain('edge edge-bgp shutting down');
    });
  },
);
