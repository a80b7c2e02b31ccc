import { readFile, readdir, symlink, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtureSession } from '../../player-sim/events/fixtures.js';
import type { QoeEvent, QoeIngestResponse } from '../../player-sim/events/index.js';
import { codeOf } from '../../test/helpers/errors.js';
import {
  AUTH,
  READ_TOKEN,
  buildTestApp,
  fakePipeline,
  makeDirs,
  removeDirs,
  testConfig,
  type TestDirs,
} from '../../test/origin/helpers.js';
import type { OriginAppDeps } from '../app.js';
import { originConfigFromInput, originEnvInput, type OriginConfigInput } from '../config.js';
import type { QoeSummary, SessionRecord } from './aggregate.js';
import { FileQoeSink } from './fileSink.js';

const INGEST_TOKEN = 'test-qoe-ingest-token-0123';
const URL_EVENTS = '/v1/qoe/events';

let dirs: TestDirs;
let app: FastifyInstance;
let clockMs: number;
/** Set by suites that share one app across their tests (it is closed in their afterAll). */
let shared = false;

async function start(overrides: Partial<OriginConfigInput> = {}, deps: Partial<OriginAppDeps> = {}) {
  app = await buildTestApp(dirs, overrides, {
    createPipeline: fakePipeline().pipeline,
    nowMs: () => clockMs,
    ...deps,
  });
}

