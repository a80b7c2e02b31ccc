import { performance } from 'node:perf_hooks';
import { isCdnError } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/logging.js';
import type { QoeEvent } from '../../player-sim/events/index.js';
import {
  addSeq,
  applyEvent,
  emptySeqSet,
  hasSeq,
  isActive,
  newSessionRecord,
  summarize,
  type EdgeStats,
  type QoeSummary,
  type SeqSet,
  type SessionRecord,
  type SummaryFilter,
} from './aggregate.js';
import { QoeErrorCode, qoeError } from './errors.js';
import type { QoeMetrics } from './metrics.js';
import type { QoeSink, QoeSinkStats, StoredQoeEvent } from './sink.js';

export interface QoeCollectorOptions {
  sink: QoeSink;
  /** Prometheus series; none in library use. */
  metrics?: QoeMetrics;
  /** Sessions kept in memory; the least recently active are forgotten beyond. */
  maxSessions: number;
  /** A session silent this long no longer counts as active, ms. */
  sessionIdleTimeoutMs: number;
  /** Clock, ms since the epoch (the receive time stored with each event). */
  nowMs?: () => number;
  logger?: Logger;
}

/** What became of a batch's valid events. */
export interface IngestResult {
  /** New events, now stored and counted. */
  accepted: number;
  /** Events whose (sessionId, seq) was already stored (or came twice in the batch): not counted again. */
  duplicates: number;
}

export interface QoeCollectorStats {
  sessions: number;
  /** Sessions forgotten to stay within maxSessions. */
  evictedSessions: number;
  /** Records read back from the sink at open, and how many of them were duplicates. */
  replayed: number;
  replayedDuplicates: number;
  sink: QoeSinkStats;
}

interface SessionEntry {
  record: SessionRecord;
  seqs: SeqSet;
}

interface PendingBatch {
  events: readonly QoeEvent[];
  resolve: (result: IngestResult) => void;
  reject: (err: unknown) => void;
}

const keyOf = (event: QoeEvent): string => `${event.sessionId}\u0000${event.seq}`;

/**
 * The QoE collector's shell: deduplicates events by (sessionId, seq), stores new ones in the sink
 * (durably, before answering), folds them into per-session records and Prometheus series, and
 * answers summaries. Batches that arrive while the sink is writing are stored together in the next
 * write (group commit: one fdatasync for many requests). On open, the sink's records are replayed
 * to rebuild the records and the dedup index (the Prometheus counters start from zero, as after any
 * restart).
 */
export class QoeCollector {
  readonly #sink: QoeSink;
  readonly #metrics: QoeMetrics | undefined;
  readonly #options: QoeCollectorOptions;
  readonly #nowMs: () => number;
  readonly #logger: Logger;
  /** Sessions in least- to most-recently-active order (re-inserted on each event). */
  readonly #sessions = new Map<string, SessionEntry>();
  #pending: PendingBatch[] = [];
  /** Set and cleared synchronously by #drain, so a batch is never left behind a finishing drain. */
  #draining = false;
  #writing: Promise<void> | undefined;
  #closed = false;
  #evicted = 0;
  #replayed = 0;
  #replayedDuplicates = 0;

