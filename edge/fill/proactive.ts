/**
 * Proactive fill (the shell), after Open Connect's nightly fill: titles are brought into the cache
 * before anyone asks, most popular first, within a time window and a bandwidth cap, through the
 * node's ordinary fill path (so a client asking meanwhile joins the same fetch).
 *
 * A run reads each title's `title.json` (cached like any object), plans its objects
 * (planTitleObjects), makes room (planRoom: free space, then only titles colder by the origin's
 * popularity and not served here recently, deleted by the run itself before it writes), and fetches
 * the objects with bounded concurrency, paced by a token bucket. One run at a time; runs can be
 * cancelled; `GET /admin/fill` reports progress.
 */
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';
import { request } from 'undici';
import { z } from 'zod';
import { isCdnError, toCdnError, type CdnError } from '../../common/errors.js';
import type { Logger } from '../../common/logging.js';
import { TITLE_ID_PATTERN, titleFileSchema, type TitleFile } from '../../manifests/index.js';
import { EdgeHttpErrorCode, edgeHttpError } from '../http/errors.js';
import type { ProactiveFillConfig } from './proactiveConfig.js';
import { ProactiveErrorCode, proactiveError } from './proactiveErrors.js';
import {
  MAX_TITLES_PER_RUN,
  charge,
  decideScheduledRun,
  inFillWindow,
  newBucket,
  parseFillRequest,
  planRoom,
  planTitleObjects,
  reserve,
  titleFileKey,
  type BucketRate,
  type FillRequest,
  type PlannedObject,
  type TokenBucket,
} from './proactivePlan.js';
import type { CacheWarmer } from './prefetchWarmer.js';

export type RunOutcome = 'completed' | 'cancelled' | 'window_closed' | 'budget' | 'cache_full' | 'failed';
export type ObjectOutcome = 'filled' | 'cached' | 'failed';
type TitleState = 'pending' | 'filling' | 'done' | 'partial' | 'failed' | 'skipped';

export interface TitleProgress {
  titleId: string;
  /** Origin popularity score (0 when not listed). */
  score: number;
  state: TitleState;
  objects: number;
  bytes: number;
}

export interface RunError {
  titleId: string;
  key?: string;
  code: string;
  message: string;
}

export interface RunStatus {
  id: string;
  trigger: 'admin' | 'schedule';
  source: FillRequest['source'];
  state: 'running' | 'finished';
  outcome: RunOutcome | undefined;
  startedAt: string;
  finishedAt: string | undefined;
  maxBytes: number | undefined;
  titlesTotal: number;
  titlesDone: number;
  bytes: number;
  objects: Record<ObjectOutcome, number>;
  /** Charged bytes of colder titles deleted to make room. */
  displacedBytes: number;
  titles: TitleProgress[];
  /** The first errors (at most MAX_RUN_ERRORS). */
  errors: RunError[];
  errorCount: number;
}

export interface AdminAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface ProactiveFillerDeps {
  config: ProactiveFillConfig;
  /** The origin's base URL (its `/v1/popularity`). */
  originUrl: string;
  /** Timeouts of the popularity request (the node's upstream ones). */
  upstream: { headersTimeoutMs: number; bodyTimeoutMs: number };
  warmer: CacheWarmer;
  registry: Registry;
  logger: Logger;
  /** Wall clock, in ms since the epoch (the window, status times). */
  nowMs: () => number;
  /** Monotonic clock, in ms, that paces the bandwidth bucket; performance.now by default. */
  monotonicMs?: () => number;
  draining: () => boolean;
}

/** Errors kept per run for the status answer: enough to diagnose, bounded. */
const MAX_RUN_ERRORS = 50;
/**
 * Token bucket depth, as seconds of the rate: 100 ms lets objects start without waiting after a
 * pause while keeping every second of the run within ~10% of the cap.
 */
const BURST_S = 0.1;
/** Titles whose last local request is remembered (bounded against requests for made-up titles). */
const MAX_SERVED_TITLES = 100_000;
/** A title's last-served time is refreshed at most this often, in ms (keeps the hot path to a Map read). */
const SERVED_REFRESH_MS = 1000;
/** title.json files read at once while checking a request's titles. */
const TITLE_CHECK_CONCURRENCY = 4;