const post = (payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: URL_EVENTS,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

const summary = async (query = ''): Promise<QoeSummary> => {
  const res = await app.inject({ method: 'GET', url: `/v1/qoe/summary${query}`, headers: AUTH });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<QoeSummary>();
};

async function metricsText(): Promise<string> {
  return (await app.inject({ method: 'GET', url: '/metrics' })).body;
}

/** The value of one series in the exposition text (0 when absent). */
async function metric(series: string): Promise<number> {
  const text = await metricsText();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Everything that shows whether something was stored: sink, sessions, counters. */
async function storedState() {
  return {
    sink: app.qoe.sink.stats().records,
    sessions: app.qoe.stats().sessions,
    events: await metric('cdn_qoe_events_total{type="session_start"}'),
  };
}

beforeEach(async () => {
  if (shared) return;
  dirs = await makeDirs('qoe-plugin-');
  clockMs = Date.parse('2025-03-01T12:00:00Z');
});
afterEach(async () => {
  if (shared) return;
  await app?.close();
  await removeDirs(dirs);
});

describe('POST /v1/qoe/events', () => {
  beforeEach(() => start());

  it('stores a batch durably before answering, and the aggregates and session see it', async () => {
    const events = fixtureSession({
      sessionId: 'sess-1',
      strategy: 'bba',
      rebufferMs: [500],
      failoverTo: 'edge-b',
    });
    const res = await post({ events });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<QoeIngestResponse>()).toEqual({ accepted: events.length, duplicates: 0, rejected: [] });
    expect(res.headers['cache-control']).toBe('no-store');
    // On disk (the default file sink in <dataDir>/qoe) before the answer.
    const log = await readFile(join(dirs.dataDir, 'qoe', 'events-00000001.ndjson'), 'utf8');
    expect(
      log
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { event: QoeEvent }).event),
    ).toEqual(events);

    const s = await summary();
    expect(s.overall).toMatchObject({ sessions: 1, ended: 1, failovers: 1, rebufferCount: 1 });
    expect(s.byStrategy.bba?.startupMs?.p50).toBe(800);
    const session = await app.inject({ method: 'GET', url: '/v1/qoe/sessions/sess-1', headers: AUTH });
    expect(session.statusCode).toBe(200);
    expect(session.json<SessionRecord & { active: boolean }>()).toMatchObject({
      sessionId: 'sess-1',
      events: events.length,
      strategy: 'bba',
      edge: 'edge-b',
      outcome: 'completed',
      active: false,
      summary: { rebufferCount: 1, failovers: 1 },
    });
  });

  it('an empty batch stores nothing and is not an error', async () => {
    const res = await post({ events: [] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 0, duplicates: 0, rejected: [] });
  });

  it('names the index and the field of an invalid event', async () => {
    const events = fixtureSession({ sessionId: 'x' }).slice(0, 2);
    const res = await post({ events: [events[0], { ...events[1], payload: { startupDelayMs: 'slow' } }] });
    const body = res.json<QoeIngestResponse>();
    expect(body.rejected).toEqual([
      {
        index: 1,
        error: 'QOE_ERR_INVALID_EVENT',
        message: expect.stringMatching(/^events\[1\]: payload\.startupDelayMs/) as string,
      },
    ]);
  });

  it('stores the valid events of a partly invalid batch, lists the others, and stores nothing of them', async () => {
    const events = fixtureSession({ sessionId: 'mixed' });
    const batch: unknown[] = [...events];
    batch.splice(1, 0, { ...events[1], type: 'nope' });
    batch.push({ sessionId: 'other', seq: 0 });
    const res = await post({ events: batch });
    expect(res.statusCode).toBe(200);
    const body = res.json<QoeIngestResponse>();
    expect(body.accepted).toBe(events.length);
    expect(body.rejected.map((r) => r.index)).toEqual([1, batch.length - 1]);
    expect(body.rejected.every((r) => r.error === 'QOE_ERR_INVALID_EVENT')).toBe(true);
    expect(app.qoe.sink.stats().records).toBe(events.length);
    expect(app.qoe.session('other')).toBeUndefined();
    expect(await metric('cdn_qoe_events_rejected_total{reason="invalid"}')).toBe(2);
    expect(await metric('cdn_qoe_batches_total{result="partial"}')).toBe(1);
  });

  it('is idempotent on (sessionId, seq): a retried batch is answered as duplicates and counted once', async () => {
    const events = fixtureSession({ sessionId: 'retry', rebufferMs: [400, 600] });
    expect((await post({ events })).json()).toMatchObject({ accepted: events.length, duplicates: 0 });
    const before = { summary: await summary(), text: await metricsText() };
    const again = await post({ events });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ accepted: 0, duplicates: events.length, rejected: [] });
    // Half old, half new; and the same event twice in one batch.
    const more = fixtureSession({ sessionId: 'retry2' });
    const mixed = await post({ events: [...events.slice(0, 3), more[0], more[0], ...more.slice(1)] });
    expect(mixed.json()).toEqual({ accepted: more.length, duplicates: 4, rejected: [] });
    const after = await summary();
    expect(after.overall.sessions).toBe(2);
    expect(after.byStrategy.quality?.rebufferCount).toBe(before.summary.byStrategy.quality!.rebufferCount);
    expect(app.qoe.sink.stats().records).toBe(events.length + more.length);
    expect(await metric('cdn_qoe_events_total{type="rebuffer_end"}')).toBe(2);
    expect(await metric('cdn_qoe_events_duplicate_total')).toBe(events.length + 4);
    expect(app.qoe.session('retry')?.events).toBe(events.length);
  });

  it('stores a batch once when a retry arrives while the first attempt is still being written', async () => {
    const events = fixtureSession({ sessionId: 'race', rebufferMs: [100] });
    const answers = await Promise.all([post({ events }), post({ events }), post({ events })]);
    const bodies = answers.map((a) => a.json<QoeIngestResponse>());
    expect(bodies.reduce((n, b) => n + b.accepted, 0)).toBe(events.length);
    expect(bodies.reduce((n, b) => n + b.duplicates, 0)).toBe(2 * events.length);
    expect(app.qoe.sink.stats().records).toBe(events.length);
  });

  it('exports Prometheus series: per type, per strategy and outcome, histograms, failovers per edge', async () => {
    await post({
      events: fixtureSession({
        sessionId: 'm1',
        strategy: 'bba',
        startupDelayMs: 1200,
        failoverTo: 'edge-b',
      }),
    });
    await post({ events: fixtureSession({ sessionId: 'm2', strategy: 'weird-abr', outcome: 'failed' }) });
    await post({ events: fixtureSession({ sessionId: 'm3', outcome: 'none' }) });
    expect(await metric('cdn_qoe_events_total{type="session_start"}')).toBe(3);
    expect(await metric('cdn_qoe_events_total{type="session_end"}')).toBe(2);
    expect(await metric('cdn_qoe_sessions_total{strategy="bba",outcome="completed"}')).toBe(1);
    // Strategy names outside the configured list are `other`: labels stay bounded.
    expect(await metric('cdn_qoe_sessions_total{strategy="other",outcome="failed"}')).toBe(1);
    expect(await metricsText()).not.toContain('weird-abr');
    expect(await metric('cdn_qoe_startup_seconds_count{strategy="bba"}')).toBe(1);
    expect(await metric('cdn_qoe_startup_seconds_sum{strategy="bba"}')).toBeCloseTo(1.2, 10);
    expect(await metric('cdn_qoe_startup_seconds_bucket{le="1",strategy="bba"}')).toBe(0);
    expect(await metric('cdn_qoe_startup_seconds_bucket{le="1.5",strategy="bba"}')).toBe(1);
    expect(await metric('cdn_qoe_rebuffer_ratio_count{strategy="bba"}')).toBe(1);
    expect(await metric('cdn_qoe_bitrate_bps_sum{strategy="bba"}')).toBe(3e6);
    expect(await metric('cdn_qoe_vmaf_sum{strategy="bba"}')).toBe(88);
    expect(await metric('cdn_qoe_failovers_total{edge="edge-a"}')).toBe(1);
    expect(await metric('cdn_qoe_active_sessions')).toBe(1);
    expect(await metric('cdn_qoe_tracked_sessions')).toBe(3);
    expect(await metric('cdn_qoe_sink_records')).toBe(app.qoe.sink.stats().records);
  });

  it('keeps edge labels bounded: beyond maxEdgeLabels, edges are counted as other', async () => {
    await app.close();
    await start({ qoe: { maxEdgeLabels: 2 } });
    for (const [i, edge] of ['e1', 'e2', 'e3', 'e4'].entries()) {
      await post({ events: fixtureSession({ sessionId: `b${i}`, edge, failoverTo: 'spare' }) });
    }
    expect(await metric('cdn_qoe_failovers_total{edge="e1"}')).toBe(1);
    expect(await metric('cdn_qoe_failovers_total{edge="e2"}')).toBe(1);
    expect(await metric('cdn_qoe_failovers_total{edge="other"}')).toBe(2);
    expect(await metricsText()).not.toContain('e3');
  });

  it('lists the routes in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, unknown>;
    }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/qoe/events', '/v1/qoe/summary', '/v1/qoe/sessions/{id}']),
    );
  });
});

