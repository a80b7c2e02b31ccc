/**
 * CMCD prefetch (the shell): hints from client requests become background fills through the
 * node's cache warmer, with bounded concurrency and a bounded queue, shed first under load. The
 * request that carries the hints is never delayed: it only pays for a header check when it has no
 * CMCD (see mayCarryCmcd), and the decoding runs after its own answer started (setImmediate).
 */
import { setMaxListeners } from 'node:events';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../common/logging.js';
import { TOKEN_QUERY_PARAM, type CacheKeyInfo, type CacheKeyOptions } from '../policy/cacheKey.js';
import { verifyToken, type TokenKeyring } from '../tokens/token.js';
import type { PrefetchConfig } from './prefetchConfig.js';
import { mayCarryCmcd, prefetchTargets, readCmcdHints } from './prefetchCmcd.js';
import { PrefetchTracker, admitPrefetch, type PrefetchSettlement } from './prefetchPolicy.js';
import type { CacheWarmer } from './prefetchWarmer.js';

/** Values of the `outcome` label of cdn_edge_prefetch_total (bounded). */
export type PrefetchOutcome =
  /** A prefetch started. */
  | 'issued'
  /** Shed: queue full, node busy, or draining. */
  | 'dropped'
  /** A client asked for a prefetched object within the window. */
  | 'used'
  /** A prefetched object aged out of the window, or was evicted, unasked. */
  | 'wasted'
  /** A hint refused: another title or host, not content, malformed, over the per-request cap, not covered by the token. */
  | 'ignored'
  /** A hint for an object already stored, being filled, or queued: nothing to do. */
  | 'cached'
  /** A prefetch whose fill failed. */
  | 'failed';

export interface PrefetcherDeps {
  config: PrefetchConfig;
  keyOptions: CacheKeyOptions;
  warmer: CacheWarmer;
  registry: Registry;
  logger: Logger;
  nowMs: () => number;
  /** Client content requests in flight. */
  inflightRequests: () => number;
  draining: () => boolean;
  /**
   * Whether a hinted object may be fetched for this request: the URL token rules (the hint's own
   * token, else the request's, must cover the hinted path). Absent: no tokens on this node.
   */
  authorize?: (hintTarget: string, hintPath: string, requestTarget: string) => boolean;
  /** Event-loop lag in ms; measured here (perf_hooks) when absent. */
  eventLoopLagMs?: () => number;
}

function tokenOf(target: string): string | undefined {
  const q = target.indexOf('?');
  return q < 0 ? undefined : (new URLSearchParams(target.slice(q + 1)).get(TOKEN_QUERY_PARAM) ?? undefined);
}

/**
 * The token rule for hints on a node that requires tokens: the hint's own `token`, else the one of
 * the request carrying it, must cover the hinted path (one token covers a title, so a player's
 * hints for the next segment pass; a hint cannot borrow the request's token for another prefix).
 */
export function prefetchTokenCheck(
  keyring: TokenKeyring,
  nowMs: () => number,
): NonNullable<PrefetcherDeps['authorize']> {
  return (hintTarget, hintPath, requestTarget) =>
    verifyToken(tokenOf(hintTarget) ?? tokenOf(requestTarget), hintPath, keyring, nowMs()).ok;
}

/** Event-loop delay sampling resolution, in ms (perf_hooks monitorEventLoopDelay): 10 ms sees any stall that matters. */
const LAG_RESOLUTION_MS = 10;
/** Lag is the p99 of the last period, in ms: long enough for ~100 samples, short enough to react within a second. */
const LAG_PERIOD_MS = 1000;

/** Event-loop lag (p99 over the last period), measured with perf_hooks. */
class LagSampler {
  private readonly histogram: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  lagMs = 0;

  constructor() {
    this.histogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    this.histogram.enable();
    this.timer = setInterval(() => {
      // The histogram counts the delay including the resolution itself.
      this.lagMs = Math.max(0, this.histogram.percentile(99) / 1e6 - LAG_RESOLUTION_MS);
      this.histogram.reset();
    }, LAG_PERIOD_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}

export class Prefetcher {
  private readonly tracker: PrefetchTracker;
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly counts = new Map<PrefetchOutcome, number>();
  private running = 0;
  private readonly abort = new AbortController();
  private readonly pending = new Set<Promise<void>>();
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly lag: LagSampler | undefined;
  private readonly lagMs: () => number;

  constructor(private readonly deps: PrefetcherDeps) {
    const { config, registry } = deps;
    this.tracker = new PrefetchTracker(config.usedWindowMs, config.maxTracked);
    // Every prefetch in flight listens on the one abort signal.
    setMaxListeners(config.concurrency * 2 + 8, this.abort.signal);
    if (deps.eventLoopLagMs !== undefined) this.lagMs = deps.eventLoopLagMs;
    else {
      const sampler = new LagSampler();
      this.lag = sampler;
      this.lagMs = () => sampler.lagMs;
    }
    // A few sweeps per window: wasted prefetches show up within a quarter window of aging out.
    this.sweepTimer = setInterval(() => this.sweep(), Math.min(5000, Math.max(50, config.usedWindowMs / 4)));
    this.sweepTimer.unref();
    const counts = this.counts;
    new Counter({
      name: 'cdn_edge_prefetch_total',
      help: 'CMCD prefetch hints and prefetches, by outcome (issued, dropped, used, wasted, ignored, cached, failed)',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [outcome, value] of counts) this.inc({ outcome }, value);
      },
    });
    const running = (): number => this.running;
    const lagMs = this.lagMs;
    new Gauge({
      name: 'cdn_edge_prefetch_inflight',
      help: 'Prefetches fetching now',
      registers: [registry],
      collect() {
        this.set(running());
      },
    });
    new Gauge({
      name: 'cdn_edge_event_loop_lag_seconds',
      help: 'Event-loop lag, p99 over the last second',
      registers: [registry],
      collect() {
        this.set(lagMs() / 1000);
      },
    });
  }

