import type { FastifyError, FastifyInstance } from 'fastify';
import { LRUCache } from 'lru-cache';
import { parseQoeEvent, type QoeEvent, type QoeRejectedEvent } from '../../player-sim/events/index.js';
import { OriginErrorCode, originError } from '../errors.js';
import { bearerChecker } from '../http/auth.js';
import { addBearerAuth, type AuthOptions } from '../plugins/auth.js';
import { errorResponses } from '../plugins/schemas.js';
import { isActive, type SummaryFilter } from './aggregate.js';
import type { QoeCollector } from './collector.js';
import type { QoeConfig } from './config.js';
import { QoeErrorCode, qoeError } from './errors.js';
import type { BatchResult, QoeMetrics } from './metrics.js';
import { takeTokens, type TokenBucket } from './rateLimit.js';
import {
  INGEST_RESPONSE_SCHEMA,
  INVALID_BATCH_RESPONSE_SCHEMA,
  SESSION_PARAMS_SCHEMA,
  SESSION_RESPONSE_SCHEMA,
  SUMMARY_QUERY_SCHEMA,
  SUMMARY_RESPONSE_SCHEMA,
  batchBodySchema,
} from './schemas.js';

export interface QoePluginOptions {
  collector: QoeCollector;
  metrics: QoeMetrics;
  config: QoeConfig;
  /** Bearer token players must send to `POST /events`; open when undefined. */
  ingestToken: string | undefined;
  /** Who may read summaries and sessions: the origin's API or read token, as on `/v1`. */
  readAuth: AuthOptions;
  nowMs: () => number;
}

/** Fastify's body errors, as QoE codes (others go on to the origin's handler). */
const BODY_ERRORS: Readonly<Record<string, { code: QoeErrorCode; result: BatchResult }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: QoeErrorCode.MalformedBatch, result: 'malformed' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: QoeErrorCode.MalformedBatch, result: 'malformed' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: QoeErrorCode.BatchTooLarge, result: 'too_large' },
};

/** Parses `since`: ms since the epoch, or an ISO 8601 date. */
function parseSince(text: string): number {
  const ms = /^\d{1,16}$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) {
    throw originError(OriginErrorCode.BadRequest, 'since: must be ms since the epoch or an ISO 8601 date');
  }
  return ms;
}

/**
 * `/v1/qoe`: `POST /events` (players' event batches), `GET /summary`, `GET /sessions/:id`.
 *
 * A batch is `{events: [...]}` of at most `maxBatchEvents` events and `maxBatchBytes` bytes. Each
 * event is validated on its own: the valid ones are stored (durably, before the answer) and the
 * invalid ones are refused and listed with their index, so a player's good events are never lost to
 * one bad one, and nothing about a refused event is stored. A batch with no valid event answers
 * 400 QOE_ERR_INVALID_EVENT. Events already stored (same sessionId and seq: a retry) are answered
 * as duplicates and not counted twice.
 */
export async function qoePlugin(app: FastifyInstance, opts: QoePluginOptions): Promise<void> {
  app.setErrorHandler((err: FastifyError) => {
    const mapped = BODY_ERRORS[err.code];
    if (!mapped) throw err;
    opts.metrics.batch(mapped.result);
    throw qoeError(mapped.code, err.message, { cause: err });
  });
  await app.register(ingestRoutes, opts);
  await app.register(async (reads) => {
    addBearerAuth(reads, opts.readAuth);
    await reads.register(readRoutes, opts);
  });
}

