/**
 * Client-side and storage faults against a real edge on 127.0.0.1: oversized heads, malformed
 * URLs, preconditions, a client that stops reading, a failing disk tier, corrupt files in the disk
 * tier, and a restart under load. Every case checks that nothing wrong is served and that the
 * process keeps answering.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DiskFs } from '../../edge/cache/diskStore.js';
import {
  makeTempDir,
  objectHandler,
  rawGet,
  removeDir,
  startStubOrigin,
  startTestEdge,
  until,
  type StubOrigin,
  type TestEdge,
} from './helpers.js';

const SEG = '/content/t1/video/v0/00001.m4s';
const BODY = randomBytes(256 * 1024);
const IMMUTABLE = 'public, max-age=31536000, immutable';

let origin: StubOrigin;
let edge: TestEdge | undefined;
let dir: string | undefined;

beforeEach(async () => {
  origin = await startStubOrigin();
  origin.routes.set(SEG, objectHandler(BODY, IMMUTABLE));
});

afterEach(async () => {
  await edge?.close();
  edge = undefined;
  await origin.close();
  await removeDir(dir);
  dir = undefined;
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${edge!.url}${path}`, { headers });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Sends raw bytes and returns everything the server answers until it closes (or `timeoutMs`). */
function rawExchange(base: string, request: string, timeoutMs = 5000): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.on('error', reject);
    socket.write(request);
  });
}

