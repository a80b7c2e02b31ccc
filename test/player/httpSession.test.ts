/**
 * Player sessions over HTTP against a real origin (steering, QoE collector) and two real edges on
 * loopback, with a really packaged title: real time at a trace's rate (DASH with CMCD headers, HLS
 * with CMCD in the query), virtual time giving the core's decisions, failover when an edge dies
 * mid-session, and a clean failed end when every edge is down.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ABR_NAMES,
  NetworkModel,
  createQoeReporter,
  runHttpSession,
  runSession,
  createStrategy,
  virtualSetup,
  type FailoverNotice,
  type HttpSessionResult,
  type QoeReporter,
  type SessionEvent,
} from '../../player-sim/index.js';
import { codeOfAsync } from '../helpers/errors.js';
import { constantTrace, stepTrace } from './helpers.js';
import {
  CLIENT_A,
  TITLE,
  diskLadder,
  edgeSample,
  qoeRecord,
  startWorld,
  until,
  type PlayerWorld,
} from './httpHelpers.js';

let world: PlayerWorld;
let reporter: QoeReporter;

beforeAll(async () => {
  world = await startWorld();
  reporter = await createQoeReporter({ collectorUrl: world.originUrl, flushIntervalMs: 50 });
}, 60_000);

afterAll(async () => {
  await reporter?.close({ deadlineMs: 2000 });
  await world?.close();
});

/** Every segment of the title once, in order. */
function expectWholeTitle(result: HttpSessionResult): void {
  expect(result.outcome, JSON.stringify(result.error)).toBe('completed');
  const count = result.ladder!.segmentDurationsMs.length;
  expect(result.segments.map((s) => s.segmentIndex)).toEqual([...Array(count).keys()]);
  expect(result.playedMs).toBe(result.ladder!.segmentDurationsMs.reduce((a, b) => a + b, 0));
}

describe('real time', () => {
  it('plays DASH (CMCD headers) and HLS (CMCD query) to the end without a stall, at the trace rate, with CMCD reaching the edges', async () => {
    // 1 Mbit/s with 20 ms latency: ~7x the top rung, so the quality strategy climbs and never stalls.
    const trace = constantTrace(1000, 20);
    const common = { originUrl: world.originUrl, titleId: TITLE, strategy: 'quality', trace, reporter };
    const [dash, hls] = await Promise.all([
      runHttpSession({ ...common, sessionId: 'rt-dash', clientIp: CLIENT_A, http: { format: 'dash' } }),
      // A client of edge-b's prefix: its CMCD is counted on the other edge.
      runHttpSession({
        ...common,
        sessionId: 'rt-hls',
        clientIp: '203.0.113.5',
        http: { format: 'hls', cmcd: 'query' },
      }),
    ]);
    for (const [result, edge] of [
      [dash, 'edge-a'],
      [hls, 'edge-b'],
    ] as const) {
      expectWholeTitle(result);
      expect(result.qoe.rebufferCount).toBe(0);
      expect([result.edges, result.failovers]).toEqual([[edge], 0]);
      // Audio alongside video: a video and an audio object per segment, plus init segments.
      const segments = result.segments.length;
      expect(result.stats.requests).toBeGreaterThanOrEqual(2 * segments + 2);
      // Real time: the title played out on the wall clock.
      expect(result.endMs - result.startMs).toBeGreaterThanOrEqual(result.playedMs);
      // Never faster than the trace: each download took at least its bytes at 1 Mbit/s (+ latency).
      for (const d of result.downloads) {
        expect(d.endMs - d.requestMs).toBeGreaterThanOrEqual((d.bytes * 8) / 1000 + 20 - 2);
      }
    }
    expect(dash.format).toBe('dash');
    expect(hls.ladder!.source).toBe('hls');
    // The strategy climbed above the lowest rung on this fast link.
    expect(Math.max(...dash.segments.map((s) => s.rungIndex))).toBeGreaterThan(0);
    // CMCD `nor` reached each edge: it prefetched next segments and the players then used them.
    for (const id of ['edge-a', 'edge-b']) {
      const edge = world.edges.get(id)!;
      expect(await edgeSample(edge, 'cdn_edge_prefetch_total{outcome="issued"')).toBeGreaterThan(0);
      expect(edge.app.prefetcher.stats.used).toBeGreaterThan(0);
    }
    // QoE events at the collector: start, startup on the edge, end with the summary.
    expect(await reporter.flush(5000)).toBe(true);
    for (const [id, edge] of [
      ['rt-dash', 'edge-a'],
      ['rt-hls', 'edge-b'],
    ] as const) {
      const record = (await qoeRecord(world, id)).body;
      expect(record).toMatchObject({ outcome: 'completed', startupEdge: edge, failovers: 0, fatalErrors: 0 });
      expect(record.summary).toMatchObject({ strategy: 'quality', rebufferCount: 0, failovers: 0 });
    }
  }, 30_000);
});

