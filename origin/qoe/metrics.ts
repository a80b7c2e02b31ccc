import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { QOE_EVENT_TYPES, SESSION_OUTCOMES, type QoeEvent } from '../../player-sim/events/index.js';
import type { SessionRecord } from './aggregate.js';

/** The label of anything outside a bounded label set. */
export const OTHER_LABEL = 'other';

/** Why events were refused: the `reason` label of cdn_qoe_events_rejected_total. */
export const REJECT_REASONS = ['invalid', 'too_large', 'rate_limited', 'sink_error'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** What became of a batch: the `result` label of cdn_qoe_batches_total. */
export const BATCH_RESULTS = [
  'ok',
  'partial',
  'invalid',
  'malformed',
  'too_large',
  'rate_limited',
  'unauthorized',
  'forbidden',
  'sink_error',
] as const;
export type BatchResult = (typeof BATCH_RESULTS)[number];

/**
 * A label whose values come from clients, kept bounded: the first `max` distinct values get their
 * own label, later ones are `other`.
 */
export class BoundedLabel {
  readonly #seen = new Set<string>();
  constructor(readonly max: number) {}
  of(value: string): string {
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.max) return OTHER_LABEL;
    this.#seen.add(value);
    return value;
  }
}

export interface QoeMetricSources {
  activeSessions(): number;
  trackedSessions(): number;
  sinkStats(): { records: number; bytes: number; droppedRecords: number; skippedLines: number };
}

/** The collector's Prometheus series (on the registry given; strategy and edge labels bounded). */
export class QoeMetrics {
  readonly #strategies: ReadonlySet<string>;
  readonly #edges: BoundedLabel;
  readonly #events: Counter<'type'>;
  readonly #duplicates: Counter;
  readonly #rejected: Counter<'reason'>;
  readonly #batches: Counter<'result'>;
  readonly #sessions: Counter<'strategy' | 'outcome'>;
  readonly #startup: Histogram<'strategy'>;
  readonly #rebufferRatio: Histogram<'strategy'>;
  readonly #bitrate: Histogram<'strategy'>;
  readonly #vmaf: Histogram<'strategy'>;
  readonly #failovers: Counter<'edge'>;
  readonly #errors: Counter<'edge'>;
  readonly #appendSeconds: Histogram;
  #sources: QoeMetricSources | undefined;

