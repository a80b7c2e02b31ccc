/**
 * JSON Schemas of the QoE routes, for validation of queries and params and for the OpenAPI
 * document. The batch body is documented with the event schema but validated by the handler, event
 * by event (see plugin.ts).
 */
import { TITLE_ID_PATTERN } from '../../manifests/index.js';
import {
  SESSION_ID_PATTERN,
  SESSION_OUTCOMES,
  STRATEGY_PATTERN,
  qoeEventJsonSchema,
  sessionSummarySchema,
} from '../../player-sim/events/index.js';
import { z } from 'zod';

export function batchBodySchema(maxBatchEvents: number): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['events'],
    properties: { events: { type: 'array', maxItems: maxBatchEvents, items: qoeEventJsonSchema() } },
  };
}

const REJECTED_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    properties: { index: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' } },
  },
} as const;

export const INGEST_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    accepted: { type: 'integer', description: 'new events stored' },
    duplicates: { type: 'integer', description: 'events already stored (a retry), not counted again' },
    rejected: REJECTED_SCHEMA,
  },
} as const;

/** The 400 answer when no event of the batch is valid. */
export const INVALID_BATCH_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    accepted: { type: 'integer' },
    duplicates: { type: 'integer' },
    rejected: REJECTED_SCHEMA,
  },
} as const;

const DISTRIBUTION_SCHEMA = {
  type: ['object', 'null'],
  properties: {
    count: { type: 'integer' },
    mean: { type: 'number' },
    p5: { type: 'number' },
    p50: { type: 'number' },
    p95: { type: 'number' },
  },
} as const;

const OUTCOMES_SCHEMA = {
  type: 'object',
  properties: Object.fromEntries(SESSION_OUTCOMES.map((o) => [o, { type: 'integer' }])),
};

const GROUP_STATS_SCHEMA = {
  type: 'object',
  properties: {
    sessions: { type: 'integer' },
    ended: { type: 'integer' },
    active: { type: 'integer' },
    outcomes: OUTCOMES_SCHEMA,
    startupMs: DISTRIBUTION_SCHEMA,
    rebufferRatio: DISTRIBUTION_SCHEMA,
    rebufferCount: { type: 'integer' },
    rebufferDurationMs: { type: 'number' },
    avgBitrateBps: DISTRIBUTION_SCHEMA,
    avgVmaf: DISTRIBUTION_SCHEMA,
    p5Vmaf: DISTRIBUTION_SCHEMA,
    qoeLin: DISTRIBUTION_SCHEMA,
    switches: { type: 'integer' },
    failovers: { type: 'integer' },
    errors: { type: 'integer' },
  },
};

const EDGE_COUNTS = {
  rebufferCount: { type: 'integer' },
  rebufferDurationMs: { type: 'number' },
  failoversFrom: { type: 'integer' },
  failoversTo: { type: 'integer' },
  errors: { type: 'integer' },
};

const EDGE_STATS_SCHEMA = {
  type: 'object',
  properties: { sessions: { type: 'integer' }, startupMs: DISTRIBUTION_SCHEMA, ...EDGE_COUNTS },
};

export const SUMMARY_QUERY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    strategy: { type: 'string', pattern: STRATEGY_PATTERN.source },
    title: { type: 'string', pattern: TITLE_ID_PATTERN.source },
    since: {
      type: 'string',
      maxLength: 40,
      description: 'sessions first seen at or after this time: ms since the epoch, or an ISO 8601 date',
    },
  },
} as const;

export const SUMMARY_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    generatedAt: { type: 'string' },
    filter: {
      type: 'object',
      properties: {
        strategy: { type: 'string' },
        titleId: { type: 'string' },
        sinceMs: { type: 'number' },
      },
    },
    overall: GROUP_STATS_SCHEMA,
    byStrategy: { type: 'object', additionalProperties: GROUP_STATS_SCHEMA },
    byTitle: { type: 'object', additionalProperties: GROUP_STATS_SCHEMA },
    byEdge: { type: 'object', additionalProperties: EDGE_STATS_SCHEMA },
  },
};

export const SESSION_PARAMS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: SESSION_ID_PATTERN.source } },
} as const;

const summaryJsonSchema = (() => {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(sessionSummarySchema, { io: 'input' });
  return schema;
})();

export const SESSION_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    sessionId: { type: 'string' },
    firstReceivedMs: { type: 'number' },
    lastReceivedMs: { type: 'number' },
    firstTimestampMs: { type: 'number' },
    lastTimestampMs: { type: 'number' },
    events: { type: 'integer' },
    titleId: { type: 'string' },
    strategy: { type: 'string' },
    trace: { type: 'string' },
    format: { type: 'string' },
    mode: { type: 'string' },
    startupDelayMs: { type: 'number' },
    startupEdge: { type: 'string' },
    edge: { type: 'string' },
    edgeAtMs: { type: 'number' },
    rebufferCount: { type: 'integer' },
    rebufferDurationMs: { type: 'number' },
    switches: { type: 'integer' },
    failovers: { type: 'integer' },
    errors: { type: 'integer' },
    fatalErrors: { type: 'integer' },
    active: { type: 'boolean' },
    edges: { type: 'object', additionalProperties: { type: 'object', properties: EDGE_COUNTS } },
    outcome: { type: 'string' },
    endedAtMs: { type: 'number' },
    summary: summaryJsonSchema,
  },
};