describe('virtual time over HTTP', () => {
  it("makes the core's decisions for the same trace, for every strategy, while still requesting the segments", async () => {
    const mpd = await readFile(join(world.pkgDir, world.title.manifests.dash), 'utf8');
    const ladder = await diskLadder(world, mpd);
    // Bandwidth that moves across the rungs (kbit/s), so strategies switch and may stall.
    const trace = stepTrace(
      [
        [1500, 300],
        [2000, 90],
        [1000, 40],
        [3000, 200],
        [2000, 110],
      ],
      30,
      'steps',
    );
    const before = await edgeSample(world.edges.get('edge-a')!, 'cdn_edge_requests_total');
    for (const name of ABR_NAMES) {
      const viaHttp = await runHttpSession({
        originUrl: world.originUrl,
        titleId: TITLE,
        strategy: name,
        mode: 'virtual',
        trace,
        clientIp: CLIENT_A,
        segmentSizesBytes: ladder.segmentSizesBytes!,
      });
      const { clock, fetcher } = virtualSetup(new NetworkModel(trace));
      const core = await runSession({ ladder, strategy: createStrategy(name), clock, fetcher });
      expectWholeTitle(viaHttp);
      expect(
        viaHttp.segments.map((s) => [s.segmentIndex, s.rungIndex, s.requestMs, s.endMs]),
        name,
      ).toEqual(core.segments.map((s) => [s.segmentIndex, s.rungIndex, s.requestMs, s.endMs]));
      expect(viaHttp.downloads, name).toEqual(core.downloads);
      expect(viaHttp.qoe, name).toEqual(core.qoe);
    }
    // The segments really were requested from the edge.
    const after = await edgeSample(world.edges.get('edge-a')!, 'cdn_edge_requests_total');
    expect(after - before).toBeGreaterThanOrEqual(ABR_NAMES.length * 2 * ladder.segmentDurationsMs.length);
  }, 30_000);
});

describe('content steering', () => {
  it('follows the steering server: reporting a throughput below the lowest rung moves the session to the next pathway', async () => {
    const notices: FailoverNotice[] = [];
    // 40 kbit/s: below the title's lowest rung, so steering demotes the pathway the session reports.
    const result = await runHttpSession({
      originUrl: world.originUrl,
      titleId: TITLE,
      strategy: 'bba',
      mode: 'virtual',
      trace: constantTrace(40, 20),
      sessionId: 'steered-1',
      clientIp: CLIENT_A,
      http: { format: 'hls' },
      onFailover: (n) => notices.push(n),
    });
    expectWholeTitle(result);
    expect(notices[0]).toMatchObject({ fromEdge: 'edge-a', toEdge: 'edge-b', reason: 'steering' });
    // (On edge-b the same slow link is reported, so steering may move the session on again.)
    expect(result.edges.slice(0, 2)).toEqual(['edge-a', 'edge-b']);
    expect(result.stats.steeringReloads).toBeGreaterThanOrEqual(2);
    expect(result.stats.requestsByEdge['edge-b']).toBeGreaterThan(0);
    // Without content steering the session stays where steering first put it.
    const unsteered = await runHttpSession({
      originUrl: world.originUrl,
      titleId: TITLE,
      strategy: 'bba',
      mode: 'virtual',
      trace: constantTrace(40, 20),
      clientIp: CLIENT_A,
      http: { format: 'hls', contentSteering: false },
    });
    expect([unsteered.edges, unsteered.stats.steeringReloads]).toEqual([['edge-a'], 0]);
  });
});

describe('bad input', () => {
  it('an unknown title ends the session failed with PLAYER_ERR_TITLE_NOT_FOUND and QoE events', async () => {
    const result = await runHttpSession({
      originUrl: world.originUrl,
      titleId: 'no-such-title',
      strategy: 'bba',
      trace: constantTrace(1000),
      sessionId: 'no-title',
      reporter,
    });
    expect([result.outcome, result.error?.code]).toEqual(['failed', 'PLAYER_ERR_TITLE_NOT_FOUND']);
    expect(await reporter.flush(5000)).toBe(true);
    expect((await qoeRecord(world, 'no-title')).body).toMatchObject({ outcome: 'failed', fatalErrors: 1 });
  });

  it('an unknown strategy or a bad setting is refused before anything is requested', async () => {
    const base = { originUrl: world.originUrl, titleId: TITLE, trace: constantTrace(1000) };
    expect(await codeOfAsync(runHttpSession({ ...base, strategy: 'fastest' }))).toBe(
      'PLAYER_ERR_UNKNOWN_STRATEGY',
    );
    expect(
      await codeOfAsync(runHttpSession({ ...base, strategy: 'bba', http: { requestTimeoutMs: -1 } })),
    ).toBe('CDN_ERR_CONFIG_INVALID');
    expect(await codeOfAsync(runHttpSession({ ...base, strategy: 'bba', player: { maxBufferMs: 0 } }))).toBe(
      'CDN_ERR_CONFIG_INVALID',
    );
  });

  it('an origin that does not answer ends the session failed with PLAYER_ERR_STEERING', async () => {
    const result = await runHttpSession({
      originUrl: 'http://127.0.0.1:9',
      titleId: TITLE,
      strategy: 'bba',
      trace: constantTrace(1000),
    });
    expect([result.outcome, result.error?.code]).toEqual(['failed', 'PLAYER_ERR_STEERING']);
  });
});

