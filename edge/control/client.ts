/**
 * The edge's client of the steering control plane: registers with the origin, then sends a
 * heartbeat every interval (the origin says how often) with health, load, drain state, the cache
 * summary and the route changes since the last acknowledged heartbeat. Failed calls are retried
 * with exponential backoff and full jitter (Brooker, "Exponential Backoff And Jitter", AWS
 * Architecture Blog, 2015); unacknowledged route changes are sent again; when the origin has
 * forgotten the edge (404) or it registered again elsewhere (409), the client registers again and
 * resends its whole table. Calls go over undici with connect, head and body timeouts.
 */
import { Agent, errors as undiciErrors, request } from 'undici';
import { isCdnError, type CdnError } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/logging.js';
import type {
  HeartbeatRequest,
  HeartbeatResponse,
  RegisterRequest,
  RegisterResponse,
} from '../../common/steeringProtocol.js';
import { AdvertisedRoutes } from './advertised.js';
import type { ControlConfig } from './config.js';
import { EdgeControlErrorCode, edgeControlError } from './errors.js';
import type { EdgeStatusReport, RouteDelta, RouteSource } from './types.js';

export type ControlEvent =
  | { kind: 'registered'; epoch: string; heartbeatIntervalMs: number }
  | {
      kind: 'heartbeat';
      seq: number;
      routesSent: number;
      full: boolean;
      prefixes: { ipv4: number; ipv6: number };
    }
  | { kind: 'resync'; reason: string }
  | { kind: 'error'; error: CdnError; failures: number }
  | { kind: 'routes_rejected'; reasons: string[] };

export interface ControlClientOptions {
  config: ControlConfig;
  /** The edge's current health, load, drain state and cache summary, read for each heartbeat. */
  status: () => EdgeStatusReport;
  logger?: Logger;
  onEvent?: (event: ControlEvent) => void;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
}

export interface ControlStats {
  registered: boolean;
  epoch: string | undefined;
  /** Last heartbeat seq sent and the last one the origin acknowledged. */
  seq: number;
  ackSeq: number;
  routes: number;
  pendingRoutes: number;
  heartbeatIntervalMs: number;
  consecutiveFailures: number;
  lastError: { code: string; message: string } | undefined;
}

/** Heartbeat interval until the origin names one, in ms (the origin's default). */
const DEFAULT_INTERVAL_MS = 5000;
/** Time the final draining heartbeat of stop() may take, in ms: shutdown must not hang on the origin. */
const DRAIN_TIMEOUT_MS = 2000;
/** Failures logged at warn level: the first, then every this many (a long outage does not flood the log). */
const WARN_EVERY_FAILURES = 20;

/** Full-jitter exponential backoff, in ms: uniform in [0, min(max, initial · 2^(failures−1))). */
export function backoffMs(failures: number, initialMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return Math.floor(random() * ceiling);
}

function transportError(err: unknown, what: string): CdnError {
  if (isCdnError(err)) return err;
  if (
    err instanceof undiciErrors.ConnectTimeoutError ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError
  ) {
    return edgeControlError(EdgeControlErrorCode.Timeout, `${what}: the origin did not answer in time`, {
      cause: err,
    });
  }
  return edgeControlError(EdgeControlErrorCode.Unreachable, `${what}: ${(err as Error).message}`, {
    cause: err,
  });
}

/** The steering error code the origin answered with, if any. */
function originCode(error: CdnError): string | undefined {
  const code = error.details?.code;
  return typeof code === 'string' ? code : undefined;
}

export class ControlClient {
  private readonly config: ControlConfig;
  private readonly statusOf: () => EdgeStatusReport;
  private readonly logger: Logger;
  private readonly onEvent: (event: ControlEvent) => void;
  private readonly random: () => number;
  private readonly agent: Agent;
  private readonly base: URL;
  private readonly advertised = new AdvertisedRoutes();
  private readonly unsubscribers: Array<() => void> = [];
  private epoch: string | undefined;
  private seq = 0;
  private ackSeq = 0;
  private intervalMs = DEFAULT_INTERVAL_MS;
  private failures = 0;
  private lastError: CdnError | undefined;
  private synced = false;
  private running: Promise<void> | undefined;
  private stopped = false;
  private closed = false;
  private abort = new AbortController();
  private sleeper: { timer: NodeJS.Timeout; deadline: number; wake: () => void } | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(options: ControlClientOptions) {
    this.config = options.config;
    this.statusOf = options.status;
    this.logger = (options.logger ?? silentLogger()).child({ component: 'control' });
    this.onEvent = options.onEvent ?? (() => undefined);
    this.random = options.random ?? Math.random;
    this.base = new URL(
      this.config.originUrl.endsWith('/') ? this.config.originUrl : `${this.config.originUrl}/`,
    );
    this.agent = new Agent({
      connect: { timeout: this.config.timeoutMs },
      headersTimeout: this.config.timeoutMs,
      bodyTimeout: this.config.timeoutMs,
      // One heartbeat at a time, plus the final one of stop().
      connections: 2,
    });
  }

