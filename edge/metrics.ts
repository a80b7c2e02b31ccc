/**
 * The edge's Prometheus series. Hot-path counts go into plain numbers that prom-client reads at
 * scrape time (`collect`), so a cache hit costs an integer increment, not a label hash lookup.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CacheStore } from './cache/types.js';
import type { FillSourceKind } from './fill/sources.js';

/** Values of the `cache_status` label (bounded). */
export type CacheStatusLabel =
  'hit' | 'miss' | 'collapsed' | 'stale' | 'revalidated' | 'stale_if_error' | 'pass' | 'error';

export type UpstreamOutcome =
  | 'ok'
  | 'not_modified'
  | 'error_status'
  | 'timeout'
  | 'unavailable'
  | 'truncated'
  | 'corrupt'
  | 'client_error';

/** Counts by a label pair, read at scrape time. */
class Tally {
  readonly values = new Map<string, number>();
  add(key: string, by = 1): void {
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
}

export interface EdgeMetrics {
  request(cacheStatus: CacheStatusLabel, objectType: string): void;
  responseBytes(bytes: number): void;
  /** One upstream request of a fill, by the kind of source asked (the origin when not given). */
  upstream(outcome: UpstreamOutcome, durationS: number, source?: FillSourceKind): void;
  /** A fill passed over a source in back-off. */
  fillSourceSkip(source: FillSourceKind): void;
  /** A fill whose body did not match the SHA-256 its ETag states. */
  fillVerificationFailure(): void;
  coalescedWaiter(): void;
  tokenFailure(reason: string): void;
  storeFailure(tier: string): void;
  inflightRequests: { n: number };
}

/** Registers the edge series on `registry`; `stores` and `inflightFills` are read at scrape time. */
export function createEdgeMetrics(
  registry: Registry,
  stores: readonly CacheStore[],
  inflightFills: () => number,
): EdgeMetrics {
  const requests = new Tally();
  const tokenFailures = new Tally();
  const storeFailures = new Tally();
  const upstreamCounts = new Tally();
  const sourceSkips = new Tally();
  const fillTotals = { verificationFailures: 0 };
  const totals = { responseBytes: 0, coalesced: 0 };
  const inflightRequests = { n: 0 };

  new Counter({
    name: 'cdn_edge_requests_total',
    help: 'Content requests answered, by RFC 9211 cache status and object type',
    labelNames: ['cache_status', 'object_type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, value] of requests.values) {
        const [cacheStatus, objectType] = key.split('|') as [string, string];
        this.inc({ cache_status: cacheStatus, object_type: objectType }, value);
      }
    },
  });
  new Counter({
    name: 'cdn_edge_response_bytes_total',
    help: 'Body bytes sent to clients on /content',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(totals.responseBytes);
    },
  });
  new Counter({
    name: 'cdn_edge_upstream_requests_total',
    help: 'Requests to upstream fill sources, by source and outcome',
    labelNames: ['source', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, value] of upstreamCounts.values) {
        const [source, outcome] = key.split('|') as [string, string];
        this.inc({ source, outcome }, value);
      }
    },
  });
  new Counter({
    name: 'cdn_edge_fill_source_skips_total',
    help: 'Fill sources passed over because they were in back-off after failing, by source',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [source, value] of sourceSkips.values) this.inc({ source }, value);
    },
  });
  new Counter({
    name: 'cdn_edge_fill_verification_failures_total',
    help: 'Fills whose body did not match the SHA-256 of their ETag (never stored)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(fillTotals.verificationFailures);
    },
  });
  const upstreamDuration = new Histogram({
    name: 'cdn_edge_upstream_duration_seconds',
    help: 'Time from sending a fill request upstream to its last body byte (or failure)',
    labelNames: ['source'],
    // From a loopback hit (ms) to the default body timeout (10 s).
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Counter({
    name: 'cdn_edge_coalesced_waiters_total',
    help: 'Requests that joined a fill already in flight instead of going upstream',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(totals.coalesced);
    },
  });
  new Counter({
    name: 'cdn_edge_token_failures_total',
    help: 'Requests refused for their URL token, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, value] of tokenFailures.values) this.inc({ reason }, value);
    },
  });
  new Counter({
    name: 'cdn_edge_store_failures_total',
    help: 'Cache writes that failed (disk errors), by tier',
    labelNames: ['tier'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [tier, value] of storeFailures.values) this.inc({ tier }, value);
    },
  });
  new Gauge({
    name: 'cdn_edge_cache_bytes',
    help: 'Bytes charged in each cache tier (bodies plus per-entry overhead)',
    labelNames: ['tier'],
    registers: [registry],
    collect() {
      for (const store of stores) this.set({ tier: store.name }, store.stats().bytes);
    },
  });
  new Gauge({
    name: 'cdn_edge_cache_max_bytes',
    help: 'Capacity of each cache tier',
    labelNames: ['tier'],
    registers: [registry],
    collect() {
      for (const store of stores) this.set({ tier: store.name }, store.stats().maxBytes);
    },
  });
  new Gauge({
    name: 'cdn_edge_cache_objects',
    help: 'Objects in each cache tier',
    labelNames: ['tier'],
    registers: [registry],
    collect() {
      for (const store of stores) this.set({ tier: store.name }, store.stats().objects);
    },
  });
  new Counter({
    name: 'cdn_edge_cache_evictions_total',
    help: 'Objects evicted to make room, by tier',
    labelNames: ['tier'],
    registers: [registry],
    collect() {
      this.reset();
      for (const store of stores) this.inc({ tier: store.name }, store.stats().evictions);
    },
  });
  new Counter({
    name: 'cdn_edge_cache_admission_rejections_total',
    help: 'Stores refused by the admission policy, by tier',
    labelNames: ['tier'],
    registers: [registry],
    collect() {
      this.reset();
      for (const store of stores) this.inc({ tier: store.name }, store.stats().admissionRejections);
    },
  });
  new Counter({
    name: 'cdn_edge_cache_corruptions_total',
    help: 'Objects found corrupt, truncated or unreadable (dropped and refetched, never served), by tier',
    labelNames: ['tier'],
    registers: [registry],
    collect() {
      this.reset();
      for (const store of stores) this.inc({ tier: store.name }, store.stats().corruptions);
    },
  });
  new Counter({
    name: 'cdn_edge_cache_write_errors_total',
    help: 'Cache writes that failed in the store (disk full, read-only, I/O errors), by tier',
    labelNames: ['tier'],
    registers: [registry],
    collect() {
      this.reset();
      for (const store of stores) this.inc({ tier: store.name }, store.stats().writeErrors);
    },
  });
  new Gauge({
    name: 'cdn_edge_cache_tier_healthy',
    help: '1 when the cache tier is usable, 0 when it is not (readiness reports it too)',
    labelNames: ['tier'],
    registers: [registry],
    collect() {
      for (const store of stores) this.set({ tier: store.name }, store.health().healthy ? 1 : 0);
    },
  });
  new Gauge({
    name: 'cdn_edge_inflight_requests',
    help: 'Content requests being answered',
    registers: [registry],
    collect() {
      this.set(inflightRequests.n);
    },
  });
  new Gauge({
    name: 'cdn_edge_inflight_fills',
    help: 'Fills in flight from upstream',
    registers: [registry],
    collect() {
      this.set(inflightFills());
    },
  });

  return {
    request: (cacheStatus, objectType) => requests.add(`${cacheStatus}|${objectType}`),
    responseBytes: (bytes) => {
      totals.responseBytes += bytes;
    },
    upstream: (outcome, durationS, source = 'origin') => {
      upstreamCounts.add(`${source}|${outcome}`);
      upstreamDuration.observe({ source }, durationS);
    },
    fillSourceSkip: (source) => sourceSkips.add(source),
    fillVerificationFailure: () => {
      fillTotals.verificationFailures++;
    },
    coalescedWaiter: () => {
      totals.coalesced++;
    },
    tokenFailure: (reason) => tokenFailures.add(reason),
    storeFailure: (tier) => storeFailures.add(tier),
    inflightRequests,
  };
}
