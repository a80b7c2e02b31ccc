/**
 * Disk-tier hits of objects the memory tier cannot hold: streamed from the file through reused
 * buffers rather than read whole. Whole and partial bodies, HEAD and 304 from a streamed object, a
 * client that leaves mid-body (no descriptor left open), and a file cut or flipped on disk.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex as sha } from '../../edge/cache/body.js';
import {
  ADMIN_TOKEN,
  makeTempDir,
  objectHandler,
  removeDir,
  startStubOrigin,
  startTestEdge,
  until,
  type StubOrigin,
  type TestEdge,
} from './helpers.js';

const SEG = '/content/t1/video/v0/00001.m4s';
/** Over one stream piece (512 KiB), not a multiple of it. */
const BODY = randomBytes(700 * 1024 + 123);
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The smallest memory tier: it holds none of the objects, so every hit comes from disk. */
const TINY_MEMORY = { memory: { maxBytes: 1024 } };

let origin: StubOrigin;
let edge: TestEdge | undefined;
let dir: string | undefined;

beforeEach(async () => {
  origin = await startStubOrigin();
  origin.routes.set(SEG, objectHandler(BODY, IMMUTABLE));
  dir = await makeTempDir();
  edge = await startTestEdge(origin.url, TINY_MEMORY, { diskDir: dir });
});

afterEach(async () => {
  await edge?.close();
  edge = undefined;
  await origin.close();
  await removeDir(dir);
  dir = undefined;
});

async function get(path: string, init: RequestInit = {}) {
  const res = await fetch(`${edge!.url}${path}`, init);
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

/** Descriptors this process has open on files of the disk tier (Linux). */
async function openCacheFiles(): Promise<number> {
  let count = 0;
  for (const fd of await fsp.readdir('/proc/self/fd')) {
    const target = await fsp.readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir!)) count++;
  }
  return count;
}

/** Purges SEG from the edge. */
async function purge(key = SEG): Promise<void> {
  const res = await fetch(`${edge!.url}/admin/purge`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ key }),
  });
  expect(res.status).toBe(200);
}

/** Fills SEG and waits until the disk tier holds it. */
async function fillToDisk(): Promise<void> {
  const first = await get(SEG);
  expect(first.res.headers.get('cache-status')).toMatch(/fwd=miss/);
  await until(() => Promise.resolve(edge!.disk!.has(SEG)));
}

describe('edge: disk hits streamed from the file', () => {
  it('serves whole bodies and ranges across piece boundaries, HEAD and 304, from disk only', async () => {
    await fillToDisk();
    for (let i = 0; i < 3; i++) {
      const hit = await get(SEG);
      expect(hit.res.status).toBe(200);
      expect(hit.res.headers.get('cache-status')).toMatch(/; hit$/);
      expect(hit.res.headers.get('content-length')).toBe(String(BODY.length));
      expect(sha(hit.body)).toBe(sha(BODY));
    }
    expect(edge!.memory.stats().objects).toBe(0);
    for (const [from, to] of [
      [0, 0],
      [262_000, 263_000],
      [524_287, 524_288],
      [BODY.length - 10, BODY.length - 1],
    ] as const) {
      const part = await get(SEG, { headers: { range: `bytes=${from}-${to}` } });
      expect(part.res.status).toBe(206);
      expect(part.res.headers.get('content-range')).toBe(`bytes ${from}-${to}/${BODY.length}`);
      expect(part.body.equals(BODY.subarray(from, to + 1))).toBe(true);
    }
    const head = await get(SEG, { method: 'HEAD' });
    expect(head.res.status).toBe(200);
    expect(head.res.headers.get('content-length')).toBe(String(BODY.length));
    expect(head.body.length).toBe(0);
    const notModified = await get(SEG, { headers: { 'if-none-match': '"v1"' } });
    expect(notModified.res.status).toBe(304);
    const unsatisfiable = await get(SEG, { headers: { range: `bytes=${BODY.length}-` } });
    expect(unsatisfiable.res.status).toBe(416);
    expect(origin.count(SEG)).toBe(1);
    // One descriptor, kept for the next hit (every response released it: a purge closes it).
    expect(await openCacheFiles()).toBe(1);
    await purge();
    await until(async () => (await openCacheFiles()) === 0);
  });

  it('releases the file when a client leaves mid-body, and keeps serving others', async () => {
    // Larger than the socket buffers take at once, so that the edge is mid-body when the client goes.
    const big = '/content/t1/video/v0/00002.m4s';
    const bigBody = randomBytes(12 * 1024 * 1024);
    origin.routes.set(big, objectHandler(bigBody, IMMUTABLE));
    expect(sha((await get(big)).body)).toBe(sha(bigBody));
    await until(() => Promise.resolve(edge!.disk!.has(big)));
    const { hostname, port } = new URL(edge!.url);
    const socket = connect(Number(port), hostname);
    socket.write(`GET ${big} HTTP/1.1\r\nHost: edge\r\n\r\n`);
    socket.pause(); // reads nothing: the edge fills the socket buffers and waits
    await until(async () => (await openCacheFiles()) === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    const after = await get(big);
    expect(sha(after.body)).toBe(sha(bigBody));
    // The response that was cut released the file too: once the object is purged it is closed.
    await purge(big);
    await until(async () => (await openCacheFiles()) === 0);
  });

  it('drops a file cut short on disk and refetches it, never serving the cut body', async () => {
    await fillToDisk();
    await fsp.truncate(edge!.disk!.pathOf(SEG), 300 * 1024);
    const again = await get(SEG);
    expect(again.res.status).toBe(200);
    expect(sha(again.body)).toBe(sha(BODY));
    expect(origin.count(SEG)).toBe(2);
    expect(await edge!.registry.metrics()).toMatch(/cdn_edge_cache_corruptions_total\{tier="disk"\} 1/);
  });

  it('hashes the file in pieces on its first read: a flipped byte is dropped and refetched', async () => {
    await fillToDisk();
    const handle = await fsp.open(edge!.disk!.pathOf(SEG), 'r+');
    await handle.write(Buffer.from([0xff ^ BODY[600_000]!]), 0, 1, 600_000);
    await handle.close();
    const again = await get(SEG);
    expect(sha(again.body)).toBe(sha(BODY));
    expect(origin.count(SEG)).toBe(2);
    expect(await edge!.registry.metrics()).toMatch(/cdn_edge_cache_corruptions_total\{tier="disk"\} 1/);
  });
});
