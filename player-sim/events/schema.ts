/**
 * The QoE event model shared by the player's reporter and the origin's collector: one zod schema
 * per event type, a batch envelope, and the collector's answer. Every object is closed (unknown
 * fields are refused), every number is finite and bounded, every string is bounded, so that what a
 * player may send is exactly what the collector stores and aggregates.
 */
import { z } from 'zod';
import { TITLE_ID_PATTERN } from '../../manifests/index.js';

/** The collector's ingest route, relative to the origin's base URL. */
export const QOE_EVENTS_PATH = '/v1/qoe/events';

/** The event types, in the order a session produces them. */
export const QOE_EVENT_TYPES = [
  'session_start',
  'startup_complete',
  'rung_switch',
  'rebuffer_start',
  'rebuffer_end',
  'edge_failover',
  'error',
  'session_end',
] as const;
export type QoeEventType = (typeof QOE_EVENT_TYPES)[number];

/** How a session ended: played to the end, stopped early by the caller, or given up on an error. */
export const SESSION_OUTCOMES = ['completed', 'stopped', 'failed'] as const;
export type SessionOutcome = (typeof SESSION_OUTCOMES)[number];

/** Why a session left an edge. */
export const FAILOVER_REASONS = ['error', 'timeout', 'stall', 'steering', 'drain'] as const;

/** Largest seq: 2^31 - 1 (a session emits far fewer events; bounded so it stays a small integer). */
const MAX_SEQ = 2_147_483_647;
/** Longest duration or position, in ms: 10^10 ms is about 115 days, beyond any session. */
const MAX_DURATION_MS = 1e10;
/** Highest bitrate, in bit/s: 10^11 (100 Gbit/s) is beyond any rendition or link. */
const MAX_BITRATE_BPS = 1e11;
/** Highest rung index: ladders have at most a few tens of rungs. */
const MAX_RUNG = 63;
/** Highest count of anything within one session (rebuffers, switches, failovers). */
const MAX_COUNT = 1_000_000;

/** Session ids: letters, digits and `._:-`, at most 128 (UUIDs, CMCD `sid` values). */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** ABR strategy names: lower-case letters, digits and `._-`, at most 32. */
export const STRATEGY_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;

const sessionId = z.string().regex(SESSION_ID_PATTERN, 'must be 1-128 letters, digits or ._:-');
const seq = z.number().int().min(0).max(MAX_SEQ);
const timestampMs = z.number().int().min(0).max(8.64e15);
const durationMs = z.number().min(0).max(MAX_DURATION_MS);
const bitrateBps = z.number().min(0).max(MAX_BITRATE_BPS);
const rung = z.number().int().min(0).max(MAX_RUNG);
const count = z.number().int().min(0).max(MAX_COUNT);
const vmaf = z.number().min(0).max(100);
/** Printable ASCII without spaces: edge node ids or base URLs, trace names. */
const printable = (max: number) => z.string().regex(new RegExp(`^[\\x21-\\x7e]{1,${max}}$`), 'printable');
const edge = printable(256).describe('the edge serving the session: node id or base URL');
const titleId = z.string().regex(TITLE_ID_PATTERN, 'must be a title id');
const strategy = z.string().regex(STRATEGY_PATTERN, 'must be a strategy name ([a-z0-9._-], at most 32)');
const trace = printable(256).describe('network trace name');
/** Finite QoE scores (QoE_lin may be negative: rebuffering is penalised). */
const score = z.number().min(-1e12).max(1e12);

/** Per-session totals, computed by the player at the end (player-sim's QoE formulas). */
export const sessionSummarySchema = z.strictObject({
  strategy,
  titleId: titleId.optional(),
  trace: trace.optional(),
  /** Absent when playback never started. */
  startupDelayMs: durationMs.optional(),
  playedMs: durationMs,
  rebufferCount: count,
  rebufferDurationMs: durationMs,
  /** Rebuffer time over (rebuffer + play) time, 0..1. */
  rebufferRatio: z.number().min(0).max(1),
  avgBitrateBps: bitrateBps,
  avgVmaf: vmaf.optional(),
  /** 5th percentile of the VMAF of played segments. */
  p5Vmaf: vmaf.optional(),
  switchCount: count,
  /** Sum of absolute bitrate changes, in bit/s. */
  switchMagnitudeBps: z
    .number()
    .min(0)
    .max(MAX_BITRATE_BPS * MAX_COUNT)
    .optional(),
  /** Pensieve/MPC QoE_lin: sum of Mbps minus 4.3 x rebuffer s minus sum of |Mbps changes|. */
  qoeLin: score,
  qoeVmaf: score.optional(),
  failovers: count,
});
export type SessionSummary = z.infer<typeof sessionSummarySchema>;