  constructor(options: QoeCollectorOptions) {
    this.#options = options;
    this.#sink = options.sink;
    this.#metrics = options.metrics;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#logger = options.logger ?? silentLogger();
    this.#metrics?.bind({
      activeSessions: () => this.activeSessions(),
      trackedSessions: () => this.#sessions.size,
      sinkStats: () => this.#sink.stats(),
    });
  }

  get sink(): QoeSink {
    return this.#sink;
  }

  /** Opens the sink and replays what it holds. */
  async open(): Promise<void> {
    await this.#sink.open();
    const startedMs = performance.now();
    for await (const stored of this.#sink.replay()) {
      this.#replayed += 1;
      if (!this.#apply(stored, false)) this.#replayedDuplicates += 1;
    }
    this.#logger.info(
      {
        sink: this.#sink.kind,
        records: this.#replayed,
        duplicates: this.#replayedDuplicates,
        sessions: this.#sessions.size,
        skippedLines: this.#sink.stats().skippedLines,
        durationMs: Math.round(performance.now() - startedMs),
      },
      'QoE log replayed',
    );
  }

  /**
   * Stores a batch of valid events: resolves once the new ones are in the sink and counted. Rejects
   * with QOE_ERR_SINK_WRITE (nothing of the batch stored or counted: the client retries) or
   * QOE_ERR_SINK_CLOSED.
   */
  ingest(events: readonly QoeEvent[]): Promise<IngestResult> {
    if (this.#closed) return Promise.reject(qoeError(QoeErrorCode.SinkClosed, 'the QoE collector is closed'));
    return new Promise<IngestResult>((resolve, reject) => {
      this.#pending.push({ events, resolve, reject });
      if (!this.#draining) {
        this.#draining = true;
        this.#writing = this.#drain();
      }
    });
  }

  /** One session's record (read-only), or undefined when unknown or forgotten. */
  session(sessionId: string): Readonly<SessionRecord> | undefined {
    return this.#sessions.get(sessionId)?.record;
  }

  summary(filter: SummaryFilter = {}): QoeSummary {
    return summarize(this.#records(), filter, this.#activity());
  }

  /** Per-edge QoE of every session known (for steering). */
  edgeQoe(filter: SummaryFilter = {}): Record<string, EdgeStats> {
    return this.summary(filter).byEdge;
  }

  activeSessions(): number {
    const { nowMs, idleTimeoutMs } = this.#activity();
    let active = 0;
    for (const { record } of this.#sessions.values()) if (isActive(record, nowMs, idleTimeoutMs)) active += 1;
    return active;
  }

  stats(): QoeCollectorStats {
    return {
      sessions: this.#sessions.size,
      evictedSessions: this.#evicted,
      replayed: this.#replayed,
      replayedDuplicates: this.#replayedDuplicates,
      sink: this.#sink.stats(),
    };
  }

  /** Stores the batches already accepted, then closes the sink. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writing;
    await this.#sink.close();
  }

  *#records(): Iterable<SessionRecord> {
    for (const entry of this.#sessions.values()) yield entry.record;
  }

  #activity(): { nowMs: number; idleTimeoutMs: number } {
    return { nowMs: this.#nowMs(), idleTimeoutMs: this.#options.sessionIdleTimeoutMs };
  }

  /**
   * Stores pending batches, group by group. The flag is cleared in the same synchronous step that
   * finds the queue empty, so a batch queued at any moment is either taken here or starts a drain.
   */
  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const group = this.#pending;
        this.#pending = [];
        const receivedAtMs = this.#nowMs();
        const inGroup = new Set<string>();
        const fresh: StoredQoeEvent[] = [];
        const results = group.map((batch) => {
          const result: IngestResult = { accepted: 0, duplicates: 0 };
          for (const event of batch.events) {
            const key = keyOf(event);
            const entry = this.#sessions.get(event.sessionId);
            if (inGroup.has(key) || (entry && hasSeq(entry.seqs, event.seq))) {
              result.duplicates += 1;
              continue;
            }
            inGroup.add(key);
            fresh.push({ receivedAtMs, event });
            result.accepted += 1;
          }
          return result;
        });
        try {
          if (fresh.length > 0) {
            const startedMs = performance.now();
            await this.#sink.append(fresh);
            this.#metrics?.appendDuration((performance.now() - startedMs) / 1000);
          }
        } catch (err) {
          const error = isCdnError(err)
            ? err
            : qoeError(QoeErrorCode.SinkWrite, `cannot store QoE events: ${(err as Error).message}`, {
                cause: err,
              });
          this.#logger.error({ err, events: fresh.length }, 'QoE sink append failed');
          this.#metrics?.rejected('sink_error', fresh.length);
          for (const batch of group) batch.reject(error);
          continue;
        }
        for (const stored of fresh) this.#apply(stored, true);
        group.forEach((batch, i) => {
          const result = results[i]!;
          this.#metrics?.duplicates(result.duplicates);
          batch.resolve(result);
        });
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Folds one stored event in; false when it was a duplicate. */
  #apply(stored: StoredQoeEvent, live: boolean): boolean {
    const { event, receivedAtMs } = stored;
    let entry = this.#sessions.get(event.sessionId);
    if (entry && hasSeq(entry.seqs, event.seq)) return false;
    if (entry) {
      this.#sessions.delete(event.sessionId);
    } else {
      entry = { record: newSessionRecord(event, receivedAtMs), seqs: emptySeqSet() };
    }
    this.#sessions.set(event.sessionId, entry);
    addSeq(entry.seqs, event.seq);
    applyEvent(entry.record, event, receivedAtMs);
    if (live) this.#metrics?.observe(event, entry.record);
    while (this.#sessions.size > this.#options.maxSessions) {
      const oldest = this.#sessions.keys().next();
      if (oldest.done === true) break;
      this.#sessions.delete(oldest.value);
      this.#evicted += 1;
    }
    return true;
  }
}