  get stats(): ControlStats {
    return {
      registered: this.epoch !== undefined,
      epoch: this.epoch,
      seq: this.seq,
      ackSeq: this.ackSeq,
      routes: this.advertised.size,
      pendingRoutes: this.advertised.pending,
      heartbeatIntervalMs: this.intervalMs,
      consecutiveFailures: this.failures,
      lastError:
        this.lastError === undefined
          ? undefined
          : { code: this.lastError.code, message: this.lastError.message },
    };
  }

  /** Takes route changes from a source (a BGP speaker, a static feed) until stop(). */
  attach(source: RouteSource): void {
    this.unsubscribers.push(source.subscribe((delta) => this.applyRoutes(delta)));
  }

  /** Queues route changes for the next heartbeat (sent after `routeFlushDelayMs`). */
  applyRoutes(delta: RouteDelta): void {
    const rejected = this.advertised.apply(delta);
    if (rejected.length > 0) {
      this.logger.warn(
        { code: EdgeControlErrorCode.RouteInvalid, rejected: rejected.slice(0, 10), count: rejected.length },
        'malformed routes dropped',
      );
      this.onEvent({ kind: 'routes_rejected', reasons: rejected });
    }
    if (this.advertised.pending > 0) {
      this.synced = false;
      this.wakeWithin(this.config.routeFlushDelayMs);
    }
  }

  /** Starts registering and heartbeating in the background (once: a stopped client stays stopped). */
  start(): void {
    if (this.running || this.closed) return;
    this.stopped = false;
    this.running = this.loop();
  }

