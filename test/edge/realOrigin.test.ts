import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFakePackage } from '../../origin/store/fixtures.js';
import { buildTestApp, makeDirs, removeDirs, type TestDirs } from '../origin/helpers.js';
import { NODE, startTestEdge, type TestEdge } from './helpers.js';

/** The edge in front of the real origin (fastify app, filesystem store) over loopback sockets. */
let dirs: TestDirs;
let origin: FastifyInstance;
let edge: TestEdge;

beforeAll(async () => {
  dirs = await makeDirs('edge-origin-');
  origin = await buildTestApp(dirs, {}, { createPipeline: () => () => Promise.reject(new Error('unused')) });
  const pkg = join(dirs.root, 'pkg');
  await writeFakePackage(pkg, { titleId: 'film1', segmentBytes: 512 * 1024 });
  await origin.origin.store.publish(pkg);
  await origin.listen({ host: '127.0.0.1', port: 0 });
  const address = origin.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  edge = await startTestEdge(`http://127.0.0.1:${port}`, {}, { clock: { nowMs: Date.now() } });
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
  await removeDirs(dirs);
});

async function originSegmentRequests(): Promise<number> {
  const res = await origin.inject({ method: 'GET', url: '/metrics' });
  let total = 0;
  for (const line of res.body.split('\n')) {
    if (line.startsWith('cdn_origin_requests_total{') && line.includes('/content'))
      total += Number(line.split(' ').pop());
  }
  return total;
}

describe('edge in front of the real origin', () => {
  it('coalesces 200 concurrent misses for a 512 KiB segment into one origin request', async () => {
    const path = '/content/film1/video/v0/00002.m4s';
    const direct = (await origin.inject({ method: 'GET', url: path })).rawPayload;
    const before = await originSegmentRequests();
    const results = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const res = await fetch(`${edge.url}${path}`);
        return {
          status: res.status,
          cacheStatus: res.headers.get('cache-status'),
          body: Buffer.from(await res.arrayBuffer()),
        };
      }),
    );
    expect((await originSegmentRequests()) - before).toBe(1);
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body.equals(direct)).toBe(true);
    }
    expect(results.filter((r) => r.cacheStatus?.endsWith('; stored'))).toHaveLength(1);
    const again = await fetch(`${edge.url}${path}`);
    expect(again.headers.get('cache-status')).toBe(`${NODE}; hit`);
    expect(again.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
  });
});