/** One app for every test of the calling suite (after `setup`), for suites whose tests do not interfere. */
function useSharedApp(setup: () => Promise<void> = () => Promise.resolve()): void {
  beforeAll(async () => {
    dirs = await makeDirs('qoe-plugin-');
    clockMs = Date.parse('2025-03-01T12:00:00Z');
    await start();
    await setup();
    shared = true;
  });
  afterAll(async () => {
    shared = false;
    await app.close();
    await removeDirs(dirs);
  });
}

describe('POST /v1/qoe/events: bad input', () => {
  let served = 0;
  useSharedApp();

  const valid = () => fixtureSession({ sessionId: 'bad-1' })[0]!;
  const cases: [string, () => unknown, number, string][] = [
    ['a body that is not JSON', () => '{"events": [', 400, 'QOE_ERR_MALFORMED_BATCH'],
    ['an empty body', () => '', 400, 'QOE_ERR_MALFORMED_BATCH'],
    ['a JSON array instead of an object', () => [valid()], 400, 'QOE_ERR_MALFORMED_BATCH'],
    ['a JSON string', () => '"events"', 400, 'QOE_ERR_MALFORMED_BATCH'],
    ['events not an array', () => ({ events: { 0: valid() } }), 400, 'QOE_ERR_MALFORMED_BATCH'],
    ['no events field', () => ({ event: [valid()] }), 400, 'QOE_ERR_MALFORMED_BATCH'],
    ['an unknown top-level field', () => ({ events: [valid()], extra: 1 }), 400, 'QOE_ERR_MALFORMED_BATCH'],
    ['seq of the wrong type', () => ({ events: [{ ...valid(), seq: '0' }] }), 400, 'QOE_ERR_INVALID_EVENT'],
    ['a negative seq', () => ({ events: [{ ...valid(), seq: -1 }] }), 400, 'QOE_ERR_INVALID_EVENT'],
    [
      'a fractional timestamp',
      () => ({ events: [{ ...valid(), timestampMs: 1.5 }] }),
      400,
      'QOE_ERR_INVALID_EVENT',
    ],
    [
      'an unknown event type',
      () => ({ events: [{ ...valid(), type: 'bogus' }] }),
      400,
      'QOE_ERR_INVALID_EVENT',
    ],
    [
      'a missing sessionId',
      () => ({ events: [{ ...valid(), sessionId: undefined }] }),
      400,
      'QOE_ERR_INVALID_EVENT',
    ],
    [
      'a sessionId with a space',
      () => ({ events: [{ ...valid(), sessionId: 'a b' }] }),
      400,
      'QOE_ERR_INVALID_EVENT',
    ],
    ['an event that is null', () => ({ events: [null] }), 400, 'QOE_ERR_INVALID_EVENT'],
    [
      'an unknown payload field',
      () => ({ events: [{ ...valid(), payload: { ...valid().payload, x: 1 } }] }),
      400,
      'QOE_ERR_INVALID_EVENT',
    ],
    [
      'a payload of another type',
      () => ({ events: [{ ...valid(), type: 'rebuffer_end' }] }),
      400,
      'QOE_ERR_INVALID_EVENT',
    ],
    [
      'a VMAF over 100',
      () => {
        const end = fixtureSession({ sessionId: 'bad-1' }).at(-1)!;
        return {
          events: [
            {
              ...end,
              payload: {
                ...end.payload,
                summary: { ...(end.payload as { summary: object }).summary, avgVmaf: 101 },
              },
            },
          ],
        };
      },
      400,
      'QOE_ERR_INVALID_EVENT',
    ],
    [
      'more events than maxBatchEvents',
      () => ({ events: Array.from({ length: 501 }, valid) }),
      413,
      'QOE_ERR_BATCH_TOO_LARGE',
    ],
    [
      'a body over maxBatchBytes',
      () => ({ events: [{ ...valid(), payload: { ...valid().payload, trace: 'x'.repeat(600 * 1024) } }] }),
      413,
      'QOE_ERR_BATCH_TOO_LARGE',
    ],
  ];

  it.each(cases)('refuses %s with a coded error and stores nothing', async (_name, body, status, code) => {
    const before = await storedState();
    const res = await post(body());
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json<{ error: string; message: string }>().error).toBe(code);
    expect(res.json<{ message: string }>().message.length).toBeGreaterThan(5);
    expect(await storedState()).toEqual(before);
    // The process keeps serving.
    const next = fixtureSession({ sessionId: `after-${++served}` })[0]!;
    expect((await post({ events: [next] })).statusCode).toBe(200);
    expect(await storedState()).toEqual({
      sink: before.sink + 1,
      sessions: before.sessions + 1,
      events: before.events + 1,
    });
  });

  it('refuses a body that is not JSON by media type', async () => {
    const res = await app.inject({
      method: 'POST',
      url: URL_EVENTS,
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify({ events: [fixtureSession({ sessionId: 'text' })[0]] }),
    });
    expect(res.statusCode).toBe(415);
    expect(res.json<{ error: string }>().error).toBe('ORIGIN_ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(app.qoe.session('text')).toBeUndefined();
  });
});

