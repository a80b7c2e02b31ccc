import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import type { Registry } from 'prom-client';
import { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS, CORS_MAX_AGE_S } from '../common/http/cors.js';
import { silentLogger, type Logger } from '../common/logging.js';
import type { OriginConfig } from './config.js';
import type { JobPipeline } from './jobs/pipeline.js';
import { InProcessJobQueue, type JobQueue } from './jobs/queue.js';
import { createOriginMetrics, type OriginMetrics } from './metrics.js';
import { addBearerAuth } from './plugins/auth.js';
import { contentPlugin } from './plugins/content.js';
import { installErrorHandling, toHttpError } from './plugins/errors.js';
import { opsPlugin } from './plugins/health.js';
import { jobsPlugin } from './plugins/jobs.js';
import { popularityPlugin } from './plugins/popularity.js';
import { playerPlugin } from './player/index.js';
import { titlesPlugin } from './plugins/titles.js';
import { DecayedCounter } from './popularity.js';
import { registerQoe, type QoeSink } from './qoe/index.js';
import { SteeringService, steeringAdminPlugin, steeringPlugin } from './steering/index.js';
import { FsContentStore } from './store/fsStore.js';
import type { ContentStore } from './store/types.js';

export interface OriginAppDeps {
  config: OriginConfig;
  /** Where the origin's series are registered (never the global registry). */
  registry: Registry;
  logger?: Logger;
  /** Default: the filesystem store in `config.dataDir`. */
  store?: ContentStore;
  /** Default: the in-process queue in `config.dataDir`, running `createPipeline(store)`. */
  queue?: JobQueue;
  /** The job pipeline (the real one is `createEncodePipeline`); required without `queue`. */
  createPipeline?: (store: ContentStore) => JobPipeline;
  /** Clock, in ms since the epoch (popularity). */
  nowMs?: () => number;
  /** Where QoE events go. Default: the sink `config.qoe` names (the NDJSON log in the data dir). */
  qoeSink?: QoeSink;
}

/** What the app holds, for callers that start and stop it (and tests). */
export interface OriginServices {
  store: ContentStore;
  queue: JobQueue;
  metrics: OriginMetrics;
  popularity: DecayedCounter;
  /** Edge registry, route table and selection. */
  steering: SteeringService;
}

declare module 'fastify' {
  interface FastifyInstance {
    origin: OriginServices;
  }
}

/**
 * The origin as a fastify app of plugins: content serving, the `/v1` publish API (titles, jobs,
 * popularity; bearer-token protected), health, metrics and the OpenAPI document at `/docs/json`.
 * Opens the store and the job queue; closing the app closes the queue (running jobs are stopped and
 * recorded as interrupted).
 */
export async function buildOriginApp(deps: OriginAppDeps): Promise<FastifyInstance> {
  const { config, registry } = deps;
  const logger = deps.logger ?? silentLogger();
  const nowMs = deps.nowMs ?? Date.now;
  const metrics = createOriginMetrics(registry);
  const store =
    deps.store ??
    new FsContentStore({
      dataDir: config.dataDir,
      versionRetention: config.versionRetention,
      onStreamOpen: () => metrics.openStreams.inc(),
      onStreamClose: () => metrics.openStreams.dec(),
    });
  let queue = deps.queue;
  if (!queue) {
    if (!deps.createPipeline) throw new TypeError('buildOriginApp needs a queue or createPipeline');
    queue = new InProcessJobQueue({
      dataDir: config.dataDir,
      pipeline: deps.createPipeline(store),
      concurrency: config.jobConcurrency,
      maxQueued: config.maxQueuedJobs,
      retention: config.jobRetention,
      logger: logger.child({ component: 'jobs' }),
      hooks: {
        onPhaseEnd: (phase, durationMs) => metrics.jobPhaseDuration.observe({ phase }, durationMs / 1000),
      },
    });
  }
  const popularity = new DecayedCounter(config.popularityHalfLifeS, config.popularityMaxTitles);
  const steering = new SteeringService({
    config: config.steering,
    authDisabled: config.authDisabled,
    registry,
    nowMs,
  });
  metrics.bind({ queue, store });

  await mkdir(config.dataDir, { recursive: true });
  await mkdir(join(config.ingestDir, 'uploads'), { recursive: true });
  await store.open();
  await queue.open();

  const httpLogger: FastifyBaseLogger = logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: httpLogger,
    // Per-request access logs cost a large share of a small response's CPU; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.jsonBodyLimitBytes,
    return503OnClosing: true,
    // Closed schemas: unknown properties are refused (400), not silently dropped.
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    // Errors fastify raises before routing (a malformed percent-encoding in the URL) get our JSON too.
    frameworkErrors: (error, _request, reply) => {
      const mapped = toHttpError(error);
      const raw = reply as unknown as FastifyReply;
      void raw.code(mapped.statusCode).header('cache-control', 'no-store').send(mapped.toJSON());
    },
  });
  app.decorate('origin', { store, queue, metrics, popularity, steering });
  // Bodies are JSON or multipart only: anything else answers 415 instead of reaching a handler.
  app.removeContentTypeParser('text/plain');
  installErrorHandling(app);

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    const length = Number(reply.getHeader('content-length'));
    if (
      request.method !== 'HEAD' &&
      reply.raw.writableEnded &&
      Number.isFinite(length) &&
      reply.statusCode !== 304
    ) {
      metrics.responseBytes.inc({ route }, length);
    }
  });
  app.addHook('onClose', async () => {
    steering.close();
    await queue.close();
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'CDN origin',
        description: 'Publish, serve and encode-job API of the origin',
        version: '1',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(cors, {
    origin: config.corsOrigins === '*' ? '*' : [...config.corsOrigins],
    methods: ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: [...CORS_ALLOWED_HEADERS],
    exposedHeaders: [...CORS_EXPOSED_HEADERS],
    maxAge: CORS_MAX_AGE_S,
  });
  await app.register(multipart, {
    limits: { fileSize: config.uploadMaxBytes, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 12 },
  });

  await app.register(contentPlugin, {
    store,
    popularity,
    nowMs,
    cachePolicy: {
      manifestMaxAgeS: config.manifestMaxAgeS,
      manifestStaleWhileRevalidateS: config.manifestStaleWhileRevalidateS,
    },
  });
  await app.register(
    async (v1) => {
      addBearerAuth(v1, {
        apiToken: config.apiToken,
        readToken: config.readToken,
        disabled: config.authDisabled,
      });
      await v1.register(titlesPlugin, { config, store, queue, popularity });
      await v1.register(jobsPlugin, { queue });
      await v1.register(popularityPlugin, { popularity, halfLifeS: config.popularityHalfLifeS, nowMs });
      await v1.register(steeringAdminPlugin, { steering });
    },
    { prefix: '/v1' },
  );
  // Players and edges: no API token (edges authenticate with their own tokens).
  await app.register(steeringPlugin, { prefix: '/v1', steering, store });
  steering.start();
  await app.register(opsPlugin, { store, queue, dataDir: config.dataDir, registry });
  // The web player page (`/player`), same origin as the steering API it calls.
  await app.register(playerPlugin);
  await registerQoe(app, {
    qoe: config.qoe,
    dataDir: config.dataDir,
    ingestToken: config.qoeIngestToken,
    readAuth: { apiToken: config.apiToken, readToken: config.readToken, disabled: config.authDisabled },
    registry,
    logger,
    nowMs,
    ...(deps.qoeSink ? { sink: deps.qoeSink } : {}),
  });
  app.get('/docs/json', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return app.swagger();
  });
  await app.ready();
  return app;
}
