import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeEach } from 'vitest';
import type { TitleFile } from '../../manifests/index.js';
import { writeFakePackage, type FakePackageSpec } from '../../origin/store/fixtures.js';
import { buildTestApp, makeDirs, removeDirs, type TestDirs } from '../origin/helpers.js';
import type { TestEdge } from './helpers.js';

/** The real origin (fastify app, filesystem store) on 127.0.0.1, logging the paths edges ask for. */
export interface RealOrigin {
  app: FastifyInstance;
  url: string;
  /** Paths requested over the socket (edges), in order; inject() calls are not listed. */
  requests: string[];
  count(path: string): number;
  /** Starts a new window of the request log (the origin is shared by a test file). */
  mark(): void;
  /** Paths requested since the last mark(). */
  since(): string[];
  publish(spec: FakePackageSpec): Promise<TitleFile>;
  /** `n` GETs of `path` through inject(): popularity without touching the request log. */
  hit(path: string, n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startRealOrigin(): Promise<RealOrigin> {
  const dirs: TestDirs = await makeDirs('edge-proactive-');
  const app = await buildTestApp(
    dirs,
    {},
    { createPipeline: () => () => Promise.reject(new Error('unused')) },
  );
  const requests: string[] = [];
  let marked = 0;
  app.server.on('request', (req: { url?: string }) => requests.push(req.url ?? ''));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (path) => requests.filter((p) => p === path).length,
    mark: () => {
      marked = requests.length;
    },
    since: () => requests.slice(marked),
    async publish(spec) {
      const dir = join(dirs.root, `pkg-${spec.titleId}-${spec.seed ?? 'a'}`);
      const title = await writeFakePackage(dir, spec);
      await app.origin.store.publish(dir);
      return title;
    },
    async hit(path, n) {
      for (let i = 0; i < n; i++) await app.inject({ method: 'GET', url: path });
    },
    async close() {
      await app.close();
      await removeDirs(dirs);
    },
  };
}

/** Versioned URL of a package file (what the pinned manifests lead players to). */
export function versioned(title: TitleFile, path: string): string {
  return `/content/${title.id}/v/${title.version}/${path}`;
}

/** Every object proactive fill brings in for a title: manifests, playlists, inits, segments. */
export function titleObjectPaths(title: TitleFile): string[] {
  const out = [`/content/${title.id}/${title.manifests.dash}`, `/content/${title.id}/${title.manifests.hls}`];
  for (const t of title.tracks) {
    out.push(versioned(title, t.playlist), versioned(title, t.init.path));
    for (const s of t.segments) out.push(versioned(title, s.path));
  }
  return out;
}

/** The value of one Prometheus sample line (0 when absent). */
export function sample(metrics: string, line: string): number {
  const found = metrics.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

/**
 * Hooks of a test file with one origin and one edge per test: the origin's request log is marked
 * before each test, the test's edge closed after it (`drop` forgets it), the origin closed at the end.
 */
export function originSuiteHooks(
  origin: () => RealOrigin | undefined,
  edge: () => TestEdge | undefined,
  drop: () => void,
): void {
  beforeEach(() => origin()?.mark());
  afterEach(async () => {
    await edge()?.close();
    drop();
  });
  afterAll(async () => {
    await origin()?.close();
  });
}