const popularitySchema = z.object({
  titles: z.array(z.object({ titleId: z.string(), score: z.number() })),
});

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

interface Run {
  status: RunStatus;
  controller: AbortController;
  done: Promise<void>;
  /** title.json files read while checking the request. */
  titleFiles: Map<string, TitleFile>;
  /** Origin popularity of every title it lists (the run's and others): who may be displaced. */
  scores: ReadonlyMap<string, number>;
  /** Bytes of the objects started so far (the byte budget counts fills in flight too). */
  issuedBytes: number;
}

export class ProactiveFiller {
  private current: Run | undefined;
  private last: RunStatus | undefined;
  /** Set while a POST is being checked, so that two cannot both start. */
  private reserved = false;
  private runs = 0;
  private readonly served = new Map<string, number>();
  private readonly counters = {
    bytes: 0,
    displacedBytes: 0,
    objects: new Map<ObjectOutcome, number>(),
    runs: new Map<RunOutcome, number>(),
  };
  private scheduleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly rate: BucketRate;
  private readonly monotonicMs: () => number;

  constructor(private readonly deps: ProactiveFillerDeps) {
    this.rate = {
      bandwidthBps: deps.config.bandwidthBps,
      burstBits: Math.max(8 * 1024, deps.config.bandwidthBps * BURST_S),
    };
    this.monotonicMs = deps.monotonicMs ?? (() => performance.now());
    this.registerMetrics(deps.registry);
    if (deps.config.enabled) this.scheduleNext();
  }

