import { parseQoeEvent, type QoeEvent } from '../../player-sim/events/index.js';

/** One stored event: what the player sent, and when the collector accepted it (its clock, ms). */
export interface StoredQoeEvent {
  receivedAtMs: number;
  event: QoeEvent;
}

export interface QoeSinkStats {
  /** Records retained (what `replay` yields). */
  records: number;
  /** Bytes they take (serialised NDJSON for every sink, so that sinks compare). */
  bytes: number;
  /** Records dropped by the sink's bound (oldest first). */
  droppedRecords: number;
  /** Lines found unreadable on open (torn by a crash, or damaged) and skipped. */
  skippedLines: number;
}

/**
 * Where accepted QoE events go. The collector deduplicates before appending, so a sink stores what
 * it is given, in order. Implementations: memory (bounded, lost on restart) and an append-only NDJSON
 * file log with rotation (durable); a streaming platform later. One contract suite (contract.ts) runs
 * against each.
 */
export interface QoeSink {
  /** `memory`, `file`, ... (for logs and `/readyz`). */
  readonly kind: string;
  /** Whether records survive a close and a new instance on the same storage. */
  readonly persistent: boolean;
  /** Prepares the storage (creates directories, repairs a torn tail). Call once before anything else. */
  open(): Promise<void>;
  /**
   * Appends the records as one unit, after every earlier append. Resolves once they are stored (the
   * file sink: written and, with fsync, on disk); rejects with QOE_ERR_SINK_WRITE (nothing of the
   * batch kept) or QOE_ERR_SINK_CLOSED.
   */
  append(records: readonly StoredQoeEvent[]): Promise<void>;
  /** Every retained record, oldest first, as of the call (later appends are not included). */
  replay(): AsyncIterable<StoredQoeEvent>;
  stats(): QoeSinkStats;
  /** Waits for appends in progress, then releases the storage. Appends after close reject. */
  close(): Promise<void>;
}

/** The NDJSON line of a record (one line, `\n`-terminated). */
export function recordLine(record: StoredQoeEvent): string {
  return `${JSON.stringify({ receivedAtMs: record.receivedAtMs, event: record.event })}\n`;
}

/** The record of an NDJSON line, or undefined when the line is not one (torn, damaged, foreign). */
export function parseRecordLine(line: string): StoredQoeEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const { receivedAtMs, event } = value as { receivedAtMs?: unknown; event?: unknown };
  if (typeof receivedAtMs !== 'number' || !Number.isFinite(receivedAtMs)) return undefined;
  const parsed = parseQoeEvent(event);
  return parsed.kind === 'ok' ? { receivedAtMs, event: parsed.event } : undefined;
}
