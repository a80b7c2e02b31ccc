/**
 * The collector's pure core: per-session records folded from events, deduplication by
 * (sessionId, seq), and summaries per strategy, title and edge. No I/O, no clock: times come in.
 */
import type { QoeEvent, SessionOutcome, SessionSummary } from '../../player-sim/events/index.js';

/** Edges one session may report; more are folded into the last (bounds a record's size). */
export const MAX_EDGES_PER_SESSION = 16;
/** Seqs above the contiguous watermark tracked per session before the oldest gap is given up. */
export const MAX_OUT_OF_ORDER_SEQS = 4096;

/** What one session did on one edge. */
export interface EdgeUsage {
  rebufferCount: number;
  rebufferDurationMs: number;
  /** The session left this edge. */
  failoversFrom: number;
  /** The session came to this edge from another. */
  failoversTo: number;
  errors: number;
}

/** One session as the collector knows it. */
export interface SessionRecord {
  sessionId: string;
  /** Collector clock of its first and latest accepted events, ms. */
  firstReceivedMs: number;
  lastReceivedMs: number;
  /** Player clock of its earliest and latest events, ms. */
  firstTimestampMs: number;
  lastTimestampMs: number;
  events: number;
  titleId?: string;
  strategy?: string;
  trace?: string;
  format?: 'dash' | 'hls';
  mode?: 'realtime' | 'virtual';
  startupDelayMs?: number;
  /** The edge that served the first segment. */
  startupEdge?: string;
  /** The edge serving it as of its latest event naming one. */
  edge?: string;
  /** Player clock of that event, ms. */
  edgeAtMs?: number;
  rebufferCount: number;
  rebufferDurationMs: number;
  switches: number;
  failovers: number;
  errors: number;
  fatalErrors: number;
  edges: Record<string, EdgeUsage>;
  outcome?: SessionOutcome;
  endedAtMs?: number;
  summary?: SessionSummary;
}

/**
 * The seqs one session has delivered: every seq below `below`, plus `above` (out of order or past
 * a gap the reporter left by dropping events). Memory stays O(1) for in-order delivery.
 */
export interface SeqSet {
  below: number;
  above: Set<number>;
}

export const emptySeqSet = (): SeqSet => ({ below: 0, above: new Set() });

export function hasSeq(set: SeqSet, seq: number): boolean {
  return seq < set.below || set.above.has(seq);
}

/** Adds a seq (in place); past MAX_OUT_OF_ORDER_SEQS the oldest gap is closed (its seqs count as seen). */
export function addSeq(set: SeqSet, seq: number): void {
  if (hasSeq(set, seq)) return;
  set.above.add(seq);
  advance(set);
  if (set.above.size > MAX_OUT_OF_ORDER_SEQS) {
    set.below = Math.min(...set.above);
    advance(set);
  }
}

function advance(set: SeqSet): void {
  while (set.above.delete(set.below)) set.below += 1;
}

const emptyEdgeUsage = (): EdgeUsage => ({
  rebufferCount: 0,
  rebufferDurationMs: 0,
  failoversFrom: 0,
  failoversTo: 0,
  errors: 0,
});

export function newSessionRecord(event: QoeEvent, receivedAtMs: number): SessionRecord {
  return {
    sessionId: event.sessionId,
    firstReceivedMs: receivedAtMs,
    lastReceivedMs: receivedAtMs,
    firstTimestampMs: event.timestampMs,
    lastTimestampMs: event.timestampMs,
    events: 0,
    rebufferCount: 0,
    rebufferDurationMs: 0,
    switches: 0,
    failovers: 0,
    errors: 0,
    fatalErrors: 0,
    // No prototype: edge names come from players, and `__proto__` must be just a name.
    edges: Object.create(null) as Record<string, EdgeUsage>,
  };
}

/** The usage entry of an edge within a record (created when there is room), or undefined. */
function usageOf(record: SessionRecord, edge: string | undefined): EdgeUsage | undefined {
  if (edge === undefined) return undefined;
  const known = record.edges[edge];
  if (known) return known;
  if (Object.keys(record.edges).length >= MAX_EDGES_PER_SESSION) return undefined;
  const created = emptyEdgeUsage();
  record.edges[edge] = created;
  return created;
}

