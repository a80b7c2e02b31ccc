/**
 * The player's QoE event reporter: a bounded in-memory queue that never blocks the player
 * (enqueue is synchronous), batched delivery to the origin's collector with undici, retries with
 * exponential backoff and full jitter, and a flush with a deadline on close. Events queued while the
 * collector is down are delivered once it is back; at close, what could not be delivered may be
 * spilled to a local NDJSON file that the next reporter on the same file sends first.
 */
import { appendFile, readFile, rm } from 'node:fs/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { loadConfig } from '../../common/config.js';
import { silentLogger, type Logger } from '../../common/logging.js';
import {
  QOE_EVENTS_PATH,
  parseQoeEvent,
  type QoeEvent,
  type QoeEventType,
  type QoeIngestResponse,
  type QoePayloadOf,
} from './schema.js';

export const qoeReporterOptionsSchema = z.strictObject({
  /** The collector's base URL (the origin); events go to `<url>/v1/qoe/events`. */
  collectorUrl: z.url({ protocol: /^https?$/ }),
  /** The QoE ingest token, when the origin has one. */
  token: z.string().min(1).max(4096).optional(),
  /** Events per request; a batch goes out once this many are queued (or on the timer). */
  maxBatchEvents: z.number().int().min(1).max(10_000).default(100),
  /** A partial batch goes out after this long, in ms: events reach dashboards within seconds. */
  flushIntervalMs: z.number().int().min(1).max(600_000).default(1000),
  /** Events held (queued and in flight); beyond, the oldest low-priority ones are dropped. */
  maxQueueEvents: z.number().int().min(1).max(10_000_000).default(10_000),
  /** Per-request deadline, in ms: a collector that does not answer in time is retried. */
  requestTimeoutMs: z.number().int().min(1).max(600_000).default(5000),
  /** First retry delay cap, in ms; doubles per failed attempt (exponential backoff). */
  initialBackoffMs: z.number().int().min(1).max(600_000).default(250),
  /** Largest retry delay cap, in ms: a collector back from a restart is found within this. */
  maxBackoffMs: z.number().int().min(1).max(3_600_000).default(10_000),
  /** Undelivered events at close are appended here (NDJSON) and sent first by the next reporter. */
  spillPath: z.string().min(1).optional(),
});

export type QoeReporterOptions = z.input<typeof qoeReporterOptionsSchema> & {
  /** undici dispatcher to send with (default: the reporter's own keep-alive Agent, closed on close). */
  dispatcher?: Dispatcher;
  logger?: Logger;
  /** Uniform [0, 1) for jitter (tests pass a seeded one). */
  random?: () => number;
  /** Clock for session emitters' timestamps, ms. */
  nowMs?: () => number;
};

type ResolvedOptions = z.output<typeof qoeReporterOptionsSchema>;

/** Events that may be dropped first when the queue is full: the summary at the end carries their totals. */
const LOW_PRIORITY: ReadonlySet<QoeEventType> = new Set(['rung_switch', 'rebuffer_start', 'rebuffer_end']);

export interface QoeReporterStats {
  /** Events waiting, and events in the batches being delivered. */
  queued: number;
  inFlight: number;
  enqueued: number;
  /** Events the collector stored (accepted), or already had (duplicates of a retried batch). */
  delivered: number;
  duplicates: number;
  /** Events the collector refused as invalid (never retried). */
  rejected: number;
  /** Events refused at enqueue by the schema (a player bug), or after close. */
  invalid: number;
  /** Events dropped because the queue was full, by type. */
  dropped: number;
  droppedByType: Partial<Record<QoeEventType, number>>;
  requests: number;
  /** Failed attempts that were retried. */
  retries: number;
  /** Events written to the spill file at close, and read back from it at open. */
  spilled: number;
  unspilled: number;
  /** The latest delivery failure (error code or HTTP status), for logs. */
  lastError?: string;
}