  constructor(registry: Registry, options: { strategies: readonly string[]; maxEdgeLabels: number }) {
    this.#strategies = new Set(options.strategies);
    this.#edges = new BoundedLabel(options.maxEdgeLabels);
    const registers = [registry];
    const byStrategy = (name: string, help: string, buckets: number[]) =>
      new Histogram({ name, help, labelNames: ['strategy'] as const, buckets, registers });
    this.#events = new Counter({
      name: 'cdn_qoe_events_total',
      help: 'QoE events accepted (duplicates not counted), by type',
      labelNames: ['type'] as const,
      registers,
    });
    for (const type of QOE_EVENT_TYPES) this.#events.inc({ type }, 0);
    this.#duplicates = new Counter({
      name: 'cdn_qoe_events_duplicate_total',
      help: 'QoE events received again with a (sessionId, seq) already stored (retries), not counted twice',
      registers,
    });
    this.#rejected = new Counter({
      name: 'cdn_qoe_events_rejected_total',
      help: 'QoE events refused, by reason (invalid event, batch over the event limit, rate limit, sink error)',
      labelNames: ['reason'] as const,
      registers,
    });
    for (const reason of REJECT_REASONS) this.#rejected.inc({ reason }, 0);
    this.#batches = new Counter({
      name: 'cdn_qoe_batches_total',
      help: 'QoE event batches received, by result (ok, partial: some events invalid, or why refused)',
      labelNames: ['result'] as const,
      registers,
    });
    for (const result of BATCH_RESULTS) this.#batches.inc({ result }, 0);
    this.#sessions = new Counter({
      name: 'cdn_qoe_sessions_total',
      help: 'Sessions ended, by ABR strategy and outcome',
      labelNames: ['strategy', 'outcome'] as const,
      registers,
    });
    for (const strategy of this.strategyLabels()) {
      for (const outcome of SESSION_OUTCOMES) this.#sessions.inc({ strategy, outcome }, 0);
    }
    this.#startup = byStrategy(
      'cdn_qoe_startup_seconds',
      'Startup delay (request to first frame), by ABR strategy',
      // 100 ms (a warm edge on a LAN) to 20 s (a cold start on a slow link).
      [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 12, 20],
    );
    this.#rebufferRatio = byStrategy(
      'cdn_qoe_rebuffer_ratio',
      'Per-session rebuffer ratio (stall time over stall plus play time), by ABR strategy',
      // 0 (no stall: the first bucket) to 50%; 1% and 2% are common operating targets.
      [0, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
    );
    this.#bitrate = byStrategy(
      'cdn_qoe_bitrate_bps',
      'Per-session average video bitrate played, in bit/s, by ABR strategy',
      // Ladder rungs from 200 kbit/s (mobile) to 25 Mbit/s (4K).
      [200e3, 400e3, 750e3, 1e6, 1.5e6, 2.5e6, 4e6, 6e6, 8e6, 12e6, 16e6, 25e6],
    );
    this.#vmaf = byStrategy(
      'cdn_qoe_vmaf',
      'Per-session average VMAF of played segments, by ABR strategy',
      // VMAF 0..100; about 6 points is one just-noticeable difference (Ozer, VMAF JND studies).
      [20, 40, 50, 60, 70, 75, 80, 85, 90, 93, 95, 97, 100],
    );
    this.#failovers = new Counter({
      name: 'cdn_qoe_failovers_total',
      help: 'Sessions that left an edge (error, timeout, stall), by the edge left',
      labelNames: ['edge'] as const,
      registers,
    });
    this.#errors = new Counter({
      name: 'cdn_qoe_errors_total',
      help: 'Player errors reported, by the edge serving at the time',
      labelNames: ['edge'] as const,
      registers,
    });
    this.#appendSeconds = new Histogram({
      name: 'cdn_qoe_sink_append_seconds',
      help: 'Time to store one group of batches in the QoE sink (write and fdatasync)',
      // 50 us (memory) to 1 s (a slow disk under load).
      buckets: [0.00005, 0.0002, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    const sources = () => this.#sources;
    /** A gauge read from the collector at scrape time. */
    const gauge = (name: string, help: string, read: (s: QoeMetricSources) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const s = sources();
          if (s) this.set(read(s));
        },
      });
    gauge(
      'cdn_qoe_active_sessions',
      'Sessions started and not ended (nor silent past the idle timeout)',
      (s) => s.activeSessions(),
    );
    gauge(
      'cdn_qoe_tracked_sessions',
      'Sessions the collector aggregates in memory (bounded by qoe.maxSessions)',
      (s) => s.trackedSessions(),
    );
    gauge('cdn_qoe_sink_records', 'QoE events retained by the sink', (s) => s.sinkStats().records);
    gauge(
      'cdn_qoe_sink_bytes',
      'Bytes of QoE events retained by the sink (NDJSON)',
      (s) => s.sinkStats().bytes,
    );
  }

  /** The strategy labels in use: the known names and `other`. */
  strategyLabels(): string[] {
    return [...this.#strategies, OTHER_LABEL];
  }

  strategyLabel(strategy: string | undefined): string {
    return strategy !== undefined && this.#strategies.has(strategy) ? strategy : OTHER_LABEL;
  }

  bind(sources: QoeMetricSources): void {
    this.#sources = sources;
  }

  rejected(reason: RejectReason, events: number): void {
    if (events > 0) this.#rejected.inc({ reason }, events);
  }

  batch(result: BatchResult): void {
    this.#batches.inc({ result });
  }

  duplicates(count: number): void {
    if (count > 0) this.#duplicates.inc(count);
  }

  appendDuration(seconds: number): void {
    this.#appendSeconds.observe(seconds);
  }

  /** Records one new event; `session` is its session's record after the event was applied. */
  observe(event: QoeEvent, session: Pick<SessionRecord, 'strategy' | 'edge'>): void {
    this.#events.inc({ type: event.type });
    const strategy = this.strategyLabel(session.strategy);
    switch (event.type) {
      case 'startup_complete':
        this.#startup.observe({ strategy }, event.payload.startupDelayMs / 1000);
        break;
      case 'edge_failover':
        this.#failovers.inc({ edge: this.#edges.of(event.payload.fromEdge) });
        break;
      case 'error':
        this.#errors.inc({ edge: this.#edges.of(event.payload.edge ?? session.edge ?? 'unknown') });
        break;
      case 'session_end': {
        const { outcome, summary } = event.payload;
        const label = { strategy: this.strategyLabel(summary.strategy) };
        this.#sessions.inc({ ...label, outcome });
        this.#rebufferRatio.observe(label, summary.rebufferRatio);
        this.#bitrate.observe(label, summary.avgBitrateBps);
        if (summary.avgVmaf !== undefined) this.#vmaf.observe(label, summary.avgVmaf);
        break;
      }
      case 'session_start':
      case 'rung_switch':
      case 'rebuffer_start':
      case 'rebuffer_end':
        break;
    }
  }
}