/** Moves the session's current edge, unless a later event already named one (events may come out of order). */
function noteEdge(record: SessionRecord, edge: string | undefined, timestampMs: number): void {
  if (edge === undefined) return;
  usageOf(record, edge);
  if (record.edgeAtMs === undefined || timestampMs >= record.edgeAtMs) {
    record.edge = edge;
    record.edgeAtMs = timestampMs;
  }
}

/**
 * Folds one new (not duplicate) event into its session's record, in place, and returns it. Events
 * may come in any order (a reporter's retries): counts add up the same, and the session's facts
 * (title, strategy) are taken from whichever event carries them.
 */
export function applyEvent(record: SessionRecord, event: QoeEvent, receivedAtMs: number): SessionRecord {
  record.events += 1;
  record.lastReceivedMs = Math.max(record.lastReceivedMs, receivedAtMs);
  record.firstTimestampMs = Math.min(record.firstTimestampMs, event.timestampMs);
  record.lastTimestampMs = Math.max(record.lastTimestampMs, event.timestampMs);
  switch (event.type) {
    case 'session_start': {
      const p = event.payload;
      record.titleId = p.titleId;
      record.strategy = p.strategy;
      if (p.trace !== undefined) record.trace = p.trace;
      if (p.format !== undefined) record.format = p.format;
      if (p.mode !== undefined) record.mode = p.mode;
      noteEdge(record, p.edge, event.timestampMs);
      break;
    }
    case 'startup_complete': {
      const p = event.payload;
      record.startupDelayMs = p.startupDelayMs;
      if (p.edge !== undefined) record.startupEdge = p.edge;
      noteEdge(record, p.edge, event.timestampMs);
      break;
    }
    case 'rung_switch':
      record.switches += 1;
      noteEdge(record, event.payload.edge, event.timestampMs);
      break;
    case 'rebuffer_start':
      noteEdge(record, event.payload.edge, event.timestampMs);
      break;
    case 'rebuffer_end': {
      const p = event.payload;
      record.rebufferCount += 1;
      record.rebufferDurationMs += p.durationMs;
      noteEdge(record, p.edge, event.timestampMs);
      const usage = usageOf(record, p.edge ?? record.edge);
      if (usage) {
        usage.rebufferCount += 1;
        usage.rebufferDurationMs += p.durationMs;
      }
      break;
    }
    case 'edge_failover': {
      const p = event.payload;
      record.failovers += 1;
      const from = usageOf(record, p.fromEdge);
      if (from) from.failoversFrom += 1;
      if (p.toEdge !== undefined) {
        const to = usageOf(record, p.toEdge);
        if (to) to.failoversTo += 1;
        noteEdge(record, p.toEdge, event.timestampMs);
      }
      break;
    }
    case 'error': {
      const p = event.payload;
      record.errors += 1;
      if (p.fatal) record.fatalErrors += 1;
      noteEdge(record, p.edge, event.timestampMs);
      const usage = usageOf(record, p.edge ?? record.edge);
      if (usage) usage.errors += 1;
      break;
    }
    case 'session_end': {
      const { outcome, summary } = event.payload;
      record.outcome = outcome;
      record.endedAtMs = receivedAtMs;
      record.summary = summary;
      record.strategy ??= summary.strategy;
      if (summary.titleId !== undefined) record.titleId ??= summary.titleId;
      if (summary.trace !== undefined) record.trace ??= summary.trace;
      break;
    }
  }
  return record;
}

/** Five figures of a distribution; percentiles by linear interpolation between closest ranks (numpy's default). */
export interface Distribution {
  count: number;
  mean: number;
  p5: number;
  p50: number;
  p95: number;
}

/** The distribution of the values, or null when there are none. */
export function distribution(values: readonly number[]): Distribution | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    mean: sum / sorted.length,
    p5: percentileOfSorted(sorted, 5),
    p50: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
  };
}

