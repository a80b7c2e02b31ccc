import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { CdnError } from '../../common/errors.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { buildOriginApp, type OriginAppDeps } from '../../origin/app.js';
import { originConfigFromInput, type OriginConfigInput } from '../../origin/config.js';
import type { JobPipeline } from '../../origin/jobs/pipeline.js';
import type { JobRecord } from '../../origin/jobs/types.js';
import { writeFakePackage } from '../../origin/store/fixtures.js';
import type { ContentStore } from '../../origin/store/types.js';

export const API_TOKEN = 'test-api-token-0123456789';
export const READ_TOKEN = 'test-read-token-0123456789';
export const AUTH = { authorization: `Bearer ${API_TOKEN}` };

export interface TestDirs {
  root: string;
  dataDir: string;
  ingestDir: string;
}

export async function makeDirs(prefix = 'origin-test-'): Promise<TestDirs> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  return { root, dataDir: join(root, 'data'), ingestDir: join(root, 'ingest') };
}

export async function removeDirs(dirs: TestDirs | undefined): Promise<void> {
  if (dirs) await rm(dirs.root, { recursive: true, force: true });
}

export function testConfig(dirs: TestDirs, overrides: Partial<OriginConfigInput> = {}) {
  return originConfigFromInput({
    dataDir: dirs.dataDir,
    ingestDir: dirs.ingestDir,
    apiToken: API_TOKEN,
    readToken: READ_TOKEN,
    port: 0,
    logLevel: 'silent',
    ...overrides,
  });
}

/**
 * A pipeline without FFmpeg: writes a fake package for the job's title and publishes it, passing
 * through every phase. `gate(job)` may hold a phase open (a promise) or fail the job (a throw).
 */
export interface FakePipelineControl {
  pipeline: (store: ContentStore) => JobPipeline;
  /** Jobs that have started, by id. */
  started: Set<string>;
  /** Called at the start of `encoding`; return a promise to hold the job there. */
  gate?: (job: Readonly<JobRecord>, signal: AbortSignal) => Promise<void> | void;
}

export function fakePipeline(options: { segmentBytes?: number } = {}): FakePipelineControl {
  const control: FakePipelineControl = {
    started: new Set(),
    pipeline:
      (store) =>
      async (job, { signal, workDir, report }) => {
        control.started.add(job.id);
        report('probing', 1, 'probing');
        report('searching', 10, 'searching');
        report('encoding', 40, 'encoding');
        await control.gate?.(job, signal);
        signal.throwIfAborted();
        report('packaging', 90, 'packaging');
        const dir = join(workDir, 'package');
        await writeFakePackage(dir, {
          titleId: job.titleId,
          seed: job.id,
          createdAt: new Date(job.createdAt),
          ...(options.segmentBytes !== undefined ? { segmentBytes: options.segmentBytes } : {}),
        });
        report('publishing', 97, 'publishing');
        const result = await store.publish(dir, { signal });
        return { version: result.version, publishedAt: result.publishedAt };
      },
  };
  return control;
}

/** Resolves when aborted, with a CdnError like the encoder's. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((_resolve, reject) => {
    const fail = () => reject(new CdnError('ENC_ERR_CANCELLED', 'encode cancelled'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

export async function buildTestApp(
  dirs: TestDirs,
  overrides: Partial<OriginConfigInput> = {},
  deps: Partial<OriginAppDeps> = {},
): Promise<FastifyInstance> {
  return buildOriginApp({
    config: testConfig(dirs, overrides),
    registry: createMetricsRegistry({ processMetrics: false }),
    ...deps,
  });
}

/** Polls a job through inject until `until(job)` holds. */
export async function waitForJob(
  app: FastifyInstance,
  id: string,
  until: (job: JobRecord) => boolean = (j) => ['done', 'failed', 'cancelled'].includes(j.state),
  timeoutMs = 20_000,
): Promise<JobRecord> {
  const started = Date.now();
  for (;;) {
    const res = await app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: AUTH });
    const job = res.json<JobRecord>();
    if (res.statusCode === 200 && until(job)) return job;
    if (Date.now() - started > timeoutMs) throw new Error(`job ${id} stuck: ${res.body}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
