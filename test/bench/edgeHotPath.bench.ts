/**
 * Micro-benchmark of the edge's per-request work outside the socket (not in CI):
 *   node --import tsx test/bench/edgeHotPath.bench.ts   (or from dist after `npm run build`)
 *
 * Each line pairs the plain function with what the HTTP shell runs, in one process, alternating
 * A B A B for 3 rounds, median ns (or µs) per call:
 *   - cache key: cacheKeyFor (decode, check and re-encode every segment) against CacheKeyer
 *     (remembered per raw path), on fresh strings as req.url gives them;
 *   - freshness: decideCache parsing the stored Cache-Control and dates against a kept summary;
 *   - disk tier: a 2 KB get() (one read through a kept descriptor) and a 1 MiB body read whole
 *     into a new buffer against streamed through the stream pool, with the CPU per call.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamPool } from '../../edge/cache/bufferPool.js';
import { DiskStore } from '../../edge/cache/diskStore.js';
import { CacheKeyer, cacheKeyFor } from '../../edge/policy/cacheKey.js';
import { decideCache, summariseStored, type StoredResponse } from '../../edge/policy/freshness.js';
import { fmt, median, table } from './lib/stats.js';

const ROUNDS = 3;
const SYNC_CALLS = 1_000_000;

/** ns per call of a synchronous function, after a warm-up. */
function nsPerCall(fn: (i: number) => unknown, calls = SYNC_CALLS): number {
  for (let i = 0; i < calls / 10; i++) fn(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / calls;
}

/** Wall µs and CPU µs per call of an async function, `concurrency` at a time for `durationMs`. */
async function usPerCall(
  fn: () => Promise<unknown>,
  concurrency = 32,
  durationMs = 1500,
): Promise<{ wallUs: number; cpuUs: number }> {
  let calls = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - t0 < durationMs) {
        await fn();
        calls++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { wallUs: ((performance.now() - t0) * 1000) / calls, cpuUs: (cpu.user + cpu.system) / calls };
}

async function main(): Promise<void> {
  const rows: string[][] = [['case', 'before', 'after', 'after/before']];
  const paths = Array.from(
    { length: 200 },
    (_, i) => `/content/bench-1m/v/20250301-abc/video/v${i % 4}/${String(i).padStart(5, '0')}.m4s`,
  );
  // A new string per call, as node:http hands over req.url.
  const target = (i: number): string => `${paths[i % paths.length]!}?CMCD=bl%3D${i % 7}`;
  const options = { queryWhitelist: [] };
  const keyer = new CacheKeyer(options);
  const keys = { before: [] as number[], after: [] as number[] };
  const stored: StoredResponse = {
    status: 200,
    headers: {
      'content-type': 'video/iso.segment',
      etag: '"00112233445566778899aabbccddeeff"',
      'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT',
      'cache-control': 'public, max-age=31536000, immutable',
      date: new Date().toUTCString(),
    },
    requestTimeMs: Date.now() - 3,
    responseTimeMs: Date.now(),
  };
  const request = { method: 'GET', headers: { host: 'edge', accept: '*/*', 'user-agent': 'player' } };
  const summary = summariseStored(stored);
  const decide = { before: [] as number[], after: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    keys.before.push(nsPerCall((i) => cacheKeyFor('GET', target(i), options)));
    keys.after.push(nsPerCall((i) => keyer.keyFor('GET', target(i))));
    decide.before.push(nsPerCall(() => decideCache(stored, request, Date.now())));
    decide.after.push(nsPerCall(() => decideCache(stored, request, Date.now(), undefined, summary)));
  }
  for (const [name, r] of [
    ['cache key (ns/call)', keys],
    ['decideCache on a fresh hit (ns/call)', decide],
  ] as const) {
    const before = median(r.before);
    const after = median(r.after);
    rows.push([name, fmt(before), fmt(after), fmt(after / before, 3)]);
  }

  const dir = await mkdtemp(join(tmpdir(), 'edge-hot-path-'));
  try {
    const store = new DiskStore({ dir, maxBytes: 1 << 30 });
    await store.open();
    const put = (key: string, size: number) =>
      store.put(
        { key, status: 200, headers: { 'content-type': 'video/mp4' }, requestTimeMs: 0, responseTimeMs: 0 },
        Buffer.alloc(size, 7),
      );
    await put('/small', 2015);
    await put('/big', 1 << 20);
    await store.get('/small');
    await store.get('/big');
    const small: number[] = [];
    const whole: number[] = [];
    const streamed: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      small.push((await usPerCall(() => store.get('/small'))).cpuUs);
      whole.push((await usPerCall(() => store.get('/big'), 8)).cpuUs);
      streamed.push(
        (
          await usPerCall(async () => {
            const reader = (await store.openBody('/big'))!;
            const piece = streamPool.take();
            try {
              for (let at = 0; at < reader.meta.sizeBytes; at += piece.length) {
                await reader.read(piece, at, piece.length);
              }
            } finally {
              streamPool.give(piece);
              reader.close();
            }
          }, 8)
        ).cpuUs,
      );
    }
    rows.push(['disk get, 2 KB (CPU µs/call)', '-', fmt(median(small), 1), '-']);
    rows.push([
      'disk 1 MiB: read whole vs streamed (CPU µs/call)',
      fmt(median(whole), 1),
      fmt(median(streamed), 1),
      fmt(median(streamed) / median(whole), 3),
    ]);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`edge hot path, median of ${ROUNDS} rounds (before = the plain function, after = the shell's)`);
  console.log(table(rows));
}

await main();