  private count(outcome: PrefetchOutcome, by = 1): void {
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + by);
  }

  private settle(settlements: readonly PrefetchSettlement[]): void {
    for (const s of settlements) this.count(s.outcome);
  }

  /** Prefetch outcomes so far (tests, status). */
  get stats(): Readonly<Record<PrefetchOutcome, number>> {
    const out = { issued: 0, dropped: 0, used: 0, wasted: 0, ignored: 0, cached: 0, failed: 0 };
    for (const [outcome, value] of this.counts) out[outcome] = value;
    return out;
  }

  /**
   * Called for every content request once its token passed. Costs a Map lookup when prefetches
   * are outstanding and a header check otherwise; hints are decoded on a later tick.
   */
  onRequest(headers: Readonly<Record<string, unknown>>, target: string, info: CacheKeyInfo): void {
    if (this.tracker.size > 0) {
      const settled = this.tracker.request(info.key, this.deps.nowMs());
      if (settled !== undefined) this.count(settled.outcome);
    }
    if (!this.deps.config.enabled || !mayCarryCmcd(headers, target)) return;
    setImmediate(() => this.consider(headers, target, info));
  }

  private consider(headers: Readonly<Record<string, unknown>>, target: string, info: CacheKeyInfo): void {
    if (this.abort.signal.aborted) return;
    const hints = readCmcdHints(headers, target);
    if (hints === undefined) return;
    const targets = prefetchTargets(
      hints,
      { path: info.path, key: info.key, titleId: info.titleId },
      this.deps.keyOptions,
    );
    for (const t of targets) {
      if (t.kind === 'self') {
        this.count('cached');
        continue;
      }
      if (t.kind === 'ignore') {
        this.count('ignored');
        this.deps.logger.debug({ ref: t.ref.slice(0, 200), reason: t.reason }, 'prefetch hint ignored');
        continue;
      }
      if (this.deps.authorize !== undefined && !this.deps.authorize(t.target, t.path, target)) {
        this.count('ignored');
        continue;
      }
      if (this.queued.has(t.key) || this.deps.warmer.isCached(t.key)) {
        this.count('cached');
        continue;
      }
      const admission = admitPrefetch(this.load(this.queue.length), this.deps.config);
      switch (admission.kind) {
        case 'start':
          this.start(t.key);
          break;
        case 'queue':
          this.queue.push(t.key);
          this.queued.add(t.key);
          break;
        case 'drop':
          this.count('dropped');
          break;
      }
    }
  }

  private load(queued: number) {
    return {
      inflightRequests: this.deps.inflightRequests(),
      eventLoopLagMs: this.lagMs(),
      running: this.running,
      queued,
      draining: this.deps.draining(),
    };
  }

  private start(key: string): void {
    this.running++;
    this.count('issued');
    this.settle(this.tracker.add(key, this.deps.nowMs()));
    const work = this.deps.warmer
      .warm(key, { signal: this.abort.signal })
      .then((result) => {
        if (result.outcome === 'failed' || (result.outcome === 'filled' && result.status >= 400)) {
          // Not an object anyone can use: settle it now rather than as wasted later.
          if (this.tracker.has(key) && this.tracker.request(key, this.deps.nowMs()) !== undefined) {
            this.count('failed');
          }
          this.deps.logger.debug(
            {
              key,
              ...(result.outcome === 'failed' ? { code: result.error.code } : { status: result.status }),
            },
            'prefetch failed',
          );
        }
      })
      .finally(() => {
        this.running--;
        this.pending.delete(work);
        this.pump();
      });
    this.pending.add(work);
  }

  /** Starts queued hints while slots are free, re-checking the load for each (shed what went stale). */
  private pump(): void {
    while (this.running < this.deps.config.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      if (this.abort.signal.aborted) continue;
      if (this.deps.warmer.isCached(key)) {
        this.count('cached');
        continue;
      }
      const admission = admitPrefetch(this.load(0), this.deps.config);
      if (admission.kind === 'drop') this.count('dropped');
      else this.start(key);
    }
  }

  private sweep(): void {
    if (this.tracker.size === 0) return;
    this.settle(this.tracker.sweep(this.deps.nowMs(), (key) => this.deps.warmer.isCached(key)));
  }

  /** Stops taking hints, drops the queue, stops following prefetches in flight (their fills go on). */
  async close(): Promise<void> {
    this.abort.abort();
    clearInterval(this.sweepTimer);
    this.lag?.stop();
    this.count('dropped', this.queue.length);
    this.queue.length = 0;
    this.queued.clear();
    await Promise.all([...this.pending]);
  }
}
