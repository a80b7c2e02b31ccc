import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../common/logging.js';
import { startOrigin, type RunningOrigin } from '../../origin/index.js';
import type { QoeSummary } from '../../origin/index.js';
import { fixtureSession } from '../../player-sim/events/fixtures.js';
import { createQoeReporter, type QoeEvent, type QoeReporter } from '../../player-sim/events/index.js';
import { API_TOKEN, makeDirs, removeDirs, testConfig, type TestDirs } from '../origin/helpers.js';

/**
 * The player's reporter against a real origin on 127.0.0.1: the origin is stopped mid-stream and
 * started again on the same port and data directory; every event must arrive exactly once (in the
 * durable log) and the aggregates must be those of the sessions played.
 */
const INGEST_TOKEN = 'restart-test-ingest-token';
const STRATEGIES = ['bba', 'mpc', 'quality'] as const;
const SESSIONS_PER_STRATEGY = 10;

let dirs: TestDirs;
let origin: RunningOrigin | undefined;
let reporter: QoeReporter | undefined;

const config = (port: number) =>
  testConfig(dirs, {
    port,
    qoeIngestToken: INGEST_TOKEN,
    // Small files, so that the run rotates the log and replay reads several files.
    qoe: { logMaxFileBytes: 16 * 1024, logMaxFiles: 100 },
  });

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function summary(url: string): Promise<QoeSummary> {
  const res = await request(`${url}/v1/qoe/summary`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as QoeSummary;
}

/** Every event in the origin's NDJSON log files, oldest first. */
async function logged(): Promise<QoeEvent[]> {
  const dir = join(dirs.dataDir, 'qoe');
  const out: QoeEvent[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.ndjson')).sort()) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      if (line !== '') out.push((JSON.parse(line) as { event: QoeEvent }).event);
    }
  }
  return out;
}

beforeEach(async () => {
  dirs = await makeDirs('qoe-restart-');
});
afterEach(async () => {
  await reporter?.close({ deadlineMs: 500 });
  reporter = undefined;
  await origin?.close();
  origin = undefined;
  await removeDirs(dirs);
});

describe('QoE reporter and collector across an origin restart', () => {
  it('delivers every event exactly once and rebuilds the aggregates from the log', async () => {
    // Sessions with facts chosen per index, so the expected aggregates follow from them.
    const plans = STRATEGIES.flatMap((strategy, s) =>
      Array.from({ length: SESSIONS_PER_STRATEGY }, (_, i) => ({
        sessionId: `${strategy}-${i}`,
        strategy,
        titleId: i % 2 === 0 ? 'movie' : 'show',
        startupDelayMs: 100 * (i + 1) + 1000 * s,
        rebufferMs: Array.from({ length: i % 3 }, (_, k) => 100 * (k + 1)),
        switches: i % 4,
        edge: `edge-${i % 2}`,
        ...(i % 5 === 0 ? { failoverTo: 'edge-spare' } : {}),
      })),
    );
    const perSession = plans.map((p) => fixtureSession(p));
    // Interleave the sessions' events, as a fleet produces them.
    const all: QoeEvent[] = [];
    for (let k = 0; perSession.some((events) => k < events.length); k++) {
      for (const events of perSession) if (k < events.length) all.push(events[k]!);
    }
    const third = Math.floor(all.length / 3);

    origin = await startOrigin(config(0), { logger: silentLogger() });
    const port = Number(new URL(origin.url).port);
    reporter = await createQoeReporter({
      collectorUrl: origin.url,
      token: INGEST_TOKEN,
      maxBatchEvents: 10,
      flushIntervalMs: 20,
      initialBackoffMs: 10,
      maxBackoffMs: 100,
      spillPath: join(dirs.root, 'spill.ndjson'),
    });
    const r = reporter;

    for (const event of all.slice(0, third)) r.enqueue(event);
    await until(() => r.stats().delivered >= third / 2, 'some events delivered');
    // Stop the origin mid-stream: what is in flight finishes or is retried; the rest waits.
    await origin.close();
    origin = undefined;
    for (const event of all.slice(third, 2 * third)) r.enqueue(event);
    const retriesBefore = r.stats().retries;
    await until(() => r.stats().retries >= retriesBefore + 3, 'retries while the origin is down');
    expect(r.stats().delivered).toBeLessThan(2 * third);

    origin = await startOrigin(config(port), { logger: silentLogger() });
    for (const event of all.slice(2 * third)) r.enqueue(event);
    expect(await r.flush(20_000)).toBe(true);

    const stats = r.stats();
    expect(stats).toMatchObject({
      enqueued: all.length,
      dropped: 0,
      rejected: 0,
      invalid: 0,
      queued: 0,
      inFlight: 0,
    });
    expect(stats.delivered).toBe(all.length);

    // Exactly once in the durable log: every (sessionId, seq), no repeats, even for retried batches.
    const log = await logged();
    const keys = log.map((e) => `${e.sessionId}#${e.seq}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(keys)).toEqual(new Set(all.map((e) => `${e.sessionId}#${e.seq}`)));
    expect((await readdir(join(dirs.dataDir, 'qoe'))).length).toBeGreaterThan(1);

    // Aggregates are those of the sessions played.
    const check = (s: QoeSummary) => {
      expect(s.overall).toMatchObject({ sessions: plans.length, ended: plans.length, active: 0 });
      expect(s.overall.rebufferCount).toBe(plans.reduce((n, p) => n + p.rebufferMs.length, 0));
      expect(s.overall.failovers).toBe(plans.filter((p) => p.failoverTo !== undefined).length);
      expect(s.overall.switches).toBe(plans.reduce((n, p) => n + p.switches, 0));
      STRATEGIES.forEach((strategy, i) => {
        const group = s.byStrategy[strategy]!;
        expect(group.sessions).toBe(SESSIONS_PER_STRATEGY);
        // Startup delays 100..1000 ms (+1000 per strategy): the median is 550 ms above that offset.
        expect(group.startupMs?.p50).toBeCloseTo(550 + 1000 * i, 9);
        expect(group.outcomes.completed).toBe(SESSIONS_PER_STRATEGY);
      });
      expect(s.byTitle.movie!.sessions + s.byTitle.show!.sessions).toBe(plans.length);
      expect(s.byEdge['edge-spare']!.failoversTo).toBe(
        plans.filter((p) => p.failoverTo !== undefined).length,
      );
    };
    const live = await summary(origin.url);
    check(live);

    // Once more from the log alone: a third start rebuilds the same aggregates.
    await origin.close();
    origin = await startOrigin(config(port), { logger: silentLogger() });
    const rebuilt = await summary(origin.url);
    check(rebuilt);
    expect({ ...rebuilt, generatedAt: '' }).toEqual({ ...live, generatedAt: '' });
  });
});