describe('QoE auth', () => {
  it('with an ingest token: 401 without it, 403 with a wrong one, nothing stored; 200 with it', async () => {
    await start({ qoeIngestToken: INGEST_TOKEN });
    const events = fixtureSession({ sessionId: 'auth' });
    const none = await post({ events });
    expect(none.statusCode).toBe(401);
    expect(none.json<{ error: string }>().error).toBe('QOE_ERR_UNAUTHORIZED');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const wrong = await post({ events }, { authorization: `Bearer ${INGEST_TOKEN}x` });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json<{ error: string }>().error).toBe('QOE_ERR_FORBIDDEN');
    // The API token is not the ingest token.
    expect((await post({ events }, AUTH)).statusCode).toBe(403);
    expect(app.qoe.sink.stats().records).toBe(0);
    expect(await metric('cdn_qoe_batches_total{result="unauthorized"}')).toBe(1);
    expect(await metric('cdn_qoe_batches_total{result="forbidden"}')).toBe(2);
    const ok = await post({ events }, { authorization: `Bearer ${INGEST_TOKEN}` });
    expect(ok.statusCode).toBe(200);
    expect(app.qoe.sink.stats().records).toBe(events.length);
  });

  it('without an ingest token, ingest is open; summaries and sessions still need the API or read token', async () => {
    await start();
    expect((await post({ events: fixtureSession({ sessionId: 'open' }) })).statusCode).toBe(200);
    const anonymous = await app.inject({ method: 'GET', url: '/v1/qoe/summary' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json<{ error: string }>().error).toBe('ORIGIN_ERR_UNAUTHORIZED');
    const wrong = await app.inject({
      method: 'GET',
      url: '/v1/qoe/sessions/open',
      headers: { authorization: 'Bearer wrong-token-0123456789' },
    });
    expect(wrong.statusCode).toBe(403);
    const read = await app.inject({
      method: 'GET',
      url: '/v1/qoe/sessions/open',
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(read.statusCode).toBe(200);
  });

  it('authDisabled opens the reads', async () => {
    await start({ authDisabled: true, apiToken: undefined, readToken: undefined });
    expect((await app.inject({ method: 'GET', url: '/v1/qoe/summary' })).statusCode).toBe(200);
  });
});

describe('GET /v1/qoe/summary and /v1/qoe/sessions/:id', () => {
  useSharedApp(async () => {
    await post({
      events: fixtureSession({ sessionId: 'q1', strategy: 'bba', titleId: 'movie', startupDelayMs: 1000 }),
    });
    clockMs += 60_000;
    await post({
      events: fixtureSession({ sessionId: 'q2', strategy: 'mpc', titleId: 'show', startupDelayMs: 3000 }),
    });
  });

  it('filters by strategy, title and since (ms or ISO date)', async () => {
    expect((await summary()).overall.sessions).toBe(2);
    expect((await summary('?strategy=bba')).overall.sessions).toBe(1);
    expect((await summary('?title=show')).overall.startupMs?.p50).toBe(3000);
    expect((await summary(`?since=${clockMs}`)).overall.sessions).toBe(1);
    expect((await summary(`?since=${new Date(clockMs - 60_000).toISOString()}`)).overall.sessions).toBe(2);
    const s = await summary('?strategy=bba');
    expect(s.filter).toEqual({ strategy: 'bba' });
    expect(Object.keys(s.byStrategy)).toEqual(['bba']);
  });

  it.each([
    ['?since=yesterday', 'ORIGIN_ERR_BAD_REQUEST'],
    ['?strategy=BBA!', 'ORIGIN_ERR_BAD_REQUEST'],
    ['?title=../x', 'ORIGIN_ERR_BAD_REQUEST'],
    ['?limit=3', 'ORIGIN_ERR_BAD_REQUEST'],
  ])('refuses the query %s with %s', async (query, code) => {
    const res = await app.inject({ method: 'GET', url: `/v1/qoe/summary${query}`, headers: AUTH });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: string }>().error).toBe(code);
  });

  it('answers 404 QOE_ERR_SESSION_NOT_FOUND for an unknown session, 400 for a malformed id', async () => {
    const unknown = await app.inject({ method: 'GET', url: '/v1/qoe/sessions/nope', headers: AUTH });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<{ error: string }>().error).toBe('QOE_ERR_SESSION_NOT_FOUND');
    const bad = await app.inject({ method: 'GET', url: '/v1/qoe/sessions/a%20b', headers: AUTH });
    expect(bad.statusCode).toBe(400);
  });
});

