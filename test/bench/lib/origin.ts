/**
 * A real origin for the benchmarks, in the driver's process (it only serves fills, not the
 * measured load): the filesystem store in a temp data dir with generated title packages published
 * through it, so objects carry the origin's real headers (strong ETag, Last-Modified,
 * Content-Type, immutable Cache-Control on versioned paths).
 */
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { Counter } from 'prom-client';
import { createMetricsRegistry } from '../../../common/metrics.js';
import type { TitleFile } from '../../../manifests/index.js';
import { buildOriginApp } from '../../../origin/app.js';
import { originConfigFromInput } from '../../../origin/config.js';
import { writeFakePackage, type FakePackageSpec } from '../../../origin/store/fixtures.js';
import { onCleanup } from './processes.js';

export interface BenchOrigin {
  /** `http://127.0.0.1:port`. */
  url: string;
  dataDir: string;
  titles: ReadonlyMap<string, TitleFile>;
  /** The directory holding a title's published version (what nginx can serve statically). */
  versionDir(titleId: string): string;
  /** The versioned (immutable) URL path of a file of a title: `/content/{id}/v/{version}/{file}`. */
  contentPath(titleId: string, file: string): string;
  /** Requests the origin has answered under `/content` so far (from its own metrics). */
  contentRequests(): Promise<number>;
  close(): Promise<void>;
}

/** Publishes `titles` (generated packages, written under `root`) and starts the origin on 127.0.0.1. */
export async function startBenchOrigin(
  root: string,
  titles: readonly FakePackageSpec[],
): Promise<BenchOrigin> {
  const dataDir = join(root, 'origin-data');
  const registry = createMetricsRegistry({ processMetrics: false });
  const app = await buildOriginApp({
    config: originConfigFromInput({ dataDir, authDisabled: true, logLevel: 'silent', port: 0 }),
    registry,
    createPipeline: () => () => Promise.reject(new Error('no jobs in the benchmark')),
  });
  const published = new Map<string, TitleFile>();
  for (const spec of titles) {
    const pkg = join(root, 'packages', spec.titleId);
    published.set(spec.titleId, await writeFakePackage(pkg, spec));
    await app.origin.store.publish(pkg);
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const close = (): Promise<void> => app.close();
  const unregister = onCleanup(close);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // nginx workers (another user unless run as root) read published files too.
  for (const d of [root, dataDir, join(dataDir, 'titles')]) await chmod(d, 0o755);
  for (const id of published.keys()) {
    await chmod(join(dataDir, 'titles', id), 0o755);
    await chmod(join(dataDir, 'titles', id, 'versions'), 0o755);
  }
  const title = (id: string): TitleFile => {
    const t = published.get(id);
    if (t === undefined) throw new Error(`no title ${id} in the benchmark origin`);
    return t;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    titles: published,
    versionDir: (id) => join(dataDir, 'titles', id, 'versions', title(id).version),
    contentPath: (id, file) => `/content/${id}/v/${title(id).version}/${file}`,
    async contentRequests() {
      const counter = registry.getSingleMetric('cdn_origin_requests_total') as Counter | undefined;
      if (counter === undefined) throw new Error('the origin has no cdn_origin_requests_total');
      const { values } = await counter.get();
      return values
        .filter((v) => String(v.labels.route ?? '').startsWith('/content'))
        .reduce((sum, v) => sum + v.value, 0);
    },
    close: async () => {
      unregister();
      await close();
    },
  };
}
