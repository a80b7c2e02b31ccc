/**
 * Helpers for the fill tests: a real origin (the fastify app over a filesystem store) that counts
 * requests per path, free ports (so that cluster members can name each other before they listen),
 * reading one series from an edge's registry, and clients that hash bodies as they stream.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { TitleFile } from '../../manifests/index.js';
import { writeFakePackage, type FakePackageSpec } from '../../origin/store/fixtures.js';
import { hrwOwner, type Peer } from '../../edge/placement/hrw.js';
import { buildTestApp, makeDirs, removeDirs, type TestDirs } from '../origin/helpers.js';
import type { TestEdge } from './helpers.js';

export interface RealOrigin {
  url: string;
  app: FastifyInstance;
  titles: TitleFile[];
  /** Requests the origin received for a path (query included as sent). */
  count(path: string): number;
  /** Headers of the requests for a path, in arrival order. */
  requests(path: string): Record<string, string | string[] | undefined>[];
  close(): Promise<void>;
}

/** The origin app on 127.0.0.1 with the given fake titles published. */
export async function startRealOrigin(specs: FakePackageSpec[]): Promise<RealOrigin> {
  const dirs: TestDirs = await makeDirs('fill-origin-');
  const app = await buildTestApp(
    dirs,
    {},
    { createPipeline: () => () => Promise.reject(new Error('unused')) },
  );
  const seen = new Map<string, Record<string, string | string[] | undefined>[]>();
  // Recorded off the server's own 'request' event (the app is ready already, so no fastify hook).
  app.server.prependListener('request', (req: IncomingMessage) => {
    const path = req.url ?? '/';
    seen.set(path, [...(seen.get(path) ?? []), req.headers]);
  });
  const titles: TitleFile[] = [];
  for (const spec of specs) {
    const pkg = join(dirs.root, `pkg-${spec.titleId}`);
    titles.push(await writeFakePackage(pkg, spec));
    await app.origin.store.publish(pkg);
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    titles,
    count: (path) => seen.get(path)?.length ?? 0,
    requests: (path) => seen.get(path) ?? [],
    async close() {
      await app.close();
      await removeDirs(dirs);
    },
  };
}

/** A port free on 127.0.0.1 right now (the OS picks it; another process could take it, rarely). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The keys among `keys` that rendezvous hashing gives to `id`. */
export function ownedBy(keys: readonly string[], peers: readonly Peer[], id: string): string[] {
  return keys.filter((key) => hrwOwner(key, peers) === id);
}

/**
 * The value of one series in an edge's registry, e.g.
 * `cdn_edge_upstream_requests_total{source="peer",outcome="ok"}`; 0 when absent.
 */
export async function metricValue(edge: TestEdge, series: string): Promise<number> {
  for (const line of (await edge.registry.metrics()).split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}

export interface Fetched {
  status: number;
  headers: Headers;
  sizeBytes: number;
  sha256: string;
  /** The body, when small enough to keep (under 1 MiB); large bodies are only hashed. */
  body: Buffer | undefined;
}

/** A GET whose body is hashed as it streams (large bodies are never held whole by the test). */
export async function fetchHashed(url: string, headers: Record<string, string> = {}): Promise<Fetched> {
  const res = await fetch(url, { headers });
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let sizeBytes = 0;
  for await (const chunk of res.body ?? []) {
    const data = Buffer.from(chunk as Uint8Array);
    hash.update(data);
    sizeBytes += data.length;
    if (sizeBytes <= 1024 * 1024) chunks.push(data);
  }
  return {
    status: res.status,
    headers: res.headers,
    sizeBytes,
    sha256: hash.digest('hex'),
    body: sizeBytes <= 1024 * 1024 ? Buffer.concat(chunks) : undefined,
  };
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The origin's strong ETag for a body (origin/store/package.ts etagFromSha256). */
export function originEtag(data: Buffer): string {
  return `"${sha256Hex(data).slice(0, 32)}"`;
}