describe('QoE rate limit', () => {
  it('answers 429 QOE_ERR_RATE_LIMITED with Retry-After beyond the burst, stores nothing, and refills', async () => {
    await start({ qoe: { rateLimitEventsPerS: 10, rateLimitBurstEvents: 20, maxBatchEvents: 20 } });
    const events = fixtureSession({ sessionId: 'rl', switches: 30 }).slice(0, 25);
    expect((await post({ events: events.slice(0, 15) })).statusCode).toBe(200);
    // 5 tokens left, 10 asked: refused whole; 5 missing at 10/s is 0.5 s, rounded up.
    const limited = await post({ events: events.slice(15) });
    expect(limited.statusCode).toBe(429);
    expect(limited.json<{ error: string }>().error).toBe('QOE_ERR_RATE_LIMITED');
    expect(limited.headers['retry-after']).toBe('1');
    expect(app.qoe.sink.stats().records).toBe(15);
    expect(await metric('cdn_qoe_events_rejected_total{reason="rate_limited"}')).toBe(10);
    clockMs += 500;
    expect((await post({ events: events.slice(15) })).json()).toMatchObject({ accepted: 10 });
    expect(app.qoe.sink.stats().records).toBe(25);
  });
});

describe('QoE durability', () => {
  it('rebuilds aggregates from the log after a restart, and still recognises retried events', async () => {
    await start();
    const a = fixtureSession({ sessionId: 'r1', strategy: 'bba', rebufferMs: [700], failoverTo: 'edge-b' });
    const b = fixtureSession({ sessionId: 'r2', strategy: 'quality', outcome: 'none' });
    await post({ events: a });
    await post({ events: b });
    const before = await summary();
    await app.close();
    await start();
    expect(await summary()).toEqual({ ...before });
    expect(app.qoe.stats()).toMatchObject({ replayed: a.length + b.length, sessions: 2 });
    const retry = await post({ events: [...a, ...b] });
    expect(retry.json()).toEqual({ accepted: 0, duplicates: a.length + b.length, rejected: [] });
    // Prometheus counters start from zero after a restart (no replayed increments).
    expect(await metric('cdn_qoe_events_total{type="session_start"}')).toBe(0);
  });

  it('a sink that cannot write answers 503 QOE_ERR_SINK_WRITE, counts nothing, and the origin keeps running', async () => {
    const qoeDir = join(dirs.root, 'full');
    await mkdir(qoeDir);
    await symlink('/dev/full', join(qoeDir, 'events-00000001.ndjson'));
    await start(
      {},
      { qoeSink: new FileQoeSink({ dir: qoeDir, maxFileBytes: 1 << 20, maxFiles: 2, fsync: true }) },
    );
    const events = fixtureSession({ sessionId: 'full' });
    const res = await post({ events });
    expect(res.statusCode).toBe(503);
    expect(res.json<{ error: string }>().error).toBe('QOE_ERR_SINK_WRITE');
    expect(app.qoe.session('full')).toBeUndefined();
    expect(await metric('cdn_qoe_events_total{type="session_start"}')).toBe(0);
    expect(await metric('cdn_qoe_events_rejected_total{reason="sink_error"}')).toBe(events.length);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect(await readdir(qoeDir)).toEqual(['events-00000001.ndjson']);
  });

  it('the memory sink works the same and starts empty after a restart', async () => {
    await start({ qoe: { sink: 'memory' } });
    await post({ events: fixtureSession({ sessionId: 'mem' }) });
    expect((await summary()).overall.sessions).toBe(1);
    await app.close();
    await start({ qoe: { sink: 'memory' } });
    expect((await summary()).overall.sessions).toBe(0);
  });
});