const payloads = {
  session_start: z.strictObject({
    titleId,
    strategy,
    format: z.enum(['dash', 'hls']).optional(),
    mode: z.enum(['realtime', 'virtual']).optional(),
    trace: trace.optional(),
    edge: edge.optional(),
  }),
  startup_complete: z.strictObject({
    startupDelayMs: durationMs,
    rungIndex: rung,
    bitrateBps,
    edge: edge.optional(),
  }),
  rung_switch: z.strictObject({
    fromRung: rung,
    toRung: rung,
    fromBitrateBps: bitrateBps,
    toBitrateBps: bitrateBps,
    positionMs: durationMs.optional(),
    bufferMs: durationMs.optional(),
    /** What made the switch: `abr`, `abandon`, `failover`, ... */
    reason: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,31}$/)
      .optional(),
    edge: edge.optional(),
  }),
  rebuffer_start: z.strictObject({ positionMs: durationMs, edge: edge.optional() }),
  rebuffer_end: z.strictObject({ positionMs: durationMs, durationMs, edge: edge.optional() }),
  edge_failover: z.strictObject({
    fromEdge: edge,
    /** Absent when every ranked edge failed and steering is asked again. */
    toEdge: edge.optional(),
    reason: z.enum(FAILOVER_REASONS),
    positionMs: durationMs.optional(),
  }),
  error: z.strictObject({
    code: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'must be an error code'),
    message: z.string().max(1024).optional(),
    fatal: z.boolean(),
    edge: edge.optional(),
  }),
  session_end: z.strictObject({ outcome: z.enum(SESSION_OUTCOMES), summary: sessionSummarySchema }),
} as const satisfies Record<QoeEventType, z.ZodType>;

export type QoePayloadOf<T extends QoeEventType> = z.infer<(typeof payloads)[T]>;

function eventOf<T extends QoeEventType>(type: T) {
  return z.strictObject({
    sessionId,
    /** Monotonic per session from 0: the collector is idempotent on (sessionId, seq). */
    seq,
    /** When it happened on the player's clock (virtual-time sessions: the virtual clock), ms. */
    timestampMs,
    type: z.literal(type),
    payload: payloads[type],
  });
}

/** One event: a tagged union on `type`. */
export const qoeEventSchema = z.discriminatedUnion('type', [
  eventOf('session_start'),
  eventOf('startup_complete'),
  eventOf('rung_switch'),
  eventOf('rebuffer_start'),
  eventOf('rebuffer_end'),
  eventOf('edge_failover'),
  eventOf('error'),
  eventOf('session_end'),
]);
export type QoeEvent = z.infer<typeof qoeEventSchema>;
export type QoeEventOf<T extends QoeEventType> = Extract<QoeEvent, { type: T }>;

/** What `POST /v1/qoe/events` takes. */
export interface QoeBatch {
  events: QoeEvent[];
}

/** One refused event of a batch. */
export interface QoeRejectedEvent {
  /** Its index in the batch. */
  index: number;
  error: string;
  message: string;
}

/**
 * The collector's answer to a batch: valid events are stored (new ones counted in `accepted`,
 * already stored (sessionId, seq) pairs in `duplicates`), invalid ones are listed in `rejected`.
 */
export interface QoeIngestResponse {
  accepted: number;
  duplicates: number;
  rejected: QoeRejectedEvent[];
}

/** Validates one event: the event, or the first problem as `path: message`. */
export function parseQoeEvent(
  value: unknown,
): { kind: 'ok'; event: QoeEvent } | { kind: 'invalid'; message: string } {
  const result = qoeEventSchema.safeParse(value);
  if (result.success) return { kind: 'ok', event: result.data };
  const issue = result.error.issues[0];
  if (issue === undefined) return { kind: 'invalid', message: 'invalid event' };
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.');
  return { kind: 'invalid', message: `${path === '' ? '(event)' : path}: ${issue.message}` };
}

/** The event schema as JSON Schema (draft 2020-12), for the OpenAPI document. */
export function qoeEventJsonSchema(): Record<string, unknown> {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(qoeEventSchema, { io: 'input' });
  return schema;
}