  /**
   * Stops heartbeating. With `drain`, a last heartbeat tells the origin this edge is draining, so it
   * gets no new clients at once instead of after the missed-heartbeat timeout.
   */
  async stop(options: { drain?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopped = true;
    this.abort.abort();
    this.sleeper?.wake();
    await this.running;
    this.running = undefined;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    if (options.drain && this.epoch !== undefined) {
      this.abort = new AbortController();
      const timer = setTimeout(() => this.abort.abort(), DRAIN_TIMEOUT_MS);
      try {
        await this.post<HeartbeatResponse>(`v1/edges/${this.config.edgeId}/heartbeat`, {
          ...this.heartbeatBody(undefined),
          draining: true,
        });
      } catch (err) {
        this.logger.warn({ err }, 'the draining heartbeat failed');
      } finally {
        clearTimeout(timer);
      }
    }
    for (const w of this.waiters) w();
    await this.agent.close();
  }

  /** Resolves once registered with every route change acknowledged; rejects after `timeoutMs`. */
  whenSynced(timeoutMs = 10_000): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const check = (): void => {
        if (this.synced || this.stopped) done();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`not synced within ${timeoutMs} ms: ${JSON.stringify(this.stats)}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let waitMs: number;
      try {
        if (this.epoch === undefined) await this.register();
        waitMs = await this.heartbeat();
        this.failures = 0;
        this.lastError = undefined;
      } catch (err) {
        if (this.stopped) break;
        waitMs = this.failed(transportError(err, 'control plane'));
      }
      if (this.stopped) break;
      await this.sleep(waitMs);
    }
  }

  private failed(error: CdnError): number {
    this.failures++;
    this.lastError = error;
    this.advertised.nack();
    const code = originCode(error);
    const forgotten = code === 'STEER_ERR_EDGE_UNKNOWN' || code === 'STEER_ERR_EDGE_EPOCH';
    if (forgotten) {
      this.epoch = undefined;
      this.synced = false;
      this.advertised.resync();
      this.onEvent({ kind: 'resync', reason: code });
      this.logger.info({ code }, 'the origin does not know this registration: registering again');
    } else if (this.failures === 1 || this.failures % WARN_EVERY_FAILURES === 0) {
      this.logger.warn(
        { code: error.code, originCode: code, failures: this.failures, err: error.message },
        'control plane call failed',
      );
    }
    this.onEvent({ kind: 'error', error, failures: this.failures });
    // Re-register at once the first time; a loop of refusals backs off like any failure.
    if (forgotten && this.failures === 1) return 0;
    return backoffMs(this.failures, this.config.backoff.initialMs, this.config.backoff.maxMs, this.random);
  }

  private async register(): Promise<void> {
    const body: RegisterRequest = {
      id: this.config.edgeId,
      cluster: this.config.cluster,
      publicUrl: this.config.publicUrl,
      capacityGbps: this.config.capacityGbps,
    };
    const answer = await this.post<RegisterResponse>('v1/edges/register', body);
    this.epoch = answer.epoch;
    this.intervalMs = answer.heartbeatIntervalMs;
    this.advertised.resync();
    this.synced = false;
    this.logger.info(
      { epoch: answer.epoch, heartbeatIntervalMs: answer.heartbeatIntervalMs },
      'registered with the control plane',
    );
    this.onEvent({
      kind: 'registered',
      epoch: answer.epoch,
      heartbeatIntervalMs: answer.heartbeatIntervalMs,
    });
  }

  private heartbeatBody(routes: HeartbeatRequest['routes']): HeartbeatRequest {
    let status: EdgeStatusReport;
    try {
      status = this.statusOf();
    } catch (err) {
      // An edge that cannot tell its own state should get no clients.
      this.logger.error({ err }, 'reading the edge status failed: reporting down');
      status = { health: 'down', loadGbps: 0, draining: false };
    }
    return {
      epoch: this.epoch ?? '',
      seq: ++this.seq,
      health: status.health,
      loadGbps: status.loadGbps,
      draining: status.draining,
      ...(status.capacityGbps !== undefined ? { capacityGbps: status.capacityGbps } : {}),
      ...(status.cachedTitles !== undefined ? { cache: { titles: status.cachedTitles } } : {}),
      ...(routes !== undefined ? { routes } : {}),
    };
  }

  /** One heartbeat; returns the wait before the next (none while route changes are still queued). */
  private async heartbeat(): Promise<number> {
    const batch = this.advertised.take(this.config.maxRoutesPerHeartbeat);
    const body = this.heartbeatBody(batch?.message);
    const answer = await this.post<HeartbeatResponse>(`v1/edges/${this.config.edgeId}/heartbeat`, body);
    this.advertised.ack();
    this.ackSeq = answer.ackSeq;
    this.intervalMs = answer.heartbeatIntervalMs;
    this.onEvent({
      kind: 'heartbeat',
      seq: body.seq,
      routesSent: batch?.size ?? 0,
      full: batch?.message.full === true,
      prefixes: { ipv4: answer.routes.ipv4, ipv6: answer.routes.ipv6 },
    });
    if (this.advertised.pending > 0) return 0;
    this.synced = true;
    for (const w of [...this.waiters]) w();
    return this.intervalMs;
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.config.token !== undefined) headers.authorization = `Bearer ${this.config.token}`;
    let status: number;
    let text: string;
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers,
        body: JSON.stringify(body),
        signal: this.abort.signal,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      throw transportError(err, `POST ${url.pathname}`);
    }
    if (status !== 200) {
      let code: string | undefined;
      let message = text.slice(0, 500);
      try {
        const json = JSON.parse(text) as { error?: unknown; message?: unknown };
        if (typeof json.error === 'string') code = json.error;
        if (typeof json.message === 'string') message = json.message;
      } catch {
        // Not our JSON error body (a proxy's page): keep the text.
      }
      throw edgeControlError(
        EdgeControlErrorCode.Refused,
        `POST ${url.pathname}: ${status} ${code ?? ''} ${message}`.trim(),
        {
          details: { status, ...(code !== undefined ? { code } : {}) },
        },
      );
    }
    return JSON.parse(text) as T;
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(this.sleeper?.timer);
        this.sleeper = undefined;
        resolve();
      };
      this.sleeper = { timer: setTimeout(wake, ms), deadline: Date.now() + ms, wake };
    });
  }

  /** Shortens the current wait to at most `ms` (route changes go out soon, not a whole interval later). */
  private wakeWithin(ms: number): void {
    const s = this.sleeper;
    if (!s || Date.now() + ms >= s.deadline) return;
    clearTimeout(s.timer);
    s.timer = setTimeout(s.wake, ms);
    s.deadline = Date.now() + ms;
  }
}