/** `POST /events`, behind the ingest token when there is one. */
function ingestRoutes(app: FastifyInstance, opts: QoePluginOptions): Promise<void> {
  const { collector, metrics, config } = opts;
  const ingest = opts.ingestToken === undefined ? undefined : bearerChecker([opts.ingestToken]);
  const buckets = new LRUCache<string, TokenBucket>({ max: config.rateLimitMaxClients });

  app.addHook('onRequest', (request, reply, done) => {
    if (!ingest) return done();
    const decision = ingest(request.headers.authorization);
    switch (decision.kind) {
      case 'ok':
        return done();
      case 'missing':
        metrics.batch('unauthorized');
        reply.header('www-authenticate', 'Bearer realm="cdn-qoe"');
        return done(qoeError(QoeErrorCode.Unauthorized, 'QoE ingest needs Authorization: Bearer <token>'));
      case 'wrong':
        metrics.batch('forbidden');
        return done(qoeError(QoeErrorCode.Forbidden, 'the bearer token is not the QoE ingest token'));
    }
  });

  app.post(
    '/events',
    {
      bodyLimit: config.maxBatchBytes,
      // The body is validated by the handler, event by event; the schema is for the OpenAPI document.
      validatorCompiler: () => () => true,
      schema: {
        summary: 'Players post batches of QoE events',
        description:
          'Each event is validated on its own: valid ones are stored before the answer, invalid ones are listed in `rejected` with their index and a coded error. Idempotent on (sessionId, seq): a retried batch is answered with `duplicates` and counted once. Needs the QoE ingest token when the origin has one.',
        tags: ['qoe'],
        security: [{ bearer: [] }],
        body: batchBodySchema(config.maxBatchEvents),
        response: {
          200: INGEST_RESPONSE_SCHEMA,
          400: INVALID_BATCH_RESPONSE_SCHEMA,
          ...errorResponses(401, 403, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const body: unknown = request.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        metrics.batch('malformed');
        throw qoeError(QoeErrorCode.MalformedBatch, 'the body must be a JSON object {"events": [...]}');
      }
      const { events, ...rest } = body as { events?: unknown };
      const extra = Object.keys(rest);
      if (!Array.isArray(events) || extra.length > 0) {
        metrics.batch('malformed');
        throw qoeError(
          QoeErrorCode.MalformedBatch,
          extra.length > 0
            ? `unknown field ${JSON.stringify(extra[0])}: the body is {"events": [...]}`
            : 'events: must be an array of events',
        );
      }
      if (events.length > config.maxBatchEvents) {
        metrics.batch('too_large');
        metrics.rejected('too_large', events.length);
        throw qoeError(
          QoeErrorCode.BatchTooLarge,
          `${events.length} events in one batch; at most ${config.maxBatchEvents}`,
        );
      }
      if (config.rateLimitEventsPerS > 0 && events.length > 0) {
        const decision = takeTokens(buckets.get(request.ip), events.length, opts.nowMs(), {
          ratePerS: config.rateLimitEventsPerS,
          burst: config.rateLimitBurstEvents,
        });
        buckets.set(request.ip, decision.bucket);
        if (decision.kind === 'limit') {
          metrics.batch('rate_limited');
          metrics.rejected('rate_limited', events.length);
          reply.header('retry-after', String(Math.ceil(decision.retryAfterMs / 1000)));
          throw qoeError(
            QoeErrorCode.RateLimited,
            `more than ${config.rateLimitEventsPerS} events/s from ${request.ip}; retry later`,
          );
        }
      }
      const valid: QoeEvent[] = [];
      const rejected: QoeRejectedEvent[] = [];
      events.forEach((value, index) => {
        const parsed = parseQoeEvent(value);
        if (parsed.kind === 'ok') valid.push(parsed.event);
        else
          rejected.push({
            index,
            error: QoeErrorCode.InvalidEvent,
            message: `events[${index}]: ${parsed.message}`,
          });
      });
      if (rejected.length > 0) metrics.rejected('invalid', rejected.length);
      reply.header('cache-control', 'no-store');
      if (valid.length === 0 && rejected.length > 0) {
        metrics.batch('invalid');
        const first = rejected[0]!;
        return reply.code(400).send({
          error: QoeErrorCode.InvalidEvent,
          message:
            rejected.length === 1 ? first.message : `${first.message} (and ${rejected.length - 1} more)`,
          accepted: 0,
          duplicates: 0,
          rejected,
        });
      }
      let result;
      try {
        result = await collector.ingest(valid);
      } catch (err) {
        metrics.batch('sink_error');
        throw err;
      }
      metrics.batch(rejected.length > 0 ? 'partial' : 'ok');
      return reply.send({ ...result, rejected });
    },
  );

  return Promise.resolve();
}

/** `GET /summary` and `GET /sessions/:id` (the API token or the read-only token). */
function readRoutes(app: FastifyInstance, opts: QoePluginOptions): Promise<void> {
  const { collector, config } = opts;
  app.get(
    '/summary',
    {
      config: { readScope: true },
      schema: {
        summary: 'QoE aggregates: overall, per ABR strategy, per title, per edge',
        description:
          'Startup delay, rebuffer ratio, bitrate, VMAF and QoE_lin distributions (p5/p50/p95) over the sessions known to the collector (rebuilt from the log on restart). Accepts the API token or the read-only token.',
        tags: ['qoe'],
        security: [{ bearer: [] }],
        querystring: SUMMARY_QUERY_SCHEMA,
        response: { 200: SUMMARY_RESPONSE_SCHEMA, ...errorResponses(400, 401, 403) },
      },
    },
    (request, reply) => {
      const query = request.query as { strategy?: string; title?: string; since?: string };
      const filter: SummaryFilter = {};
      if (query.strategy !== undefined) filter.strategy = query.strategy;
      if (query.title !== undefined) filter.titleId = query.title;
      if (query.since !== undefined) filter.sinceMs = parseSince(query.since);
      reply.header('cache-control', 'no-store');
      return reply.send({
        generatedAt: new Date(opts.nowMs()).toISOString(),
        ...collector.summary(filter),
      });
    },
  );

  app.get(
    '/sessions/:id',
    {
      config: { readScope: true },
      schema: {
        summary: "One session's record: what it reported, per edge, and its summary",
        tags: ['qoe'],
        security: [{ bearer: [] }],
        params: SESSION_PARAMS_SCHEMA,
        response: { 200: SESSION_RESPONSE_SCHEMA, ...errorResponses(400, 401, 403, 404) },
      },
    },
    (request, reply) => {
      const { id } = request.params as { id: string };
      const record = collector.session(id);
      if (!record) throw qoeError(QoeErrorCode.SessionNotFound, `no QoE session ${id}`);
      reply.header('cache-control', 'no-store');
      return reply.send({
        ...record,
        active: isActive(record, opts.nowMs(), config.sessionIdleTimeoutS * 1000),
      });
    },
  );
  return Promise.resolve();
}