/** Percentile of an ascending array: rank h = (n - 1) p / 100, interpolated between floor and ceil. */
export function percentileOfSorted(sorted: readonly number[], percent: number): number {
  const rank = ((sorted.length - 1) * percent) / 100;
  const low = Math.floor(rank);
  const lower = sorted[low];
  if (lower === undefined) throw new RangeError('percentile of an empty array');
  const upper = sorted[low + 1] ?? lower;
  return lower + (rank - low) * (upper - lower);
}

/** Aggregates of a group of sessions (a strategy, a title, or all). */
export interface GroupStats {
  sessions: number;
  /** Sessions that sent their end (their summary's figures feed the distributions below). */
  ended: number;
  active: number;
  outcomes: Record<SessionOutcome, number>;
  startupMs: Distribution | null;
  rebufferRatio: Distribution | null;
  rebufferCount: number;
  rebufferDurationMs: number;
  avgBitrateBps: Distribution | null;
  avgVmaf: Distribution | null;
  p5Vmaf: Distribution | null;
  qoeLin: Distribution | null;
  switches: number;
  failovers: number;
  errors: number;
}

/** Aggregates of what sessions did on one edge (for operators, and for steering). */
export interface EdgeStats {
  /** Sessions that used the edge. */
  sessions: number;
  /** Startup delays of the sessions whose first segment it served. */
  startupMs: Distribution | null;
  rebufferCount: number;
  rebufferDurationMs: number;
  failoversFrom: number;
  failoversTo: number;
  errors: number;
}

export interface SummaryFilter {
  strategy?: string;
  titleId?: string;
  /** Sessions whose first event the collector received at or after this time, ms. */
  sinceMs?: number;
}

export interface QoeSummary {
  filter: SummaryFilter;
  overall: GroupStats;
  byStrategy: Record<string, GroupStats>;
  byTitle: Record<string, GroupStats>;
  byEdge: Record<string, EdgeStats>;
}

/** Strategy of a session that never said (its start and end were lost). */
export const UNKNOWN = 'unknown';

/** Whether a session is still playing at `nowMs`: not ended, and not silent for `idleTimeoutMs`. */
export function isActive(record: SessionRecord, nowMs: number, idleTimeoutMs: number): boolean {
  return record.outcome === undefined && nowMs - record.lastReceivedMs < idleTimeoutMs;
}

export function matchesFilter(record: SessionRecord, filter: SummaryFilter): boolean {
  if (filter.strategy !== undefined && (record.strategy ?? UNKNOWN) !== filter.strategy) return false;
  if (filter.titleId !== undefined && (record.titleId ?? UNKNOWN) !== filter.titleId) return false;
  if (filter.sinceMs !== undefined && record.firstReceivedMs < filter.sinceMs) return false;
  return true;
}

/** Collects a group's values before they become GroupStats. */
class GroupBuilder {
  sessions = 0;
  ended = 0;
  active = 0;
  outcomes: Record<SessionOutcome, number> = { completed: 0, stopped: 0, failed: 0 };
  startupMs: number[] = [];
  rebufferRatio: number[] = [];
  rebufferCount = 0;
  rebufferDurationMs = 0;
  avgBitrateBps: number[] = [];
  avgVmaf: number[] = [];
  p5Vmaf: number[] = [];
  qoeLin: number[] = [];
  switches = 0;
  failovers = 0;
  errors = 0;

  add(record: SessionRecord, active: boolean): void {
    this.sessions += 1;
    if (active) this.active += 1;
    const summary = record.summary;
    const startup = record.startupDelayMs ?? summary?.startupDelayMs;
    if (startup !== undefined) this.startupMs.push(startup);
    // An ended session's own totals win: they include events the reporter may have dropped.
    this.rebufferCount += summary?.rebufferCount ?? record.rebufferCount;
    this.rebufferDurationMs += summary?.rebufferDurationMs ?? record.rebufferDurationMs;
    this.switches += summary?.switchCount ?? record.switches;
    this.failovers += summary ? Math.max(summary.failovers, record.failovers) : record.failovers;
    this.errors += record.errors;
    if (record.outcome !== undefined && summary) {
      this.ended += 1;
      this.outcomes[record.outcome] += 1;
      this.rebufferRatio.push(summary.rebufferRatio);
      this.avgBitrateBps.push(summary.avgBitrateBps);
      if (summary.avgVmaf !== undefined) this.avgVmaf.push(summary.avgVmaf);
      if (summary.p5Vmaf !== undefined) this.p5Vmaf.push(summary.p5Vmaf);
      this.qoeLin.push(summary.qoeLin);
    }
  }