export interface QoeReporterCloseResult {
  /** Events delivered over the reporter's life. */
  delivered: number;
  /** Events neither delivered nor refused when the deadline came (spilled if `spillPath`). */
  undelivered: number;
  spilled: number;
}

/**
 * The delay before retry number `attempt` (1, 2, ...), in ms: "full jitter" — uniform in
 * [0, min(max, initial * 2^(attempt-1))] (Brooker, "Exponential Backoff and Jitter", AWS 2015), so
 * that many players retrying after one collector restart spread out instead of arriving together.
 * A server's Retry-After is a floor.
 */
export function backoffDelayMs(
  attempt: number,
  options: { initialBackoffMs: number; maxBackoffMs: number; retryAfterMs?: number },
  random: () => number,
): number {
  const cap = Math.min(options.maxBackoffMs, options.initialBackoffMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(options.retryAfterMs ?? 0, Math.floor(random() * cap));
}

/** What the collector's answer means for a batch. */
export type DeliveryOutcome =
  | { kind: 'delivered'; accepted: number; duplicates: number; rejected: number }
  | { kind: 'refused'; reason: string }
  | { kind: 'split'; reason: string }
  | { kind: 'retry'; reason: string; retryAfterMs?: number };

/**
 * Classifies an answer (pure): 200 → delivered (invalid events in it are dropped, never resent);
 * 400 → refused (a batch no collector will take); 413 → split the batch; 401/403 (the token may be
 * being rotated), 408, 429, 5xx → retry, honouring Retry-After.
 */
export function classifyResponse(
  statusCode: number,
  body: unknown,
  retryAfterHeader: string | undefined,
  batchSize: number,
): DeliveryOutcome {
  const code =
    body !== null && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string'
      ? (body as { error: string }).error
      : `HTTP ${statusCode}`;
  if (statusCode >= 200 && statusCode < 300) {
    const answer = body as Partial<QoeIngestResponse> | null;
    const accepted = typeof answer?.accepted === 'number' ? answer.accepted : batchSize;
    const duplicates = typeof answer?.duplicates === 'number' ? answer.duplicates : 0;
    const rejected = Array.isArray(answer?.rejected) ? answer.rejected.length : 0;
    return { kind: 'delivered', accepted, duplicates, rejected };
  }
  if (statusCode === 413) return { kind: 'split', reason: code };
  const retryable = statusCode === 401 || statusCode === 403 || statusCode === 408 || statusCode === 429;
  if (retryable || statusCode >= 500) {
    const seconds = retryAfterHeader !== undefined ? Number(retryAfterHeader) : NaN;
    return Number.isFinite(seconds) && seconds >= 0
      ? { kind: 'retry', reason: code, retryAfterMs: seconds * 1000 }
      : { kind: 'retry', reason: code };
  }
  return { kind: 'refused', reason: code };
}

interface Entry {
  order: number;
  event: QoeEvent;
}

/** A FIFO with O(1) push and shift (an array with a moving head, compacted now and then). */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  peek(): T | undefined {
    return this.#items[this.#head];
  }
  shift(): T | undefined {
    const item = this.#items[this.#head];
    if (item === undefined) return undefined;
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
  drain(): T[] {
    const out = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return out;
  }
}

/** Emits one session's events with its seq (0, 1, ...) and the clock's timestamps. */
export class QoeSessionEmitter {
  #seq: number;
  constructor(
    private readonly reporter: QoeReporter,
    readonly sessionId: string,
    private readonly nowMs: () => number,
    firstSeq = 0,
  ) {
    this.#seq = firstSeq;
  }

  /** The next seq to be used. */
  get nextSeq(): number {
    return this.#seq;
  }

  /** Queues one event (never blocks, never throws); false when it was refused (see the reporter's stats). */
  emit<T extends QoeEventType>(type: T, payload: QoePayloadOf<T>, timestampMs = this.nowMs()): boolean {
    const event = { sessionId: this.sessionId, seq: this.#seq, timestampMs, type, payload } as QoeEvent;
    this.#seq += 1;
    return this.reporter.enqueue(event);
  }
}

/**
 * Sends QoE events to the collector. One reporter may serve many sessions (a fleet): events carry
 * their session id. One request is in flight at a time, so a session's events arrive in order; the
 * collector's idempotence on (sessionId, seq) makes a retry after a lost answer harmless.
 */
export class QoeReporter {
  readonly #options: ResolvedOptions;
  readonly #url: string;
  readonly #dispatcher: Dispatcher;
  readonly #ownDispatcher: Agent | undefined;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #nowMs: () => number;
  readonly #high = new Fifo<Entry>();
  readonly #low = new Fifo<Entry>();
  /** Batches taken from the queue and not yet answered, oldest first (a 413 splits the head). */
  #inFlight: QoeEvent[][] = [];
  #order = 0;
  #pumping = false;
  #closing = false;
  #timer: NodeJS.Timeout;
  /** Aborts the request or backoff wait in progress (at the close deadline). */
  #abort = new AbortController();
  /** Wakes a backoff wait early (flush, close). */
  #wake: (() => void) | undefined;
  #idleWaiters: (() => void)[] = [];
  /** Send partial batches too (set by the timer, flush and close; cleared once the queue is empty). */
  #partialWanted = false;
  #closedUndelivered = 0;
  #stats: QoeReporterStats = {
    queued: 0,
    inFlight: 0,
    enqueued: 0,
    delivered: 0,
    duplicates: 0,
    rejected: 0,
    invalid: 0,
    dropped: 0,
    droppedByType: {},
    requests: 0,
    retries: 0,
    spilled: 0,
    unspilled: 0,
  };

  constructor(options: QoeReporterOptions) {
    const { dispatcher, logger, random, nowMs, ...rest } = options;
    this.#options = loadConfig(qoeReporterOptionsSchema, rest, 'QoE reporter options');
    this.#url = new URL(QOE_EVENTS_PATH, this.#options.collectorUrl).toString();
    // Keep-alive to the collector; two connections are plenty for one request at a time.
    this.#ownDispatcher = dispatcher ? undefined : new Agent({ connections: 2 });
    this.#dispatcher = dispatcher ?? this.#ownDispatcher!;
    this.#logger = logger ?? silentLogger();
    this.#random = random ?? Math.random;
    this.#nowMs = nowMs ?? Date.now;
    this.#timer = setInterval(() => this.#kick(true), this.#options.flushIntervalMs);
    this.#timer.unref();
  }

  /** Loads events a previous reporter spilled to `spillPath` (they go out first), then removes the file. */
  async open(): Promise<void> {
    const path = this.#options.spillPath;
    if (path === undefined) return;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      if (this.enqueue(value as QoeEvent)) this.#stats.unspilled += 1;
    }
    await rm(path, { force: true });
  }

  /** An emitter for one session's events (seq from `firstSeq`, default 0). */
  session(sessionId: string, firstSeq = 0): QoeSessionEmitter {
    return new QoeSessionEmitter(this, sessionId, this.#nowMs, firstSeq);
  }

  /**
   * Queues one event: synchronous, never throws, never waits. False when it was not queued: it fails
   * the schema or the reporter is closing (counted as `invalid`), or the queue is full of events it
   * may not displace. When the queue is full the oldest queued low-priority event (switch, rebuffer)
   * is dropped, else, for a high-priority event, the oldest queued one; batches in flight are never
   * dropped. Every drop is counted.
   */
  enqueue(event: QoeEvent): boolean {
    const parsed = parseQoeEvent(event);
    if (this.#closing || parsed.kind !== 'ok') {
      this.#stats.invalid += 1;
      if (parsed.kind !== 'ok')
        this.#logger.warn({ problem: parsed.message }, 'QoE event refused by the schema');
      return false;
    }
    const valid = parsed.event;
    const low = LOW_PRIORITY.has(valid.type);
    if (this.#held() >= this.#options.maxQueueEvents) {
      const victim = this.#low.length > 0 ? this.#low.shift() : low ? undefined : this.#high.shift();
      this.#countDrop(victim?.event ?? valid);
      if (!victim) return false;
    }
    (low ? this.#low : this.#high).push({ order: this.#order++, event: valid });
    this.#stats.enqueued += 1;
    if (this.#high.length + this.#low.length >= this.#options.maxBatchEvents) this.#kick(false);
    return true;
  }

  stats(): QoeReporterStats {
    return {
      ...this.#stats,
      droppedByType: { ...this.#stats.droppedByType },
      queued: this.#high.length + this.#low.length,
      inFlight: this.#inFlight.reduce((n, b) => n + b.length, 0),
    };
  }

  /**
   * Sends everything queued now, waiting for retries; resolves true once nothing is left, false when
   * `timeoutMs` passes first (the events stay queued).
   */
  flush(timeoutMs = 10_000): Promise<boolean> {
    this.#kick(true, true);
    if (this.#held() === 0 && !this.#pumping) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#idleWaiters = this.#idleWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.#idleWaiters.push(waiter);
    });
  }

  /**
   * Stops taking events and delivers what is held, retrying, until `deadlineMs` (default 5 s); then
   * aborts, spills what is left to `spillPath` (if set), and releases the connection pool.
   */
  async close(options: { deadlineMs?: number } = {}): Promise<QoeReporterCloseResult> {
    if (!this.#closing) {
      this.#closing = true;
      clearInterval(this.#timer);
      const deadline = setTimeout(() => this.#abort.abort(), options.deadlineMs ?? 5000);
      try {
        this.#kick(true, true);
        if (this.#held() > 0 || this.#pumping) {
          await new Promise<void>((resolve) => {
            this.#idleWaiters.push(resolve);
            this.#abort.signal.addEventListener('abort', () => resolve(), { once: true });
          });
        }
        this.#abort.abort();
        while (this.#pumping) await new Promise((r) => setImmediate(r));
      } finally {
        clearTimeout(deadline);
      }
      const left = [...this.#inFlight.flat(), ...this.#takeAll()];
      this.#inFlight = [];
      if (left.length > 0 && this.#options.spillPath !== undefined) {
        await appendFile(this.#options.spillPath, left.map((e) => `${JSON.stringify(e)}\n`).join(''));
        this.#stats.spilled += left.length;
      }
      this.#closedUndelivered = left.length;
      await this.#ownDispatcher?.close();
    }
    return {
      delivered: this.#stats.delivered,
      undelivered: this.#closedUndelivered,
      spilled: this.#stats.spilled,
    };
  }

  /** Events held: queued plus in flight. */
  #held(): number {
    let n = this.#high.length + this.#low.length;
    for (const batch of this.#inFlight) n += batch.length;
    return n;
  }

  #countDrop(event: QoeEvent): void {
    this.#stats.dropped += 1;
    this.#stats.droppedByType[event.type] = (this.#stats.droppedByType[event.type] ?? 0) + 1;
  }

  /** Starts delivery off the caller's stack; `partial`: send a batch smaller than maxBatchEvents too. */
  #kick(partial: boolean, wake = false): void {
    if (partial) this.#partialWanted = true;
    if (wake) this.#wake?.();
    if (this.#pumping || this.#held() === 0) return;
    this.#pumping = true;
    setImmediate(() => void this.#pump());
  }

  /** The next batch in enqueue order, merging the two priority queues. */
  #takeBatch(): QoeEvent[] {
    const batch: QoeEvent[] = [];
    while (batch.length < this.#options.maxBatchEvents) {
      const high = this.#high.peek();
      const low = this.#low.peek();
      if (!high && !low) break;
      const next = !low || (high && high.order < low.order) ? this.#high.shift() : this.#low.shift();
      if (next) batch.push(next.event);
    }
    return batch;
  }

  #takeAll(): QoeEvent[] {
    const all = [...this.#high.drain(), ...this.#low.drain()].sort((a, b) => a.order - b.order);
    return all.map((e) => e.event);
  }

  async #pump(): Promise<void> {
    let attempt = 0;
    try {
      while (!this.#abort.signal.aborted) {
        if (this.#inFlight.length === 0) {
          const queued = this.#high.length + this.#low.length;
          if (queued === 0) {
            this.#partialWanted = false;
            break;
          }
          if (queued < this.#options.maxBatchEvents && !this.#partialWanted) break;
          this.#inFlight.push(this.#takeBatch());
        }
        const batch = this.#inFlight[0]!;
        const outcome = await this.#send(batch);
        switch (outcome.kind) {
          case 'delivered':
            this.#inFlight.shift();
            attempt = 0;
            this.#stats.delivered += outcome.accepted + outcome.duplicates;
            this.#stats.duplicates += outcome.duplicates;
            this.#stats.rejected += outcome.rejected;
            break;
          case 'refused':
            this.#inFlight.shift();
            this.#stats.rejected += batch.length;
            this.#stats.lastError = outcome.reason;
            this.#logger.warn({ reason: outcome.reason, events: batch.length }, 'QoE batch refused');
            break;
          case 'split':
            this.#inFlight.shift();
            if (batch.length === 1) {
              this.#stats.rejected += 1;
              this.#stats.lastError = outcome.reason;
            } else {
              const half = Math.ceil(batch.length / 2);
              this.#inFlight.unshift(batch.slice(0, half), batch.slice(half));
            }
            break;
          case 'retry': {
            attempt += 1;
            this.#stats.retries += 1;
            this.#stats.lastError = outcome.reason;
            const delayMs = backoffDelayMs(
              attempt,
              {
                initialBackoffMs: this.#options.initialBackoffMs,
                maxBackoffMs: this.#options.maxBackoffMs,
                ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}),
              },
              this.#random,
            );
            this.#logger.debug({ reason: outcome.reason, attempt, delayMs }, 'QoE batch retry');
            await this.#sleep(delayMs);
            break;
          }
        }
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#held() === 0 || this.#abort.signal.aborted) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    } else if (this.#partialWanted || this.#high.length + this.#low.length >= this.#options.maxBatchEvents) {
      this.#kick(false);
    }
  }

  /** Waits `ms` unless woken (flush, close) or aborted; the timer does not keep the process alive. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        this.#abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.#wake = done;
      this.#abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  async #send(batch: QoeEvent[]): Promise<DeliveryOutcome> {
    this.#stats.requests += 1;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#options.token !== undefined) headers.authorization = `Bearer ${this.#options.token}`;
    try {
      const response = await request(this.#url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ events: batch }),
        dispatcher: this.#dispatcher,
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#options.requestTimeoutMs)]),
        headersTimeout: this.#options.requestTimeoutMs,
        bodyTimeout: this.#options.requestTimeoutMs,
      });
      const text = await response.body.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON (a proxy's error page): the status decides.
      }
      const retryAfter = response.headers['retry-after'];
      return classifyResponse(
        response.statusCode,
        body,
        typeof retryAfter === 'string' ? retryAfter : undefined,
        batch.length,
      );
    } catch (err) {
      const e = err as { code?: string; name?: string; message?: string };
      return { kind: 'retry', reason: e.code ?? e.name ?? e.message ?? 'network error' };
    }
  }
}

/** A reporter with its spill file loaded. */
export async function createQoeReporter(options: QoeReporterOptions): Promise<QoeReporter> {
  const reporter = new QoeReporter(options);
  await reporter.open();
  return reporter;
}