describe('QoE config', () => {
  it('defaults, the environment token, and errors that name the key', () => {
    const config = testConfig(dirs);
    expect(config.qoe).toMatchObject({ sink: 'file', maxBatchEvents: 500, fsync: true });
    expect(config.qoeIngestToken).toBeUndefined();
    expect(originEnvInput({ ORIGIN_QOE_INGEST_TOKEN: INGEST_TOKEN })).toEqual({
      qoeIngestToken: INGEST_TOKEN,
    });
    const invalid = (input: Record<string, unknown>) => {
      try {
        originConfigFromInput({ dataDir: dirs.dataDir, authDisabled: true, ...input });
        return 'valid';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(invalid({ qoe: { maxBatchEvents: 0 } })).toMatch(/qoe\.maxBatchEvents/);
    expect(invalid({ qoe: { sink: 'kafka' } })).toMatch(/qoe\.sink/);
    expect(invalid({ qoe: { bogus: 1 } })).toMatch(/qoe/);
    expect(invalid({ qoe: { rateLimitBurstEvents: 10 } })).toMatch(/qoe\.rateLimitBurstEvents/);
    expect(invalid({ qoeIngestToken: 'short' })).toMatch(/qoeIngestToken/);
    expect(invalid({ qoe: { strategies: ['Not OK'] } })).toMatch(/qoe\.strategies\[0\]/);
    expect(
      codeOf(() =>
        originConfigFromInput({ dataDir: dirs.dataDir, authDisabled: true, qoe: { fsync: 'yes' } }),
      ),
    ).toBe('CDN_ERR_CONFIG_INVALID');
  });
});