async function objectFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fsp.readdir(join(root, 'objects'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

describe('edge: hostile and malformed requests', () => {
  it('answers 431 to an oversized request head and keeps serving', async () => {
    edge = await startTestEdge(origin.url, { http: { maxHeaderBytes: 4096 } });
    const answer = await rawExchange(
      edge.url,
      `GET ${SEG} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\nConnection: close\r\n\r\n`,
    );
    expect(answer.startsWith('HTTP/1.1 431')).toBe(true);
    const { res, body } = await get(SEG);
    expect(res.status).toBe(200);
    expect(body.equals(BODY)).toBe(true);
  });

  it.each([
    ['/content/t1/video/%zz/00001.m4s'],
    ['/content/t1/video/v0/..%2f..%2fetc%2fpasswd'],
    ['/content/t1/./video/v0/00001.m4s'],
    ['/content//t1/video/v0/00001.m4s'],
    [`/content/t1/${'a'.repeat(9000)}.m4s`],
    ['/content/t1/video/v0/00001.m4s%00'],
  ])('refuses %s with a coded 4xx and never asks the origin', async (path) => {
    edge = await startTestEdge(origin.url);
    const { status, body } = await rawGet(edge.url, path);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect((JSON.parse(body) as { error: string }).error).toMatch(/^EDGE_ERR_/);
    expect(origin.requests).toHaveLength(0);
  });

  it('answers a garbled request line with 400 and keeps serving', async () => {
    edge = await startTestEdge(origin.url);
    const answer = await rawExchange(edge.url, 'GARBAGE\r\n\r\n');
    expect(answer.startsWith('HTTP/1.1 400')).toBe(true);
    expect((await get(SEG)).res.status).toBe(200);
  });

  it('answers 412 to an If-Match or If-Unmodified-Since that does not hold, 200 when it holds', async () => {
    edge = await startTestEdge(origin.url);
    await get(SEG);
    const failed = await get(SEG, { 'if-match': '"other"' });
    expect(failed.res.status).toBe(412);
    expect((JSON.parse(failed.body.toString()) as { error: string }).error).toBe(
      'EDGE_ERR_PRECONDITION_FAILED',
    );
    expect((await get(SEG, { 'if-unmodified-since': 'Tue, 31 Dec 2024 00:00:00 GMT' })).res.status).toBe(412);
    const held = await get(SEG, { 'if-match': '"v1"' });
    expect(held.res.status).toBe(200);
    expect(held.body.equals(BODY)).toBe(true);
  });
});

describe('edge: slow clients', () => {
  it('cuts a client that stops reading after the send timeout; others are served meanwhile', async () => {
    // Larger than what loopback socket buffers absorb, so the server's writes stall.
    const big = randomBytes(24 * 1024 * 1024);
    const path = '/content/t1/video/v0/00002.m4s';
    origin.routes.set(path, objectHandler(big, IMMUTABLE));
    edge = await startTestEdge(origin.url, {
      http: { sendTimeoutMs: 400 },
      memory: { maxBytes: 64 * 1024 * 1024 },
    });
    await get(path); // cached: the stalled client is answered from memory
    const { hostname, port } = new URL(edge.url);
    const socket = connect(Number(port), hostname);
    socket.pause(); // never read: the server's send buffer fills and stays full
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const inflight = async (): Promise<number> =>
      (await edge!.registry.getSingleMetric('cdn_edge_inflight_requests')!.get()).values[0]!.value;
    await until(async () => (await inflight()) === 1);
    const other = await get(SEG);
    expect(other.res.status).toBe(200);
    // The stalled response is abandoned after the send timeout; without it, it would stay in flight.
    await until(async () => (await inflight()) === 0, 10_000);
    socket.destroy();
  });
});

describe('edge: disk tier faults', () => {
  function failingWrites(state: { failing: boolean }): DiskFs {
    return {
      ...fsp,
      open: ((path: string, flags?: string) => {
        if (state.failing && flags === 'wx') {
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        }
        return fsp.open(path, flags);
      }) as DiskFs['open'],
    };
  }

  it('a full disk: memory keeps serving, readiness and metrics report it, and it recovers', async () => {
    dir = await makeTempDir();
    const state = { failing: true };
    edge = await startTestEdge(origin.url, {}, { diskDir: dir, diskFs: failingWrites(state) });
    const first = await get(SEG);
    expect(first.res.status).toBe(200);
    await until(async () => (await fetch(`${edge!.url}/readyz`)).status === 503);
    const ready = await fetch(`${edge.url}/readyz`);
    expect(((await ready.json()) as { message: string }).message).toMatch(/disk/);
    const hit = await get(SEG);
    expect(hit.res.headers.get('cache-status')).toMatch(/; hit$/);
    expect(hit.body.equals(BODY)).toBe(true);
    const metrics = await edge.registry.metrics();
    expect(metrics).toMatch(/cdn_edge_cache_tier_healthy\{tier="disk"\} 0/);
    expect(metrics).toMatch(/cdn_edge_cache_write_errors_total\{tier="disk"\} [1-9]/);
    // Space comes back: the next stored object heals the tier.
    state.failing = false;
    const other = '/content/t1/video/v0/00003.m4s';
    origin.routes.set(other, objectHandler(randomBytes(1000), IMMUTABLE));
    await get(other);
    await until(async () => (await fetch(`${edge!.url}/readyz`)).status === 200);
  });

  it('a corrupt file in the disk tier is dropped and refetched, never served', async () => {
    dir = await makeTempDir();
    edge = await startTestEdge(origin.url, {}, { diskDir: dir });
    await get(SEG);
    await until(async () => (await objectFiles(dir!)).length === 1);
    await edge.close();
    const [file] = await objectFiles(dir);
    const handle = await fsp.open(file!, 'r+');
    await handle.write(Buffer.from([0xff ^ BODY[1000]!]), 0, 1, 1000);
    await handle.close();
    edge = await startTestEdge(origin.url, {}, { diskDir: dir });
    const again = await get(SEG);
    expect(again.res.status).toBe(200);
    expect(sha(again.body)).toBe(sha(BODY));
    expect(origin.count(SEG)).toBe(2);
    expect(await edge.registry.metrics()).toMatch(/cdn_edge_cache_corruptions_total\{tier="disk"\} 1/);
  });

  it('a bit flipped in a disk file after its last hash is caught when promoted, never served', async () => {
    dir = await makeTempDir();
    // Room in memory for one 256 KiB object: every other request promotes from disk.
    edge = await startTestEdge(origin.url, { memory: { maxBytes: 300 * 1024 } }, { diskDir: dir });
    const other = '/content/t1/video/v0/00007.m4s';
    const otherBody = randomBytes(256 * 1024);
    origin.routes.set(other, objectHandler(otherBody, IMMUTABLE));
    await get(SEG);
    await get(other);
    await until(async () => (await objectFiles(dir!)).length === 2);
    // SEG from disk (hashed on this first read, promoted), then `other` from disk (SEG leaves memory).
    expect((await get(SEG)).body.equals(BODY)).toBe(true);
    expect((await get(other)).body.equals(otherBody)).toBe(true);
    const handle = await fsp.open(edge.disk!.pathOf(SEG), 'r+');
    await handle.write(Buffer.from([0xff ^ BODY[5000]!]), 0, 1, 5000);
    await handle.close();
    // Within the re-verify interval the disk tier does not hash it again; promotion does.
    const again = await get(SEG);
    expect(again.res.status).toBe(200);
    expect(sha(again.body)).toBe(sha(BODY));
    expect(origin.count(SEG)).toBe(2);
    expect(await edge.registry.metrics()).toMatch(/cdn_edge_cache_corruptions_total\{tier="disk"\} 1/);
  });

  it('a truncated file in the disk tier is dropped at open and refetched', async () => {
    dir = await makeTempDir();
    edge = await startTestEdge(origin.url, {}, { diskDir: dir });
    await get(SEG);
    await until(async () => (await objectFiles(dir!)).length === 1);
    await edge.close();
    const [file] = await objectFiles(dir);
    await fsp.truncate(file!, 5000);
    edge = await startTestEdge(origin.url, {}, { diskDir: dir });
    const again = await get(SEG);
    expect(sha(again.body)).toBe(sha(BODY));
    expect(origin.count(SEG)).toBe(2);
  });
});

describe('edge: restart under load', () => {
  it('clients see whole correct bodies or a failed connection, never wrong bytes; hits resume from disk', async () => {
    dir = await makeTempDir();
    const paths = Array.from(
      { length: 8 },
      (_, i) => `/content/t1/video/v0/${String(i + 10).padStart(5, '0')}.m4s`,
    );
    const bodies = new Map(paths.map((p) => [p, randomBytes(128 * 1024)]));
    for (const p of paths) origin.routes.set(p, objectHandler(bodies.get(p)!, IMMUTABLE));
    edge = await startTestEdge(origin.url, { listen: { host: '127.0.0.1', port: 0 } }, { diskDir: dir });
    const port = Number(new URL(edge.url).port);
    let stop = false;
    const outcomes = { ok: 0, failed: 0, wrong: 0 };
    const load = Array.from({ length: 8 }, async (_, worker) => {
      for (let i = 0; !stop; i++) {
        const p = paths[(i + worker) % paths.length]!;
        try {
          const res = await fetch(`http://127.0.0.1:${port}${p}`, { signal: AbortSignal.timeout(3000) });
          const body = Buffer.from(await res.arrayBuffer());
          if (res.status === 200 && body.equals(bodies.get(p)!)) outcomes.ok++;
          else if (res.status === 200) outcomes.wrong++;
          else outcomes.failed++;
        } catch {
          outcomes.failed++;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    });
    await until(() => outcomes.ok > 50);
    await edge.close();
    edge = await startTestEdge(origin.url, { listen: { host: '127.0.0.1', port } }, { diskDir: dir });
    const okBefore = outcomes.ok;
    await until(() => outcomes.ok > okBefore + 50);
    stop = true;
    await Promise.all(load);
    expect(outcomes.wrong).toBe(0);
    // Every object was on disk before the restart: the restarted edge did not go upstream again.
    expect(paths.every((p) => origin.count(p) === 1)).toBe(true);
  });
});

describe('edge: access log', () => {
  it('logs one line per content request with status, bytes, duration and cache status', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n'))
          if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    edge = await startTestEdge(origin.url, { accessLog: true }, { logger: pino({ level: 'info' }, sink) });
    await get(SEG);
    await get(SEG);
    await until(() => lines.filter((l) => l.component === 'edge-access').length === 2);
    const access = lines.filter((l) => l.component === 'edge-access');
    expect(access.map((l) => l.status)).toEqual([200, 200]);
    expect(access[1]).toMatchObject({
      method: 'GET',
      path: SEG,
      completed: true,
    });
    expect(String(access[1]!.cacheStatus)).toMatch(/; hit$/);
    expect(access[1]!.bytes).toBeGreaterThan(BODY.length);
    expect(typeof access[1]!.durationMs).toBe('number');
  });
});
