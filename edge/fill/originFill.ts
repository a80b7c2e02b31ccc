/**
 * Fills from the origin over an undici Pool (keep-alive, bounded connections, connect/headers/body
 * timeouts), coalesced per cache key: whatever the number of concurrent misses, one request goes
 * upstream. A body is committed to the stores only once it is complete: a fill that ends short of
 * its Content-Length (or runs past it) fails every waiter and stores nothing.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { isCdnError, type CdnError } from '../../common/errors.js';
import type { Logger } from '../../common/logging.js';
import type { CacheEntry, CachePutMeta, CacheStore } from '../cache/types.js';
import type { EdgeConfig } from '../config.js';
import { EdgeErrorCode, edgeError } from '../errors.js';
import { EdgeHttpErrorCode, edgeHttpError } from '../http/errors.js';
import type { EdgeMetrics, UpstreamOutcome } from '../metrics.js';
import {
  conditionalHeadersFor,
  pickStoredHeaders,
  storable,
  updateAfterRevalidation,
  type FreshnessPolicy,
} from '../policy/freshness.js';
import { headerValue, parseCacheControl, type HeaderBag } from '../policy/headers.js';
import { Fill } from './fill.js';

export interface OriginFillerDeps {
  config: EdgeConfig;
  memory: CacheStore;
  disk?: CacheStore | undefined;
  policy: Readonly<FreshnessPolicy>;
  metrics: EdgeMetrics;
  logger: Logger;
  nowMs: () => number;
}

/** Errors after which one immediate retry is safe and useful: a keep-alive connection the origin closed as we reused it. */
function isStaleConnection(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

function classify(
  err: unknown,
  afterHead: boolean,
  key: string,
): { error: CdnError; outcome: UpstreamOutcome } {
  if (isCdnError(err)) {
    const outcome: UpstreamOutcome =
      err.code === EdgeErrorCode.FillTruncated || err.code === EdgeErrorCode.FillCorrupt
        ? 'truncated'
        : err.code === EdgeHttpErrorCode.UpstreamStatus
          ? 'error_status'
          : 'unavailable';
    return { error: err, outcome };
  }
  if (
    err instanceof undiciErrors.ConnectTimeoutError ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError
  ) {
    return {
      error: edgeHttpError(EdgeHttpErrorCode.UpstreamTimeout, `origin timed out filling ${key}`, {
        cause: err,
        details: { key, phase: err.code },
      }),
      outcome: 'timeout',
    };
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (afterHead) {
    return {
      error: edgeError(EdgeErrorCode.FillTruncated, `origin connection ended while filling ${key}`, {
        cause: err,
        details: { key, errno: typeof code === 'string' ? code : undefined },
      }),
      outcome: 'truncated',
    };
  }
  return {
    error: edgeHttpError(EdgeHttpErrorCode.UpstreamUnavailable, `origin unreachable filling ${key}`, {
      cause: err,
      details: { key, errno: typeof code === 'string' ? code : undefined },
    }),
    outcome: 'unavailable',
  };
}

/** A Content-Length as a number; undefined when absent or not a plain number. */
function contentLength(headers: HeaderBag): number | undefined {
  const text = headerValue(headers, 'content-length')?.trim();
  return text !== undefined && /^[0-9]{1,15}$/.test(text) ? Number(text) : undefined;
}

export class OriginFiller {
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  private readonly inflight = new Map<string, Fill>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly via: string;

  constructor(private readonly deps: OriginFillerDeps) {
    const url = new URL(deps.config.originUrl);
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    const u = deps.config.upstream;
    this.pool = new Pool(url.origin, {
      connections: u.connections,
      connectTimeout: u.connectTimeoutMs,
      headersTimeout: u.headersTimeoutMs,
      bodyTimeout: u.bodyTimeoutMs,
      keepAliveTimeout: u.keepAliveTimeoutMs,
      pipelining: 1,
    });
    this.via = `1.1 ${deps.config.nodeId}`;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** The fill in flight for a key, if any. */
  get(key: string): Fill | undefined {
    return this.inflight.get(key);
  }

  /**
   * Joins the fill in flight for `key`, or starts one. `stored` is the stale entry to revalidate
   * with its validators (a 304 then refreshes it), when it has any.
   */
  acquire(key: string, stored?: CacheEntry): { fill: Fill; joined: boolean } {
    const existing = this.inflight.get(key);
    if (existing !== undefined && existing.state !== 'failed') {
      existing.joiners++;
      this.deps.metrics.coalescedWaiter();
      return { fill: existing, joined: true };
    }
    const fill = new Fill(key);
    this.inflight.set(key, fill);
    this.track(
      this.run(fill, stored).finally(() => {
        if (this.inflight.get(key) === fill) this.inflight.delete(key);
      }),
    );
    return { fill, joined: false };
  }

  /** Keeps fills in flight from being stored after a purge of their key (exact or prefix). */
  purge(match: (key: string) => boolean): void {
    for (const [key, fill] of this.inflight) {
      if (match(key)) {
        fill.doNotStore = true;
        this.inflight.delete(key);
      }
    }
  }

  private track(work: Promise<unknown>): void {
    const p = work.catch(() => undefined);
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private upstreamHeaders(extra: Record<string, string>): Record<string, string> {
    // identity: the edge stores one representation and serves it to every client.
    return { 'accept-encoding': 'identity', via: this.via, ...extra };
  }

  private async run(fill: Fill, initialStored: CacheEntry | undefined): Promise<void> {
    const { metrics, nowMs, policy } = this.deps;
    let stored = initialStored;
    const startedMs = nowMs();
    let retried = false;
    for (;;) {
      let afterHead = false;
      try {
        const conditional = stored === undefined ? {} : conditionalHeadersFor(stored.meta);
        const requestTimeMs = nowMs();
        const res = await this.pool.request({
          path: this.pathPrefix + fill.key,
          method: 'GET',
          headers: this.upstreamHeaders(conditional as Record<string, string>),
        });
        const responseTimeMs = nowMs();
        const headers = res.headers as HeaderBag;
        if (res.statusCode === 304 && stored !== undefined) {
          await res.body.dump();
          const result = updateAfterRevalidation(stored.meta, { headers }, requestTimeMs, responseTimeMs);
          if (result.kind === 'mismatch') {
            // Another representation: fetch it whole.
            stored = undefined;
            continue;
          }
          const meta = result.stored;
          afterHead = true;
          fill.setHead({
            status: meta.status,
            headers: meta.headers,
            sizeBytes: stored.body.length,
            requestTimeMs,
            responseTimeMs,
            storable: true,
            shareable: true,
            via: 'revalidated',
            upstreamStatus: 304,
          });
          fill.push(stored.body);
          fill.finish();
          metrics.upstream('not_modified', (nowMs() - startedMs) / 1000);
          if (!fill.doNotStore) await this.refreshStored(stored, meta);
          return;
        }
        if (res.statusCode >= 500) {
          await res.body.dump();
          throw edgeHttpError(
            EdgeHttpErrorCode.UpstreamStatus,
            `origin answered ${res.statusCode} filling ${fill.key}`,
            { details: { key: fill.key, status: res.statusCode } },
          );
        }
        const verdict = storable(
          { status: res.statusCode, headers, responseTimeMs },
          { method: 'GET', headers: {} },
          policy,
        );
        const cc = parseCacheControl(headerValue(headers, 'cache-control'));
        const sizeBytes = contentLength(headers);
        const storedHeaders = pickStoredHeaders(headers);
        afterHead = true;
        fill.setHead({
          status: res.statusCode,
          headers: storedHeaders,
          sizeBytes,
          requestTimeMs,
          responseTimeMs,
          storable: verdict.storable && res.statusCode !== 304,
          shareable: !cc.private && headerValue(headers, 'set-cookie') === undefined,
          via: 'fetched',
          upstreamStatus: res.statusCode,
        });
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          fill.push(chunk);
          if (sizeBytes !== undefined && fill.receivedBytes > sizeBytes) {
            res.body.destroy();
            throw edgeError(EdgeErrorCode.FillTruncated, `fill of ${fill.key} ran past its Content-Length`, {
              details: { key: fill.key, expectedBytes: sizeBytes },
            });
          }
        }
        if (sizeBytes !== undefined && fill.receivedBytes !== sizeBytes) {
          throw edgeError(
            EdgeErrorCode.FillTruncated,
            `fill of ${fill.key} ended after ${fill.receivedBytes} of ${sizeBytes} bytes`,
            { details: { key: fill.key, expectedBytes: sizeBytes, receivedBytes: fill.receivedBytes } },
          );
        }
        const body = Buffer.concat(fill.chunks, fill.receivedBytes);
        fill.finish();
        metrics.upstream(res.statusCode < 400 ? 'ok' : 'client_error', (nowMs() - startedMs) / 1000);
        if (fill.headValue!.storable && !fill.doNotStore) {
          await this.commit(
            {
              key: fill.key,
              status: res.statusCode,
              headers: storedHeaders,
              requestTimeMs,
              responseTimeMs,
            },
            body,
          );
        }
        return;
      } catch (err) {
        if (!afterHead && !retried && isStaleConnection(err)) {
          retried = true;
          continue;
        }
        const { error, outcome } = classify(err, afterHead, fill.key);
        metrics.upstream(outcome, (nowMs() - startedMs) / 1000);
        this.deps.logger.warn({ key: fill.key, code: error.code, err: error.message }, 'fill failed');
        if (this.inflight.get(fill.key) === fill) this.inflight.delete(fill.key);
        fill.fail(error);
        return;
      }
    }
  }

  /** Stores a verified body: memory now (the next request hits), disk in the background. */
  private async commit(meta: CachePutMeta, body: Buffer): Promise<void> {
    const { memory, disk, logger, metrics } = this.deps;
    try {
      await memory.put(meta, body);
    } catch (err) {
      metrics.storeFailure(memory.name);
      logger.warn({ key: meta.key, err: (err as Error).message }, 'memory store refused a fill');
    }
    if (disk !== undefined) {
      this.track(
        disk.put(meta, body).catch((err: unknown) => {
          metrics.storeFailure(disk.name);
          logger.warn({ key: meta.key, err: (err as Error).message }, 'disk store failed');
        }),
      );
    }
  }

  /** After a 304: new metadata for the stored body in both tiers (memory re-stored if it lost it). */
  private async refreshStored(stored: CacheEntry, meta: CacheEntry['meta']): Promise<void> {
    const { memory, disk, logger } = this.deps;
    try {
      if (!(await memory.updateMeta(meta))) {
        await memory.put(
          {
            key: meta.key,
            status: meta.status,
            headers: meta.headers,
            requestTimeMs: meta.requestTimeMs,
            responseTimeMs: meta.responseTimeMs,
            sha256: meta.sha256,
          },
          stored.body,
        );
      }
    } catch (err) {
      logger.warn({ key: meta.key, err: (err as Error).message }, 'memory refresh failed');
    }
    if (disk !== undefined) {
      this.track(
        disk.updateMeta(meta).catch((err: unknown) => {
          logger.warn({ key: meta.key, err: (err as Error).message }, 'disk refresh failed');
        }),
      );
    }
  }

  /** A request forwarded as is and never stored (`pass`). The caller streams the body. */
  pass(target: string, headers: IncomingHttpHeaders, method: string): Promise<Dispatcher.ResponseData> {
    const forwarded: Record<string, string> = {};
    for (const name of ['range', 'if-none-match', 'if-modified-since', 'authorization', 'cookie']) {
      const value = headerValue(headers, name);
      if (value !== undefined) forwarded[name] = value;
    }
    return this.pool.request({
      path: this.pathPrefix + target,
      method: method === 'HEAD' ? 'HEAD' : 'GET',
      headers: this.upstreamHeaders(forwarded),
    });
  }

  /** Waits for fills and background writes, then closes the pool. */
  async close(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    await this.pool.close();
  }

  /** Fails fills in flight and drops connections at once. */
  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