  private registerMetrics(registry: Registry): void {
    const { counters } = this;
    const running = (): boolean => this.current !== undefined;
    new Counter({
      name: 'cdn_edge_proactive_fill_bytes_total',
      help: 'Body bytes brought in by proactive fill',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(counters.bytes);
      },
    });
    new Counter({
      name: 'cdn_edge_proactive_fill_objects_total',
      help: 'Objects handled by proactive fill, by outcome (filled, cached: already there, failed)',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [outcome, n] of counters.objects) this.inc({ outcome }, n);
      },
    });
    new Counter({
      name: 'cdn_edge_proactive_fill_runs_total',
      help: 'Proactive fill runs finished, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [outcome, n] of counters.runs) this.inc({ outcome }, n);
      },
    });
    new Counter({
      name: 'cdn_edge_proactive_fill_displaced_bytes_total',
      help: 'Charged bytes of colder titles deleted by proactive fill to make room',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(counters.displacedBytes);
      },
    });
    new Gauge({
      name: 'cdn_edge_proactive_fill_running',
      help: '1 while a proactive fill run is in progress',
      registers: [registry],
      collect() {
        this.set(running() ? 1 : 0);
      },
    });
  }

  private countObject(outcome: ObjectOutcome): void {
    this.counters.objects.set(outcome, (this.counters.objects.get(outcome) ?? 0) + 1);
  }

  /** A client asked this node for an object of `titleId` (hot path: a Map read, a write once a second). */
  noteServed(titleId: string | undefined): void {
    if (titleId === undefined) return;
    const nowMs = this.deps.nowMs();
    const last = this.served.get(titleId);
    if (last !== undefined && nowMs - last < SERVED_REFRESH_MS) return;
    // Re-inserted so that the Map's order is least recently served first.
    this.served.delete(titleId);
    this.served.set(titleId, nowMs);
    if (this.served.size > MAX_SERVED_TITLES) this.served.delete(this.served.keys().next().value!);
  }

  private recentlyServed(titleId: string, nowMs: number): boolean {
    const last = this.served.get(titleId);
    return last !== undefined && nowMs - last <= this.deps.config.protectServedWithinS * 1000;
  }

  /** Progress of the run in flight, else of the last one. */
  status(): { status: 'running' | 'idle'; run: RunStatus | undefined } {
    if (this.current !== undefined) return { status: 'running', run: structuredClone(this.current.status) };
    return { status: 'idle', run: this.last === undefined ? undefined : structuredClone(this.last) };
  }

  /** `/admin/fill`: GET status, POST start, DELETE cancel. The caller checked the admin token. */
  async handleAdmin(method: string, readBody: () => Promise<Record<string, unknown>>): Promise<AdminAnswer> {
    switch (method) {
      case 'GET':
      case 'HEAD':
        return { status: 200, body: this.status() };
      case 'POST':
        return this.startFromRequest(await readBody());
      case 'DELETE': {
        const cancelled = await this.cancel();
        return { status: 200, body: { cancelled, ...this.status() } };
      }
      default:
        return {
          status: 405,
          body: edgeHttpError(EdgeHttpErrorCode.MethodNotAllowed, 'use GET, POST or DELETE').toJSON(),
          headers: { allow: 'GET, HEAD, POST, DELETE' },
        };
    }
  }

  private refuseIfBusy(): void {
    if (this.current !== undefined || this.reserved) {
      throw proactiveError(
        ProactiveErrorCode.FillRunning,
        'a fill run is in progress; cancel it with DELETE first',
        {
          details: { run: this.current?.status.id },
        },
      );
    }
  }

  private async startFromRequest(body: Record<string, unknown>): Promise<AdminAnswer> {
    const verdict = parseFillRequest(body);
    if (verdict.kind === 'invalid') throw edgeHttpError(EdgeHttpErrorCode.BadRequest, verdict.message);
    this.refuseIfBusy();
    this.reserved = true;
    try {
      const run = await this.prepare(verdict.request, 'admin');
      return { status: 202, body: { status: 'running', run: structuredClone(run.status) } };
    } finally {
      this.reserved = false;
    }
  }

  /**
   * Resolves what a run fills (the popularity list, or the given titles checked against the
   * origin: all must exist, or nothing starts) and starts it in the background.
   */
  private async prepare(request: FillRequest, trigger: 'admin' | 'schedule'): Promise<Run> {
    let titles: { titleId: string; score: number }[];
    const titleFiles = new Map<string, TitleFile>();
    const scores = new Map<string, number>();
    if (request.source === 'popularity') {
      const limit = request.limit ?? this.deps.config.popularityLimit;
      const list = await this.fetchPopularity(MAX_TITLES_PER_RUN);
      for (const t of list) scores.set(t.titleId, t.score);
      titles = list.slice(0, limit);
    } else {
      await this.checkTitles(request.titles, titleFiles);
      // Scores let the run displace colder titles; without a read token none is displaced.
      if (this.deps.config.originReadToken !== undefined) {
        try {
          for (const t of await this.fetchPopularity(MAX_TITLES_PER_RUN)) scores.set(t.titleId, t.score);
        } catch (err) {
          this.deps.logger.warn(
            { err: (err as Error).message },
            'popularity unavailable; filling free space only',
          );
        }
      }
      titles = request.titles.map((titleId) => ({ titleId, score: scores.get(titleId) ?? 0 }));
    }
    if (this.closed) throw edgeHttpError(EdgeHttpErrorCode.NotReady, 'the node is shutting down');
    const maxBytes = minDefined(request.maxBytes, this.deps.config.maxBytesPerRun);
    const status: RunStatus = {
      id: `run-${++this.runs}`,
      trigger,
      source: request.source,
      state: 'running',
      outcome: undefined,
      startedAt: new Date(this.deps.nowMs()).toISOString(),
      finishedAt: undefined,
      maxBytes,
      titlesTotal: titles.length,
      titlesDone: 0,
      bytes: 0,
      objects: { filled: 0, cached: 0, failed: 0 },
      displacedBytes: 0,
      titles: titles.map((t) => ({ ...t, state: 'pending', objects: 0, bytes: 0 })),
      errors: [],
      errorCount: 0,
    };
    const controller = new AbortController();
    const run: Run = { status, controller, titleFiles, scores, issuedBytes: 0, done: Promise.resolve() };
    this.current = run;
    this.deps.logger.info({ run: status.id, trigger, titles: titles.length, maxBytes }, 'fill run started');
    run.done = this.execute(run).then(
      (outcome) => this.finish(run, outcome),
      (err: unknown) => {
        this.deps.logger.error({ run: status.id, err: (err as Error).message }, 'fill run failed');
        this.finish(run, 'failed');
      },
    );
    return run;
  }

  private finish(run: Run, outcome: RunOutcome): void {
    run.status.state = 'finished';
    run.status.outcome = outcome;
    run.status.finishedAt = new Date(this.deps.nowMs()).toISOString();
    this.counters.runs.set(outcome, (this.counters.runs.get(outcome) ?? 0) + 1);
    this.last = run.status;
    if (this.current === run) this.current = undefined;
    const { id, bytes, objects, titlesDone } = run.status;
    this.deps.logger.info({ run: id, outcome, bytes, objects, titlesDone }, 'fill run finished');
  }

  /** Cancels the run in flight and waits for it to stop; false when none was running. */
  async cancel(): Promise<boolean> {
    const run = this.current;
    if (run === undefined) return false;
    run.controller.abort();
    await run.done;
    return true;
  }

  // ---- origin ----------------------------------------------------------------------------------

  private async fetchPopularity(limit: number): Promise<{ titleId: string; score: number }[]> {
    const token = this.deps.config.originReadToken;
    if (token === undefined) {
      throw proactiveError(
        ProactiveErrorCode.PopularityUnavailable,
        'no origin read token configured (proactiveFill.originReadToken, EDGE_ORIGIN_READ_TOKEN)',
      );
    }
    const url = `${this.deps.originUrl.replace(/\/+$/, '')}/v1/popularity?limit=${limit}`;
    let parsed: z.infer<typeof popularitySchema>;
    try {
      const res = await request(url, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        headersTimeout: this.deps.upstream.headersTimeoutMs,
        bodyTimeout: this.deps.upstream.bodyTimeoutMs,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`origin answered ${res.statusCode}: ${text.slice(0, 200)}`);
      parsed = popularitySchema.parse(JSON.parse(text));
    } catch (err) {
      throw proactiveError(
        ProactiveErrorCode.PopularityUnavailable,
        `cannot read the origin's popularity: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return parsed.titles.filter((t) => TITLE_ID_PATTERN.test(t.titleId)).slice(0, limit);
  }

  /** Reads a title's current title.json through the cache. */
  private async loadTitle(titleId: string, signal?: AbortSignal): Promise<TitleFile> {
    const key = titleFileKey(titleId);
    const result = await this.deps.warmer.warm(key, { body: true, signal });
    if (result.outcome === 'cancelled') throw proactiveError(ProactiveErrorCode.TitleInvalid, 'cancelled');
    if (result.outcome === 'failed') throw result.error;
    if (result.status === 404) {
      throw proactiveError(
        ProactiveErrorCode.TitleNotFound,
        `title ${titleId} is not published at the origin`,
        {
          details: { titleId },
        },
      );
    }
    if (result.status !== 200 || result.body === undefined) {
      throw proactiveError(
        ProactiveErrorCode.ObjectStatus,
        `the origin answered ${result.status} for ${key}`,
        {
          details: { key, status: result.status },
        },
      );
    }
    let title: TitleFile;
    try {
      title = titleFileSchema.parse(JSON.parse(result.body.toString('utf8')));
    } catch (err) {
      throw proactiveError(ProactiveErrorCode.TitleInvalid, `title.json of ${titleId} does not validate`, {
        cause: err,
        details: { titleId },
      });
    }
    if (title.id !== titleId) {
      throw proactiveError(
        ProactiveErrorCode.TitleInvalid,
        `title.json of ${titleId} names title ${title.id}`,
      );
    }
    return title;
  }

  /** Every title must be published (404 otherwise, naming the missing ones); their title.json files are kept. */
  private async checkTitles(titleIds: readonly string[], into: Map<string, TitleFile>): Promise<void> {
    const missing: string[] = [];
    const failures: CdnError[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < titleIds.length) {
        const titleId = titleIds[next++]!;
        try {
          into.set(titleId, await this.loadTitle(titleId));
        } catch (err) {
          if (isCdnError(err, ProactiveErrorCode.TitleNotFound)) missing.push(titleId);
          else failures.push(toCdnError(err));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(TITLE_CHECK_CONCURRENCY, titleIds.length) }, worker));
    if (missing.length > 0) {
      missing.sort();
      throw proactiveError(
        ProactiveErrorCode.TitleNotFound,
        `not published at the origin: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', ...' : ''}`,
        { details: { titles: missing } },
      );
    }
    if (failures.length > 0) throw failures[0]!;
  }

  // ---- the run ---------------------------------------------------------------------------------

  private recordError(run: Run, error: RunError): void {
    run.status.errorCount++;
    if (run.status.errors.length < MAX_RUN_ERRORS) run.status.errors.push(error);
  }

  private async execute(run: Run): Promise<RunOutcome> {
    const { config, warmer, nowMs } = this.deps;
    const { status, controller } = run;
    const signal = controller.signal;
    const scheduled = status.trigger === 'schedule';
    const monotonicMs = this.monotonicMs;
    let bucket: TokenBucket = newBucket(monotonicMs(), this.rate);
    /** Why the run must stop before the next object, if it must. */
    const stopReason = (nextBytes: number): RunOutcome | undefined => {
      if (signal.aborted) return 'cancelled';
      if (scheduled && !inFillWindow(nowMs(), config.windowStartHourUtc, config.windowEndHourUtc)) {
        return 'window_closed';
      }
      if (status.maxBytes !== undefined && run.issuedBytes + nextBytes > status.maxBytes) return 'budget';
      return undefined;
    };

    for (const progress of status.titles) {
      const early = stopReason(0);
      if (early !== undefined) return early;
      progress.state = 'filling';
      let title: TitleFile;
      try {
        title = run.titleFiles.get(progress.titleId) ?? (await this.loadTitle(progress.titleId, signal));
      } catch (err) {
        if (signal.aborted) return 'cancelled';
        const error = toCdnError(err);
        progress.state = isCdnError(err, ProactiveErrorCode.TitleNotFound) ? 'skipped' : 'failed';
        this.recordError(run, { titleId: progress.titleId, code: error.code, message: error.message });
        status.titlesDone++;
        continue;
      }
      run.titleFiles.delete(progress.titleId);

      const plan = planTitleObjects(title);
      const todo: PlannedObject[] = [];
      for (const object of plan) {
        if (warmer.isCached(object.key)) {
          status.objects.cached++;
          progress.objects++;
          this.countObject('cached');
        } else todo.push(object);
      }
      const capacity = warmer.capacity();
      // Objects title.json lists without a size count with their estimate here; the bandwidth
      // bucket is charged their real size once fetched.
      const chargeOf = (o: PlannedObject): number => o.estimatedBytes + capacity.entryOverheadBytes;
      const needBytes = todo.reduce((sum, o) => sum + chargeOf(o), 0);
      const now = nowMs();
      // Residents are listed (a pass over the tier's index) only when free space is not enough.
      const residents =
        needBytes <= capacity.freeBytes
          ? []
          : warmer.residentTitles().map((r) => ({
              ...r,
              score: run.scores.get(r.titleId) ?? 0,
              recentlyServed: this.recentlyServed(r.titleId, now),
            }));
      const room = planRoom(needBytes, capacity.freeBytes, progress, residents);
      for (const r of room.release) {
        const freed = await warmer.release(r.titleId, r.bytes);
        status.displacedBytes += freed;
        this.counters.displacedBytes += freed;
        this.deps.logger.info(
          { run: status.id, titleId: r.titleId, freed, for: progress.titleId },
          'displaced a colder title',
        );
      }

      let allotted = 0;
      let cut: RunOutcome | undefined;
      const inflight = new Set<Promise<void>>();
      for (const object of todo) {
        const objectCharge = chargeOf(object);
        if (allotted + objectCharge > room.fitBytes) {
          cut = 'cache_full';
          break;
        }
        cut = stopReason(object.sizeBytes ?? 0);
        if (cut !== undefined) break;
        while (inflight.size >= config.concurrency) await Promise.race(inflight);
        const reservation = reserve(bucket, monotonicMs(), (object.sizeBytes ?? 0) * 8, this.rate);
        bucket = reservation.bucket;
        if (reservation.waitMs > 0) await sleep(reservation.waitMs, signal);
        cut = stopReason(object.sizeBytes ?? 0);
        if (cut !== undefined) break;
        allotted += objectCharge;
        run.issuedBytes += object.sizeBytes ?? 0;
        const work = this.fillObject(run, progress, object).then((extraBits) => {
          if (extraBits > 0) bucket = charge(bucket, monotonicMs(), extraBits, this.rate);
        });
        const tracked = work.finally(() => inflight.delete(tracked));
        inflight.add(tracked);
      }
      await Promise.all(inflight);
      status.titlesDone++;
      progress.state = cut === undefined ? 'done' : 'partial';
      if (cut !== undefined) return signal.aborted ? 'cancelled' : cut;
      if (room.full) return 'cache_full';
    }
    return signal.aborted ? 'cancelled' : 'completed';
  }

  /**
   * Fetches one object; returns bits to charge afterwards (objects whose size was not known). A
   * cancelled run still waits for the fills it started: they are ordinary fills that clients may
   * have joined, and cancelling returns once nothing of the run is in flight.
   */
  private async fillObject(run: Run, progress: TitleProgress, object: PlannedObject): Promise<number> {
    const result = await this.deps.warmer.warm(object.key);
    const { status } = run;
    switch (result.outcome) {
      case 'cancelled':
        return 0;
      case 'cached':
        status.objects.cached++;
        progress.objects++;
        this.countObject('cached');
        return 0;
      case 'failed':
        status.objects.failed++;
        this.countObject('failed');
        this.recordError(run, {
          titleId: progress.titleId,
          key: object.key,
          code: result.error.code,
          message: result.error.message,
        });
        return 0;
      case 'filled':
        if (result.status !== 200) {
          status.objects.failed++;
          this.countObject('failed');
          this.recordError(run, {
            titleId: progress.titleId,
            key: object.key,
            code: ProactiveErrorCode.ObjectStatus,
            message: `the origin answered ${result.status}`,
          });
          return 0;
        }
        status.objects.filled++;
        status.bytes += result.sizeBytes;
        progress.objects++;
        progress.bytes += result.sizeBytes;
        this.counters.bytes += result.sizeBytes;
        this.countObject('filled');
        return object.sizeBytes === undefined ? result.sizeBytes * 8 : 0;
    }
  }

  // ---- schedule --------------------------------------------------------------------------------

  private scheduleNext(): void {
    if (this.closed) return;
    this.scheduleTimer = setTimeout(() => {
      void this.tick().finally(() => this.scheduleNext());
    }, this.deps.config.intervalS * 1000);
    this.scheduleTimer.unref();
  }

  /** One look of the schedule: starts a popularity run when inside the window and idle. */
  async tick(): Promise<ScheduleTickResult> {
    const { config } = this.deps;
    const decision = decideScheduledRun(
      {
        enabled: config.enabled && !this.closed,
        running: this.current !== undefined || this.reserved,
        draining: this.deps.draining(),
        nowMs: this.deps.nowMs(),
      },
      { startHourUtc: config.windowStartHourUtc, endHourUtc: config.windowEndHourUtc },
    );
    if (decision.kind === 'wait') return { started: false, reason: decision.reason };
    this.reserved = true;
    try {
      const run = await this.prepare(
        { source: 'popularity', limit: undefined, maxBytes: undefined },
        'schedule',
      );
      return { started: true, runId: run.status.id };
    } catch (err) {
      const error = toCdnError(err);
      this.counters.runs.set('failed', (this.counters.runs.get('failed') ?? 0) + 1);
      this.deps.logger.warn({ code: error.code, err: error.message }, 'scheduled fill run could not start');
      return { started: false, reason: 'error', error: error.code };
    } finally {
      this.reserved = false;
    }
  }

  /** Stops the schedule and cancels a run in flight. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.scheduleTimer !== undefined) clearTimeout(this.scheduleTimer);
    await this.cancel();
  }
}

export type ScheduleTickResult =
  | { started: true; runId: string }
  | {
      started: false;
      reason: 'disabled' | 'outside-window' | 'running' | 'draining' | 'error';
      error?: string;
    };

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
