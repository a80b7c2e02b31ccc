import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import { fixtureSession } from './fixtures.js';
import {
  QoeReporter,
  backoffDelayMs,
  classifyResponse,
  createQoeReporter,
  type QoeReporterOptions,
} from './reporter.js';
import type { QoeEvent } from './schema.js';

/**
 * A scripted collector on 127.0.0.1: records every batch it is sent, and answers with what the
 * test's `respond` says (a status, or `hang` to never answer).
 */
class ScriptedCollector {
  readonly batches: { events: QoeEvent[]; authorization: string | undefined }[] = [];
  respond: (
    events: QoeEvent[],
    n: number,
  ) => { status: number; body?: unknown; headers?: Record<string, string> } | 'hang' = (events) => ({
    status: 200,
    body: { accepted: events.length, duplicates: 0, rejected: [] },
  });
  server: Server | undefined;
  port = 0;
  readonly #hanging: ServerResponse[] = [];

  async listen(port = 0): Promise<void> {
    const server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const res of this.#hanging.splice(0)) res.destroy();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every event received, in order of arrival. */
  get events(): QoeEvent[] {
    return this.batches.flatMap((b) => b.events);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { events } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: QoeEvent[] };
    this.batches.push({ events, authorization: req.headers.authorization });
    const answer = this.respond(events, this.batches.length);
    if (answer === 'hang') {
      this.#hanging.push(res);
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.body ?? { error: 'X', message: 'scripted' }));
  }
}

let collector: ScriptedCollector;
let reporter: QoeReporter | undefined;
let dir: string;