describe('failover (these tests kill the edges: they run last)', () => {
  it('an edge killed mid-session: the session moves to the next ranked edge at the same position and completes', async () => {
    const notices: FailoverNotice[] = [];
    let killedAfter: number | undefined;
    const result = await runHttpSession({
      originUrl: world.originUrl,
      titleId: TITLE,
      strategy: 'throughput',
      trace: constantTrace(1000, 10),
      sessionId: 'failover-1',
      clientIp: CLIENT_A,
      // A 2 s buffer: the session downloads as it plays, so the edge dies with segments still to fetch.
      player: { maxBufferMs: 2000 },
      reporter,
      onFailover: (n) => notices.push(n),
      onEvent: (event: SessionEvent) => {
        if (event.type === 'segment_loaded' && event.segmentIndex === 2 && killedAfter === undefined) {
          killedAfter = event.segmentIndex;
          world.kill('edge-a');
        }
      },
    });
    expectWholeTitle(result);
    expect(result.edges).toEqual(['edge-a', 'edge-b']);
    // The next segment (3, at 3 s of media) was asked of edge-b after edge-a refused it.
    expect(notices[0]).toMatchObject({
      fromEdge: 'edge-a',
      toEdge: 'edge-b',
      reason: 'error',
      positionMs: 3000,
    });
    expect(result.stats.requestsByEdge['edge-b']).toBeGreaterThan(0);
    // The result logs the failover with its time on the session's clock, after segment 2 loaded.
    expect(result.failoverLog).toHaveLength(notices.length);
    expect(result.failoverLog[0]).toMatchObject(notices[0]!);
    const segment2 = result.segments.find((s) => s.segmentIndex === 2)!;
    expect(result.failoverLog[0]!.atMs).toBeGreaterThanOrEqual(segment2.endMs);
    expect(result.failoverLog[0]!.atMs).toBeLessThanOrEqual(result.endMs);
    expect(await reporter.flush(5000)).toBe(true);
    const record = (await qoeRecord(world, 'failover-1')).body;
    expect(record).toMatchObject({ outcome: 'completed', edge: 'edge-b', fatalErrors: 0 });
    expect(record.failovers).toBeGreaterThanOrEqual(1);
    expect(record.errors).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('every edge down: steering is asked again, then the session ends failed with an error event', async () => {
    const notices: FailoverNotice[] = [];
    const result = await runHttpSession({
      originUrl: world.originUrl,
      titleId: TITLE,
      strategy: 'bba',
      trace: constantTrace(1000, 10),
      sessionId: 'all-down',
      clientIp: CLIENT_A,
      player: { maxBufferMs: 2000 },
      http: { steerRounds: 2, steerRetryDelayMs: 50 },
      reporter,
      onFailover: (n) => notices.push(n),
      onEvent: (event: SessionEvent) => {
        if (event.type === 'segment_loaded' && event.segmentIndex === 1) world.kill('edge-b');
      },
    });
    expect([result.outcome, result.error?.code]).toEqual(['failed', 'PLAYER_ERR_ALL_EDGES_FAILED']);
    // It played what it had (edge-a was already dead: it started on edge-b).
    expect(result.edges).toEqual(['edge-a', 'edge-b']);
    expect(result.segments.map((s) => s.segmentIndex)).toEqual([0, 1]);
    // Every edge failed (no `toEdge`): steering was asked again once before giving up.
    expect(notices.filter((n) => n.toEdge === undefined).length).toBe(2);
    expect(result.stats.steerAnswers).toBe(2);
    await until(
      async () => (await qoeRecord(world, 'all-down')).body.outcome === 'failed',
      'the session end',
    );
    expect((await qoeRecord(world, 'all-down')).body).toMatchObject({ outcome: 'failed', fatalErrors: 1 });
  }, 30_000);
});