  build(): GroupStats {
    return {
      sessions: this.sessions,
      ended: this.ended,
      active: this.active,
      outcomes: this.outcomes,
      startupMs: distribution(this.startupMs),
      rebufferRatio: distribution(this.rebufferRatio),
      rebufferCount: this.rebufferCount,
      rebufferDurationMs: this.rebufferDurationMs,
      avgBitrateBps: distribution(this.avgBitrateBps),
      avgVmaf: distribution(this.avgVmaf),
      p5Vmaf: distribution(this.p5Vmaf),
      qoeLin: distribution(this.qoeLin),
      switches: this.switches,
      failovers: this.failovers,
      errors: this.errors,
    };
  }
}

class EdgeBuilder {
  sessions = 0;
  startupMs: number[] = [];
  rebufferCount = 0;
  rebufferDurationMs = 0;
  failoversFrom = 0;
  failoversTo = 0;
  errors = 0;

  add(record: SessionRecord, edge: string, usage: EdgeUsage): void {
    this.sessions += 1;
    if (record.startupEdge === edge && record.startupDelayMs !== undefined) {
      this.startupMs.push(record.startupDelayMs);
    }
    this.rebufferCount += usage.rebufferCount;
    this.rebufferDurationMs += usage.rebufferDurationMs;
    this.failoversFrom += usage.failoversFrom;
    this.failoversTo += usage.failoversTo;
    this.errors += usage.errors;
  }

  build(): EdgeStats {
    return {
      sessions: this.sessions,
      startupMs: distribution(this.startupMs),
      rebufferCount: this.rebufferCount,
      rebufferDurationMs: this.rebufferDurationMs,
      failoversFrom: this.failoversFrom,
      failoversTo: this.failoversTo,
      errors: this.errors,
    };
  }
}

function builderIn<B>(map: Map<string, B>, key: string, make: () => B): B {
  let builder = map.get(key);
  if (!builder) {
    builder = make();
    map.set(key, builder);
  }
  return builder;
}

function built<B extends { build(): R }, R>(map: Map<string, B>): Record<string, R> {
  const out = Object.create(null) as Record<string, R>;
  for (const key of [...map.keys()].sort()) out[key] = map.get(key)!.build();
  return out;
}

/** Summaries of the sessions matching the filter: overall, per strategy, per title, per edge. */
export function summarize(
  records: Iterable<SessionRecord>,
  filter: SummaryFilter,
  activity: { nowMs: number; idleTimeoutMs: number },
): QoeSummary {
  const overall = new GroupBuilder();
  const byStrategy = new Map<string, GroupBuilder>();
  const byTitle = new Map<string, GroupBuilder>();
  const byEdge = new Map<string, EdgeBuilder>();
  for (const record of records) {
    if (!matchesFilter(record, filter)) continue;
    const active = isActive(record, activity.nowMs, activity.idleTimeoutMs);
    overall.add(record, active);
    builderIn(byStrategy, record.strategy ?? UNKNOWN, () => new GroupBuilder()).add(record, active);
    builderIn(byTitle, record.titleId ?? UNKNOWN, () => new GroupBuilder()).add(record, active);
    for (const [edge, usage] of Object.entries(record.edges)) {
      builderIn(byEdge, edge, () => new EdgeBuilder()).add(record, edge, usage);
    }
  }
  return {
    filter,
    overall: overall.build(),
    byStrategy: built(byStrategy),
    byTitle: built(byTitle),
    byEdge: built(byEdge),
  };
}