/** Fast timings for tests: short flush interval, short backoff. */
function makeReporter(options: Partial<QoeReporterOptions> = {}): QoeReporter {
  reporter = new QoeReporter({
    collectorUrl: collector.url,
    flushIntervalMs: 20,
    initialBackoffMs: 5,
    maxBackoffMs: 40,
    requestTimeoutMs: 2000,
    random: seededRandom(1),
    ...options,
  });
  return reporter;
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sessions = (count: number, prefix = 's'): QoeEvent[] =>
  Array.from({ length: count }, (_, i) =>
    fixtureSession({ sessionId: `${prefix}${i}`, rebufferMs: [300] }),
  ).flat();

beforeEach(async () => {
  collector = new ScriptedCollector();
  await collector.listen();
  dir = await mkdtemp(join(tmpdir(), 'qoe-reporter-'));
});
afterEach(async () => {
  await reporter?.close({ deadlineMs: 200 });
  reporter = undefined;
  await collector.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('backoff and answers (pure)', () => {
  it('full jitter: uniform below a cap that doubles per attempt up to the maximum', () => {
    const options = { initialBackoffMs: 100, maxBackoffMs: 1000 };
    expect(backoffDelayMs(1, options, () => 0.999)).toBe(99);
    expect(backoffDelayMs(3, options, () => 0.5)).toBe(200);
    expect(backoffDelayMs(30, options, () => 0.999)).toBe(999);
    expect(backoffDelayMs(4, options, () => 0)).toBe(0);
    // Retry-After is a floor.
    expect(backoffDelayMs(1, { ...options, retryAfterMs: 3000 }, () => 0.5)).toBe(3000);
  });

  it.each([
    [
      200,
      { accepted: 3, duplicates: 1, rejected: [{ index: 0 }] },
      undefined,
      { kind: 'delivered', accepted: 3, duplicates: 1, rejected: 1 },
    ],
    [
      400,
      { error: 'QOE_ERR_INVALID_EVENT' },
      undefined,
      { kind: 'refused', reason: 'QOE_ERR_INVALID_EVENT' },
    ],
    [
      413,
      { error: 'QOE_ERR_BATCH_TOO_LARGE' },
      undefined,
      { kind: 'split', reason: 'QOE_ERR_BATCH_TOO_LARGE' },
    ],
    [
      429,
      { error: 'QOE_ERR_RATE_LIMITED' },
      '2',
      { kind: 'retry', reason: 'QOE_ERR_RATE_LIMITED', retryAfterMs: 2000 },
    ],
    [503, null, undefined, { kind: 'retry', reason: 'HTTP 503' }],
    [401, { error: 'QOE_ERR_UNAUTHORIZED' }, undefined, { kind: 'retry', reason: 'QOE_ERR_UNAUTHORIZED' }],
    [404, { error: 'ORIGIN_ERR_NOT_FOUND' }, undefined, { kind: 'refused', reason: 'ORIGIN_ERR_NOT_FOUND' }],
    [503, null, 'soon', { kind: 'retry', reason: 'HTTP 503' }],
  ])('HTTP %i %j (Retry-After %s) → %j', (status, body, retryAfter, expected) => {
    expect(classifyResponse(status, body, retryAfter, 4)).toEqual(expected);
  });
});

describe('QoeReporter', () => {
  it('sends full batches at once and the rest on the timer, in enqueue order, with the token', async () => {
    const r = makeReporter({ maxBatchEvents: 5, flushIntervalMs: 100, token: 'qoe-token-0123456789' });
    const events = sessions(2).slice(0, 12);
    for (const e of events) expect(r.enqueue(e)).toBe(true);
    await until(() => r.stats().delivered === 12, 'all events delivered');
    expect(collector.batches.map((b) => b.events.length)).toEqual([5, 5, 2]);
    expect(collector.events).toEqual(events);
    expect(collector.batches.every((b) => b.authorization === 'Bearer qoe-token-0123456789')).toBe(true);
    expect(r.stats()).toMatchObject({
      enqueued: 12,
      delivered: 12,
      queued: 0,
      inFlight: 0,
      retries: 0,
      requests: 3,
    });
  });

  it('enqueue is synchronous and never throws: invalid events and events after close are refused and counted', async () => {
    const r = makeReporter();
    expect(r.enqueue({ sessionId: 'x' } as unknown as QoeEvent)).toBe(false);
    expect(r.enqueue(null as unknown as QoeEvent)).toBe(false);
    const ok = sessions(1)[0]!;
    expect(r.enqueue(ok)).toBe(true);
    await r.close();
    expect(r.enqueue(ok)).toBe(false);
    expect(r.stats()).toMatchObject({ invalid: 3, enqueued: 1, delivered: 1 });
    expect(collector.events).toEqual([ok]);
  });

  it('session emitters number events 0, 1, ... and stamp them with the clock', async () => {
    let clockMs = 5000;
    const r = makeReporter({ nowMs: () => clockMs });
    const s = r.session('emit-1');
    expect(s.emit('session_start', { titleId: 'movie', strategy: 'bba' })).toBe(true);
    clockMs = 5800;
    expect(s.emit('startup_complete', { startupDelayMs: 800, rungIndex: 0, bitrateBps: 1e6 })).toBe(true);
    expect(s.emit('rebuffer_start', { positionMs: 0 }, 6000)).toBe(true);
    expect(s.nextSeq).toBe(3);
    expect(await r.flush()).toBe(true);
    expect(collector.events.map((e) => [e.seq, e.timestampMs, e.type])).toEqual([
      [0, 5000, 'session_start'],
      [1, 5800, 'startup_complete'],
      [2, 6000, 'rebuffer_start'],
    ]);
  });

  it('retries 5xx and dropped connections with backoff, delivering each event once', async () => {
    collector.respond = (events, n) =>
      n <= 3
        ? { status: 503, body: 'Service Unavailable' }
        : { status: 200, body: { accepted: events.length, duplicates: 0, rejected: [] } };
    const r = makeReporter();
    const events = sessions(3);
    for (const e of events) r.enqueue(e);
    expect(await r.flush()).toBe(true);
    expect(r.stats()).toMatchObject({ retries: 3, delivered: events.length, lastError: 'HTTP 503' });
    // The first three attempts carried the same batch; what was acknowledged is every event once.
    const acknowledged = collector.batches.slice(3).flatMap((b) => b.events);
    expect(acknowledged).toEqual(events);
  });

  it('a collector that does not answer in time is retried (the collector deduplicates the resend)', async () => {
    collector.respond = (events, n) =>
      n === 1 ? 'hang' : { status: 200, body: { accepted: events.length, duplicates: 0, rejected: [] } };
    const r = makeReporter({ requestTimeoutMs: 100 });
    const events = sessions(1);
    for (const e of events) r.enqueue(e);
    expect(await r.flush()).toBe(true);
    expect(collector.batches).toHaveLength(2);
    expect(collector.batches[1]!.events).toEqual(collector.batches[0]!.events);
    expect(r.stats().retries).toBe(1);
  });

  it('splits a batch the collector finds too large, and drops a batch it refuses without retrying', async () => {
    collector.respond = (events) =>
      events.length > 3
        ? { status: 413, body: { error: 'QOE_ERR_BATCH_TOO_LARGE', message: 'too many' } }
        : events.some((e) => e.sessionId === 'bad0')
          ? { status: 400, body: { error: 'QOE_ERR_INVALID_EVENT', message: 'no' } }
          : { status: 200, body: { accepted: events.length, duplicates: 0, rejected: [] } };
    const r = makeReporter({ maxBatchEvents: 10 });
    const good = sessions(2).slice(0, 10);
    for (const e of good) r.enqueue(e);
    expect(await r.flush()).toBe(true);
    expect(collector.batches.filter((b) => b.events.length <= 3).flatMap((b) => b.events)).toEqual(good);
    const bad = sessions(1, 'bad').slice(0, 2);
    for (const e of bad) r.enqueue(e);
    expect(await r.flush()).toBe(true);
    expect(r.stats()).toMatchObject({ rejected: 2, delivered: 10, lastError: 'QOE_ERR_INVALID_EVENT' });
    expect(collector.batches.filter((b) => b.events[0]?.sessionId === 'bad0')).toHaveLength(1);
  });

  it('counts events the collector lists as rejected in a 200', async () => {
    collector.respond = (events) => ({
      status: 200,
      body: {
        accepted: events.length - 1,
        duplicates: 0,
        rejected: [{ index: 0, error: 'QOE_ERR_INVALID_EVENT', message: 'x' }],
      },
    });
    const r = makeReporter();
    for (const e of sessions(1).slice(0, 4)) r.enqueue(e);
    expect(await r.flush()).toBe(true);
    expect(r.stats()).toMatchObject({ delivered: 3, rejected: 1 });
  });

  it('bounded queue: drops the oldest low-priority events first, counts drops, keeps the rest in order', async () => {
    await collector.stop();
    const r = makeReporter({ maxQueueEvents: 10, maxBatchEvents: 100, flushIntervalMs: 60_000 });
    const high = sessions(1).filter(
      (e) => !['rung_switch', 'rebuffer_start', 'rebuffer_end'].includes(e.type),
    );
    const low = fixtureSession({ sessionId: 'low', switches: 12 }).filter((e) => e.type === 'rung_switch');
    const starts = sessions(2, 'h').filter((e) => e.type === 'session_start');
    expect([high.length, low.length, starts.length]).toEqual([3, 12, 2]);
    for (const e of [...low.slice(0, 6), ...high, ...low.slice(6)]) r.enqueue(e);
    // low[0..4] made room for low[7..11].
    expect(r.stats()).toMatchObject({ queued: 10, dropped: 5, droppedByType: { rung_switch: 5 } });
    for (const e of starts) r.enqueue(e);
    expect(r.stats()).toMatchObject({ queued: 10, dropped: 7, droppedByType: { rung_switch: 7 } });
    await collector.listen(collector.port);
    expect(await r.flush()).toBe(true);
    expect(collector.events).toEqual([...high, ...low.slice(7), ...starts]);
  });

  it('bounded queue of high-priority events only: the oldest goes for a new one; a new low one is dropped', async () => {
    await collector.stop();
    const r = makeReporter({ maxQueueEvents: 3, maxBatchEvents: 100, flushIntervalMs: 60_000 });
    const starts = sessions(4, 'h').filter((e) => e.type === 'session_start');
    const low = fixtureSession({ sessionId: 'low' }).find((e) => e.type === 'rung_switch')!;
    for (const e of starts) expect(r.enqueue(e)).toBe(true);
    expect(r.enqueue(low)).toBe(false);
    expect(r.stats()).toMatchObject({
      queued: 3,
      dropped: 2,
      droppedByType: { session_start: 1, rung_switch: 1 },
    });
    await collector.listen(collector.port);
    expect(await r.flush()).toBe(true);
    expect(collector.events).toEqual(starts.slice(1));
  });

  it('keeps events while the collector is down and delivers them, in order, once it is back', async () => {
    const r = makeReporter({ maxBatchEvents: 4 });
    const events = sessions(4);
    const port = collector.port;
    for (const e of events.slice(0, 8)) r.enqueue(e);
    await until(() => r.stats().delivered === 8, 'first events delivered');
    await collector.stop();
    for (const e of events.slice(8, 30)) r.enqueue(e);
    await until(() => r.stats().retries >= 3, 'retries against the stopped collector');
    await collector.listen(port);
    for (const e of events.slice(30)) r.enqueue(e);
    expect(await r.flush()).toBe(true);
    expect(collector.events).toEqual(events);
    expect(r.stats()).toMatchObject({ delivered: events.length, dropped: 0 });
    expect(r.stats().lastError).toMatch(/ECONNREFUSED|ECONNRESET|socket|other side closed/i);
  });

  it('close delivers what is queued before returning', async () => {
    const r = makeReporter({ flushIntervalMs: 60_000, maxBatchEvents: 100 });
    const events = sessions(2);
    for (const e of events) r.enqueue(e);
    expect(await r.close()).toEqual({ delivered: events.length, undelivered: 0, spilled: 0 });
    expect(collector.events).toEqual(events);
  });

  it('close gives up at its deadline, spills what is left, and the next reporter sends it first', async () => {
    const spillPath = join(dir, 'spill.ndjson');
    const port = collector.port;
    await collector.stop();
    const first = makeReporter({ spillPath, maxBatchEvents: 5 });
    const events = sessions(2);
    for (const e of events) first.enqueue(e);
    const result = await first.close({ deadlineMs: 150 });
    expect(result).toEqual({ delivered: 0, undelivered: events.length, spilled: events.length });
    const spilled = (await readFile(spillPath, 'utf8')).trim().split('\n');
    expect(spilled.map((l) => JSON.parse(l) as unknown)).toEqual(events);

    await collector.listen(port);
    const second = await createQoeReporter({ collectorUrl: collector.url, spillPath, flushIntervalMs: 20 });
    reporter = second;
    const later = sessions(1, 'later');
    for (const e of later) second.enqueue(e);
    expect(await second.flush()).toBe(true);
    expect(collector.events).toEqual([...events, ...later]);
    expect(second.stats()).toMatchObject({ unspilled: events.length });
    await expect(readFile(spillPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('flush reports false when the collector stays down past its timeout (events stay queued)', async () => {
    await collector.stop();
    const r = makeReporter();
    for (const e of sessions(1)) r.enqueue(e);
    expect(await r.flush(100)).toBe(false);
    expect(r.stats().queued + r.stats().inFlight).toBe(sessions(1).length);
  });

  it('refuses bad options with an error naming the option', () => {
    expect(() => new QoeReporter({ collectorUrl: 'ftp://x' })).toThrow(/collectorUrl/);
    expect(() => new QoeReporter({ collectorUrl: 'http://127.0.0.1:1', maxBatchEvents: 0 })).toThrow(
      /maxBatchEvents/,
    );
  });
});
