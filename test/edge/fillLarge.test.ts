import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchHashed, originEtag, sha256Hex, startRealOrigin, type RealOrigin } from './fillHelpers.js';
import {
  NODE,
  makeTempDir,
  removeDir,
  startStubOrigin,
  startTestEdge,
  until,
  type StubOrigin,
  type TestEdge,
} from './helpers.js';

/**
 * Large fills: bodies over `fill.bufferMaxBytes` stream into the disk tier as they arrive and are
 * never held whole by the fill (nor put in the memory tier); requests that join after the replay
 * window are forwarded; broken large bodies leave nothing behind.
 */
const MIB = 1024 * 1024;

let edge: TestEdge | undefined;
let dir: string | undefined;
let origin: RealOrigin | undefined;
let stub: StubOrigin | undefined;

afterEach(async () => {
  await edge?.close();
  edge = undefined;
  await origin?.close();
  origin = undefined;
  await stub?.close();
  stub = undefined;
  await removeDir(dir);
  dir = undefined;
});

/** Samples `read()` on every turn of the event loop until `stop` settles; the largest value. */
async function peakWhile(read: () => number, stop: Promise<unknown>): Promise<number> {
  let peak = 0;
  let done = false;
  void stop.finally(() => {
    done = true;
  });
  while (!done) {
    peak = Math.max(peak, read());
    await new Promise((r) => setImmediate(r));
  }
  return peak;
}

describe('large fills stream to the disk tier', () => {
  it('a 21 MiB segment from the real origin: two clients stream it, the fill keeps at most its bound, disk holds the verified bytes', async () => {
    origin = await startRealOrigin([{ titleId: 'big', segmentBytes: 21 * MIB, segmentCount: 1 }]);
    const segment = origin.titles[0]!.tracks.find((t) => t.type === 'video')!.segments[0]!;
    const key = `/content/big/${segment.path}`;
    dir = await makeTempDir();
    // The memory tier could hold it: it is kept out because the fill never assembles it.
    edge = await startTestEdge(origin.url, { memory: { maxBytes: 64 * MIB } }, { diskDir: dir });
    const bound = 8 * MIB;

    const clients = Promise.all([fetchHashed(`${edge.url}${key}`), fetchHashed(`${edge.url}${key}`)]);
    await until(() => edge!.app.filler.get(key) !== undefined);
    const fill = edge.app.filler.get(key)!;
    const peakKept = await peakWhile(() => fill.keptBytes, clients);
    const [a, b] = await clients;
    for (const r of [a, b]) {
      expect(r.status).toBe(200);
      expect(r.sizeBytes).toBe(segment.sizeBytes);
      expect(r.sha256).toBe(segment.sha256);
    }
    expect(origin.count(key)).toBe(1);
    expect(peakKept).toBeGreaterThan(0);
    expect(peakKept).toBeLessThanOrEqual(bound);
    expect(fill.replayable).toBe(false);
    expect(fill.keptBytes).toBe(0);

    await until(() => edge!.disk!.has(key));
    expect(edge.memory.has(key)).toBe(false);
    expect(edge.disk!.peek(key)?.sha256).toBe(segment.sha256);
    const stored = await edge.disk!.get(key);
    expect(stored?.body.length).toBe(segment.sizeBytes);
    expect(sha256Hex(stored!.body)).toBe(segment.sha256);
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);

    const again = await fetchHashed(`${edge.url}${key}`);
    expect(again.headers.get('cache-status')).toBe(`${NODE}; hit`);
    expect(again.sha256).toBe(segment.sha256);
    expect(origin.count(key)).toBe(1);
  });

  it('a request joining after the replay window is forwarded, not replayed; the object is stored once', async () => {
    stub = await startStubOrigin();
    const body = randomBytes(3 * MIB);
    const key = '/content/t1/progressive.mp4';
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let calls = 0;
    stub.routes.set(key, (_req, res: ServerResponse) => {
      calls++;
      res.writeHead(200, {
        'content-type': 'video/mp4',
        'content-length': body.length,
        etag: originEtag(body),
        'cache-control': 'public, max-age=600',
      });
      if (calls > 1) {
        res.end(body);
        return;
      }
      res.write(body.subarray(0, 2 * MIB));
      void released.then(() => res.end(body.subarray(2 * MIB)));
    });
    dir = await makeTempDir();
    edge = await startTestEdge(stub.url, { fill: { bufferMaxBytes: MIB } }, { diskDir: dir });

    const first = fetchHashed(`${edge.url}${key}`);
    // Settled in the test; this only keeps a failing test from leaving an unhandled rejection.
    first.catch(() => undefined);
    // Past the 1 MiB window: the fill let its chunks go.
    await until(() => edge!.app.filler.get(key)?.replayable === false);
    expect(edge.app.filler.get(key)!.keptBytes).toBe(0);
    const late = await fetchHashed(`${edge.url}${key}`);
    expect(late.status).toBe(200);
    expect(late.headers.get('cache-status')).toBe(`${NODE}; fwd=bypass; fwd-status=200`);
    expect(late.sha256).toBe(sha256Hex(body));

    release();
    const r = await first;
    expect(r.sha256).toBe(sha256Hex(body));
    await until(() => edge!.disk!.has(key));
    expect(edge.memory.has(key)).toBe(false);
    expect(edge.disk!.stats().objects).toBe(1);
    expect((await fetchHashed(`${edge.url}${key}`)).headers.get('cache-status')).toBe(`${NODE}; hit`);
    expect(stub.count(key)).toBe(2);
  });

  it('a truncated or corrupt large body cuts its clients and leaves no object and no temp file', async () => {
    stub = await startStubOrigin();
    const body = randomBytes(3 * MIB);
    const bad = Buffer.from(body);
    bad[bad.length - 10]! ^= 0xff;
    const key = '/content/t1/video/v0/00009.m4s';
    let mode: 'truncate' | 'corrupt' | 'good' = 'truncate';
    stub.routes.set(key, (_req, res: ServerResponse) => {
      res.writeHead(200, {
        'content-type': 'video/mp4',
        'content-length': body.length,
        etag: originEtag(body),
        'cache-control': 'public, max-age=600',
      });
      if (mode === 'truncate') {
        res.write(body.subarray(0, 2 * MIB), () => setTimeout(() => res.destroy(), 20));
        return;
      }
      res.end(mode === 'corrupt' ? bad : body);
    });
    dir = await makeTempDir();
    edge = await startTestEdge(stub.url, { fill: { bufferMaxBytes: MIB } }, { diskDir: dir });

    for (const [m, outcome] of [
      ['truncate', 'truncated'],
      ['corrupt', 'corrupt'],
    ] as const) {
      mode = m;
      await expect(fetchHashed(`${edge.url}${key}`), m).rejects.toThrow();
      await until(() => edge!.app.filler.inflightCount === 0);
      expect(edge.disk!.has(key), m).toBe(false);
      expect(edge.disk!.stats().objects, m).toBe(0);
      await until(async () => (await readdir(join(dir!, 'tmp'))).length === 0);
      expect(await edge.registry.metrics()).toContain(
        `cdn_edge_upstream_requests_total{source="origin",outcome="${outcome}"} 1`,
      );
    }

    mode = 'good';
    const ok = await fetchHashed(`${edge.url}${key}`);
    expect(ok.sha256).toBe(sha256Hex(body));
    await until(() => edge!.disk!.has(key));
    expect(stub.count(key)).toBe(3);
  });
});
