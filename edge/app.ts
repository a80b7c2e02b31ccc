/**
 * The edge's HTTP shell on node:http. Routing is a handful of string comparisons, and a memory hit
 * is answered synchronously from the request callback: no framework hooks, no promise, no
 * serialisation, one writeHead and one end with the stored Buffer. (Fastify adds routing,
 * hooks, a reply object and a promise per request; on a 2 KB hit that is a large share of the
 * cost, and the edge has six routes.)
 *
 * Content requests: cache key → token → memory → disk (promoted to memory) → decideCache, then
 * hit / stale (served, refreshed in the background) / revalidate / miss (coalesced fill, streamed
 * to every waiter as it arrives) / pass. Conditional requests and single ranges are answered from
 * the stored (or arriving) response.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { Registry } from 'prom-client';
import { request as undiciRequest, type Dispatcher } from 'undici';
import { isCdnError, toCdnError, type CdnError } from '../common/errors.js';
import { evaluatePreconditions, rangeAllowed, validatorsFromHeaders } from '../common/http/conditional.js';
import { answerCors } from '../common/http/cors.js';
import { contentRange, parseRange, unsatisfiedContentRange } from '../common/http/range.js';
import { silentLogger, type Logger } from '../common/logging.js';
import { TITLE_ID_PATTERN } from '../manifests/titleId.js';
import { streamPool } from './cache/bufferPool.js';
import type { CacheBodyReader, CacheEntry, CacheEntryMeta, CacheStore } from './cache/types.js';
import { tokenKeyring, type EdgeConfig } from './config.js';
import type { NodeAction, NodeLink, WorkerIdentity } from './workerIdentity.js';
import { OriginFiller } from './fill/originFill.js';
import { Prefetcher, prefetchTokenCheck } from './fill/prefetch.js';
import { awaitFill, createCacheWarmer } from './fill/prefetchWarmer.js';
import { ProactiveFiller } from './fill/proactive.js';
import { Fill, type FillHead } from './fill/fill.js';
import { EdgeErrorCode, edgeError } from './errors.js';
import { EdgeHttpErrorCode, edgeHttpError } from './http/errors.js';
import { createEdgeMetrics, type CacheStatusLabel, type EdgeMetrics } from './metrics.js';
import { CacheKeyer, titleKeyPrefix, type CacheKeyInfo } from './policy/cacheKey.js';
import {
  DEFAULT_FRESHNESS_POLICY,
  currentAgeS,
  decideCache,
  decideOnUpstreamError,
  pickStoredHeaders,
  summariseStored,
  type FreshnessPolicy,
  type StoredHeaders,
  type StoredResponse,
  type StoredSummary,
} from './policy/freshness.js';
import { tokenFailureError, verifyToken } from './tokens/token.js';
import { TOKEN_PATH_PREFIX, parseTokenPath } from '../common/steeringProtocol.js';

export interface EdgeAppDeps {
  config: EdgeConfig;
  /** Where the edge's series are registered (never the global registry). */
  registry: Registry;
  logger?: Logger;
  /** The memory tier, opened. */
  memory: CacheStore;
  /** The disk tier, opened; none for a memory-only node. */
  disk?: CacheStore;
  /** Clock in ms since the epoch (cache ages, token expiry). */
  nowMs?: () => number;
  /** This process's place among the node's workers (`--workers`); none for a single process. */
  worker?: WorkerIdentity;
  /** The node around a worker: node-wide admin actions and aggregated metrics. */
  node?: NodeLink;
}

export interface EdgeApp {
  server: Server;
  /** The request listener (for an existing server). */
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Listens (default: config.listen) and returns `http://host:port`. */
  listen(options?: { host?: string; port?: number }): Promise<string>;
  /** Stops accepting, finishes requests in flight, waits for fills and disk writes, closes stores. */
  close(): Promise<void>;
  /** Readiness goes false (load balancers stop sending); requests are still answered. */
  setDraining(draining: boolean): void;
  /** Applies a node-wide admin action another worker received (purge, drain). */
  applyNodeAction(action: NodeAction): Promise<void>;
  readonly draining: boolean;
  metrics: EdgeMetrics;
  filler: OriginFiller;
  /** CMCD next-object prefetch. */
  prefetcher: Prefetcher;
  /** Proactive fill runs (`/admin/fill`). */
  proactive: ProactiveFiller;
}

/** Largest admin request body, in bytes: purge and drain bodies are a few dozen bytes. */
const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;
/**
 * Time worker 0 has to answer a forwarded `/admin/fill` call, in ms: it answers at once (a run
 * starts in the background), so this only bounds a stuck or restarting worker.
 */
const ADMIN_FORWARD_TIMEOUT_MS = 10_000;

/** Seconds a client keeps an idle connection: above the 60 s idle timeout of common load balancers. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** How long close() lets requests in flight finish, in ms: a 1 MB segment at 10 Mbit/s takes ~1 s. */
const CLOSE_GRACE_MS = 5000;

/**
 * Smallest disk-tier body streamed through reused buffers rather than read whole, in bytes (only
 * bodies the memory tier could not hold anyway). Below it one read into a new buffer costs less
 * than the extra size and trailer reads a stream makes (a 64 KiB buffer is 16 pages to fault in).
 */
const STREAM_MIN_BYTES = 64 * 1024;

/**
 * Pieces of one streamed body in flight at most (read, or handed to the socket and not yet
 * written): two, so that the next piece is read while the last is sent, and a slow client holds
 * at most 2 × STREAM_CHUNK_BYTES.
 */
const STREAM_PIECES_IN_FLIGHT = 2;

/** Fields a 304 carries (RFC 9110 §15.4.5). */
const NOT_MODIFIED_FIELDS = ['cache-control', 'date', 'etag', 'expires', 'last-modified', 'vary'] as const;

interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: 'GET' | 'HEAD';
  info: CacheKeyInfo;
  /** The Cache-Status sent (for the access log). */
  cacheStatus?: string;
}

/** The memory store's synchronous get, when it has one (MemoryStore does). */
type SyncGet = (key: string) => CacheEntry | undefined;

/** A stored response's summary, with what it was computed from (to notice a response changed in place). */
interface KeptSummary {
  summary: StoredSummary;
  headers: StoredHeaders;
  requestTimeMs: number;
  responseTimeMs: number;
}

/**
 * The stored header fields of a response as `[name, value, ...]` for writeHead, without the ones
 * set per response (Age, Content-Length). Stored header objects are never changed in place (a
 * revalidation makes new ones), so they are computed once per object.
 */
const fieldsByHeaders = new WeakMap<StoredHeaders, readonly string[]>();

function storedFields(headers: StoredHeaders): readonly string[] {
  let fields = fieldsByHeaders.get(headers);
  if (fields === undefined) {
    const list: string[] = [];
    for (const name in headers) {
      const value = headers[name as keyof StoredHeaders];
      if (name !== 'age' && name !== 'content-length' && value !== undefined) list.push(name, value);
    }
    fields = Object.freeze(list);
    fieldsByHeaders.set(headers, fields);
  }
  return fields;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

function sendError(res: ServerResponse, err: CdnError, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  sendJson(res, err.statusCode, err.toJSON(), headers);
}

function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    if (Number(req.headers['content-length']) > limitBytes) {
      // Refused before reading: the answer is a 400, and node discards the unread body.
      reject(edgeHttpError(EdgeHttpErrorCode.BadRequest, `request body over ${limitBytes} bytes`));
      return;
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        reject(edgeHttpError(EdgeHttpErrorCode.BadRequest, `request body over ${limitBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function buildEdgeApp(deps: EdgeAppDeps): EdgeApp {
  const { config, registry, memory, disk } = deps;
  const logger = (deps.logger ?? silentLogger()).child({ component: 'edge-http' });
  const accessLog = config.accessLog ? logger.child({ component: 'edge-access' }) : undefined;
  const nowMs = deps.nowMs ?? Date.now;
  const node = config.nodeId;
  const policy: Readonly<FreshnessPolicy> = Object.freeze({
    ...DEFAULT_FRESHNESS_POLICY,
    ...Object.fromEntries(Object.entries(config.freshness).filter(([, v]) => v !== undefined)),
  });
  const keyOptions = { queryWhitelist: config.queryWhitelist };
  const keyer = new CacheKeyer(keyOptions);
  const hitStatus = `${node}; hit`;
  /** The memory tier's bound: disk bodies at least this large are never promoted, so they stream. */
  const memoryMaxBytes = memory.stats().maxBytes;
  const staleStatus = `${node}; fwd=stale; detail=stale-while-revalidate`;
  /**
   * Freshness summaries of stored responses (decideCache's work that does not depend on the
   * request or the clock), kept per response object: a fresh hit is then a few comparisons.
   */
  const summaries = new WeakMap<StoredResponse, KeptSummary>();
  const summaryOf = (stored: StoredResponse): StoredSummary => {
    const kept = summaries.get(stored);
    if (
      kept !== undefined &&
      kept.headers === stored.headers &&
      kept.requestTimeMs === stored.requestTimeMs &&
      kept.responseTimeMs === stored.responseTimeMs
    ) {
      return kept.summary;
    }
    const summary = summariseStored(stored, policy);
    summaries.set(stored, {
      summary,
      headers: stored.headers,
      requestTimeMs: stored.requestTimeMs,
      responseTimeMs: stored.responseTimeMs,
    });
    return summary;
  };
  const keyring = tokenKeyring(config);
  const adminDigest = config.adminToken === undefined ? undefined : sha256(config.adminToken);
  const stores = disk === undefined ? [memory] : [memory, disk];
  const holder: { fills?: OriginFiller } = {};
  const metrics = createEdgeMetrics(registry, stores, () => holder.fills?.inflightCount ?? 0);
  const fills = new OriginFiller({
    config,
    memory,
    disk,
    policy,
    metrics,
    logger,
    nowMs,
    worker: deps.worker,
  });
  holder.fills = fills;
  const memoryGetSync: SyncGet | undefined =
    'getSync' in memory && typeof memory.getSync === 'function'
      ? (memory.getSync as SyncGet).bind(memory)
      : undefined;
  let draining = false;
  // Prefetch and proactive fill reach the cache only through this (edge/fill/prefetchWarmer.ts).
  const warmer = createCacheWarmer({
    memory,
    disk,
    isFresh: (meta) =>
      decideCache(meta, { method: 'GET', headers: {} }, nowMs(), policy, summaryOf(meta)).kind === 'hit',
    inFlight: (key) => fills.get(key) !== undefined,
    fill: (key, stale, options) => awaitFill(fills.acquire(key, stale).fill, options),
  });
  const prefetcher = new Prefetcher({
    config: config.prefetch,
    keyOptions,
    warmer,
    registry,
    logger: logger.child({ component: 'edge-prefetch' }),
    nowMs,
    inflightRequests: () => metrics.inflightRequests.n,
    draining: () => draining,
    ...(config.tokens.required ? { authorize: prefetchTokenCheck(keyring, nowMs) } : {}),
  });
  const proactive = new ProactiveFiller({
    // One worker of a node runs the schedule: the workers share the disk tier.
    config:
      (deps.worker?.index ?? 0) === 0 ? config.proactiveFill : { ...config.proactiveFill, enabled: false },
    originUrl: config.originUrl,
    upstream: config.upstream,
    warmer,
    registry,
    logger: logger.child({ component: 'edge-proactive-fill' }),
    nowMs,
    draining: () => draining,
  });

  // ---- responses -----------------------------------------------------------------------------

  /**
   * Answers from a response head and a body (a stored Buffer, or a fill in flight): 304 for a
   * matching conditional, 206/416 for a single range, else the whole body.
   */
  function respond(
    ctx: RequestContext,
    head: { status: number; headers: StoredHeaders; sizeBytes: number | undefined },
    ageS: number,
    cacheStatus: string,
    label: CacheStatusLabel,
    body: Buffer | Fill | CacheBodyReader,
  ): void {
    const { req, res, method } = ctx;
    const stored = head.headers;
    const size = head.sizeBytes;
    ctx.cacheStatus = cacheStatus;
    const age = String(Math.floor(ageS));
    // Flat [name, value, ...]: the stored fields (prebuilt per stored response), then these.
    const out = [...storedFields(stored), 'age', age, 'cache-status', cacheStatus];
    let status = head.status;
    let start = 0;
    let end = size === undefined ? Infinity : size - 1;
    if (status === 200) {
      out.push('accept-ranges', 'bytes');
      const h = req.headers;
      const conditional =
        h['if-none-match'] !== undefined ||
        h['if-modified-since'] !== undefined ||
        h['if-match'] !== undefined ||
        h['if-unmodified-since'] !== undefined;
      const range = h.range;
      const validators =
        conditional || range !== undefined
          ? validatorsFromHeaders(stored.etag, stored['last-modified'])
          : undefined;
      if (conditional) {
        const precondition = evaluatePreconditions(
          method,
          {
            ifMatch: h['if-match'],
            ifNoneMatch: h['if-none-match'],
            ifModifiedSince: h['if-modified-since'],
            ifUnmodifiedSince: h['if-unmodified-since'],
          },
          validators!,
        );
        if (precondition.kind === 'not-modified') {
          const notModified: OutgoingHttpHeaders = { age, 'cache-status': cacheStatus };
          for (const name of NOT_MODIFIED_FIELDS)
            if (stored[name] !== undefined) notModified[name] = stored[name];
          metrics.request(label, ctx.info.objectType);
          res.writeHead(304, notModified);
          res.end();
          return;
        }
        if (precondition.kind === 'precondition-failed') {
          metrics.request(label, ctx.info.objectType);
          sendError(
            res,
            edgeHttpError(
              EdgeHttpErrorCode.PreconditionFailed,
              'a precondition of the request does not hold',
            ),
            { 'cache-status': cacheStatus },
          );
          return;
        }
      }
      if (range !== undefined && size !== undefined) {
        const ifRange = h['if-range'];
        const decision = rangeAllowed(typeof ifRange === 'string' ? ifRange : undefined, validators!)
          ? parseRange(range, size)
          : ({ kind: 'full' } as const);
        if (decision.kind === 'unsatisfiable') {
          metrics.request(label, ctx.info.objectType);
          sendError(
            res,
            edgeHttpError(EdgeHttpErrorCode.RangeNotSatisfiable, `range not satisfiable for ${size} bytes`),
            { 'content-range': unsatisfiedContentRange(size), 'cache-status': cacheStatus },
          );
          return;
        }
        if (decision.kind === 'partial') {
          status = 206;
          start = decision.start;
          end = decision.end;
          out.push('content-range', contentRange(start, end, size));
        }
      }
    }
    if (size !== undefined) out.push('content-length', String(end - start + 1));
    else if (Buffer.isBuffer(body)) out.push('content-length', String(body.length));
    metrics.request(label, ctx.info.objectType);
    res.writeHead(status, out);
    if (method === 'HEAD' || status === 204 || status === 304) {
      res.end();
      return;
    }
    if (Buffer.isBuffer(body)) {
      const slice = start === 0 && end >= body.length - 1 ? body : body.subarray(start, end + 1);
      metrics.responseBytes(slice.length);
      res.end(slice);
      return;
    }
    if (body instanceof Fill) streamFill(res, body, start, end);
    else streamStored(res, body, start, end);
  }

  /**
   * Streams the window [start, end] of a stored body from its file through the stream pool, at
   * most STREAM_PIECES_IN_FLIGHT pieces at a time: a piece goes back to the pool once the socket
   * wrote it (the write's callback), so a slow client holds two pieces, never the whole body. A
   * file that turns out short is reported corrupt and the response cut (its head is out already).
   */
  function streamStored(res: ServerResponse, reader: CacheBodyReader, start: number, end: number): void {
    const last = end + 1;
    let position = start;
    let inFlight = 0;
    let reading = false;
    let stopped = false;
    const stop = (err?: Error): void => {
      if (stopped) return;
      stopped = true;
      reader.close();
      if (res.destroyed) return;
      if (err === undefined) res.end();
      else res.destroy(err);
    };
    const pump = (): void => {
      if (stopped || reading) return;
      if (res.destroyed || position >= last) {
        stop();
        return;
      }
      if (inFlight >= STREAM_PIECES_IN_FLIGHT) return;
      const piece = streamPool.take();
      const want = Math.min(piece.length, last - position);
      reading = true;
      reader.read(piece, position, want).then(
        (n) => {
          reading = false;
          if (stopped || res.destroyed || n !== want) {
            streamPool.give(piece);
            if (n !== want && !stopped && !res.destroyed) {
              const { key, sha256: sha } = reader.meta;
              logger.error({ key }, 'disk tier file shorter than its index says; dropped');
              void disk?.reportCorrupt?.(key, sha);
              stop(edgeError(EdgeErrorCode.FillTruncated, `the stored body of ${key} is cut short`));
            } else stop();
            return;
          }
          position += n;
          inFlight++;
          metrics.responseBytes(n);
          res.write(piece.subarray(0, n), () => {
            inFlight--;
            streamPool.give(piece);
            pump();
          });
          pump();
        },
        (err: unknown) => {
          reading = false;
          streamPool.give(piece);
          stop(err instanceof Error ? err : new Error(String(err)));
        },
      );
    };
    pump();
  }

  /** Streams the window [start, end] of a fill, replaying what arrived and following the rest. */
  function streamFill(res: ServerResponse, fill: Fill, start: number, end: number): void {
    let offset = 0;
    const stop = fill.follow({
      chunk(data) {
        const chunkStart = offset;
        offset += data.length;
        if (offset <= start || chunkStart > end || res.destroyed) return;
        const from = Math.max(0, start - chunkStart);
        const to = Math.min(data.length, end + 1 - chunkStart);
        const piece = from === 0 && to === data.length ? data : data.subarray(from, to);
        metrics.responseBytes(piece.length);
        res.write(piece);
      },
      end() {
        res.end();
      },
      error(err) {
        // The head (and a Content-Length) went out already: an abort is the only honest signal.
        res.destroy(err);
      },
    });
    res.once('close', stop);
  }

  function serveStored(
    ctx: RequestContext,
    entry: CacheEntry,
    ageS: number,
    cacheStatus: string,
    label: CacheStatusLabel,
  ): void {
    respond(ctx, entry.meta, ageS, cacheStatus, label, entry.body);
  }

  // ---- content -------------------------------------------------------------------------------

  /** A `/content/...` request; `pathToken` is the token of a `/t/<token>/content/...` one (TOKEN_PATH_PREFIX). */
  function serveContent(req: IncomingMessage, res: ServerResponse, target: string, pathToken?: string): void {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      metrics.request('error', 'other');
      sendError(res, edgeHttpError(EdgeHttpErrorCode.MethodNotAllowed, `${method} is not served here`), {
        allow: 'GET, HEAD',
      });
      return;
    }
    let info: CacheKeyInfo;
    try {
      info = keyer.keyFor(method, target);
    } catch (err) {
      metrics.request('error', 'other');
      sendError(res, toCdnError(err));
      return;
    }
    // Peers and child edges sign their fills instead (edge/fill/fillAuth.ts).
    if (config.tokens.required && !fills.authorizesFill(req.headers, info.path)) {
      const q = target.indexOf('?');
      const token =
        pathToken ??
        (q < 0 ? undefined : (new URLSearchParams(target.slice(q + 1)).get('token') ?? undefined));
      const verdict = verifyToken(token, info.path, keyring, nowMs());
      if (!verdict.ok) {
        metrics.tokenFailure(verdict.reason);
        metrics.request('error', info.objectType);
        sendError(res, tokenFailureError(verdict.reason));
        return;
      }
    }
    const ctx: RequestContext = { req, res, method, info };
    metrics.inflightRequests.n++;
    res.once('close', () => metrics.inflightRequests.n--);
    // Prefetch hints are checked against the request's token: a path token goes along as `token`.
    prefetcher.onRequest(
      req.headers,
      pathToken === undefined || !config.tokens.required
        ? target
        : `${target}${target.includes('?') ? '&' : '?'}token=${pathToken}`,
      info,
    );
    proactive.noteServed(info.titleId);
    if (accessLog !== undefined) logAccess(accessLog, ctx);
    const entry = memoryGetSync?.(info.key);
    if (entry !== undefined) {
      decideAndServe(ctx, entry);
      return;
    }
    lookupSlow(ctx).catch((err: unknown) => fail(ctx, err));
  }

  /** Logs the request when its response ends (or the connection goes first). */
  function logAccess(log: Logger, ctx: RequestContext): void {
    const { req, res } = ctx;
    const startedNs = process.hrtime.bigint();
    const socket = req.socket;
    const bytesBefore = socket.bytesWritten;
    res.once('close', () => {
      log.info({
        method: req.method,
        path: ctx.info.path,
        status: res.statusCode,
        // Head and body on the wire (the socket is this request's alone until the response ends).
        bytes: socket.bytesWritten - bytesBefore,
        durationMs: Number(process.hrtime.bigint() - startedNs) / 1e6,
        cacheStatus: ctx.cacheStatus,
        client: socket.remoteAddress,
        completed: res.writableFinished,
      });
    });
  }

  function fail(ctx: RequestContext, err: unknown): void {
    const error = toCdnError(err);
    logger.error({ key: ctx.info.key, err: error.message, code: error.code }, 'request failed');
    metrics.request('error', ctx.info.objectType);
    sendError(ctx.res, error);
  }

  async function lookupSlow(ctx: RequestContext): Promise<void> {
    const key = ctx.info.key;
    let entry = memoryGetSync === undefined ? await memory.get(key) : undefined;
    if (entry === undefined && disk !== undefined && fills.get(key) === undefined) {
      const meta = disk.peek(key);
      if (meta !== undefined && streamable(meta) && (await streamHit(ctx, disk))) return;
      entry = await disk.get(key);
      if (entry !== undefined && !(await promote(disk, entry))) entry = undefined;
    }
    decideAndServe(ctx, entry);
  }

  /** Whether a stored body is sent from its file in pieces: large, and beyond what memory can hold. */
  function streamable(meta: CacheEntryMeta): boolean {
    return meta.sizeBytes >= STREAM_MIN_BYTES && meta.sizeBytes >= memoryMaxBytes;
  }

  /**
   * Answers a fresh hit by streaming the body from `store` (true); anything else — absent,
   * corrupt, or a decision other than `hit` — is left to the whole-body path (false).
   */
  async function streamHit(ctx: RequestContext, store: CacheStore): Promise<boolean> {
    const reader = await store.openBody?.(ctx.info.key);
    if (reader === undefined) return false;
    const { meta } = reader;
    const decision = decideCache(
      meta,
      { method: ctx.method, headers: ctx.req.headers },
      nowMs(),
      policy,
      summaryOf(meta),
    );
    if (decision.kind !== 'hit' || ctx.res.destroyed) {
      reader.close();
      return ctx.res.destroyed;
    }
    // Whatever way the response ends (HEAD, 304, 416, sent, cut), the file is closed.
    ctx.res.once('close', () => reader.close());
    respond(ctx, meta, decision.ageS, hitStatus, 'hit', reader);
    return true;
  }

  /**
   * Copies a disk entry into memory, so that the next request is a memory hit. A refusal (too
   * large, admission) is fine. The memory tier checks the body against the SHA-256 the disk tier
   * recorded — the disk tier hashes a file only now and then (edge/cache/diskStore.ts) — and a body
   * that fails is dropped from the disk tier and not served: false then.
   */
  async function promote(from: CacheStore, entry: CacheEntry): Promise<boolean> {
    const { meta } = entry;
    const { key } = meta;
    try {
      await memory.put(
        {
          key,
          status: meta.status,
          headers: meta.headers,
          requestTimeMs: meta.requestTimeMs,
          responseTimeMs: meta.responseTimeMs,
          sha256: meta.sha256,
        },
        entry.body,
      );
      return true;
    } catch (err) {
      const code = isCdnError(err) ? err.code : undefined;
      if (code === EdgeErrorCode.FillCorrupt || code === EdgeErrorCode.FillTruncated) {
        logger.error({ key, tier: from.name, code }, 'stored body failed verification; dropped, refetching');
        await from.reportCorrupt?.(key, meta.sha256);
        return false;
      }
      logger.warn({ key, err: (err as Error).message }, 'promotion failed');
      return true;
    }
  }

  function decideAndServe(ctx: RequestContext, entry: CacheEntry | undefined): void {
    const now = nowMs();
    const meta = entry?.meta;
    const decision = decideCache(
      meta,
      { method: ctx.method, headers: ctx.req.headers },
      now,
      policy,
      meta === undefined ? undefined : summaryOf(meta),
    );
    switch (decision.kind) {
      case 'hit':
        serveStored(ctx, entry!, decision.ageS, hitStatus, 'hit');
        return;
      case 'stale':
        serveStored(ctx, entry!, decision.ageS, staleStatus, 'stale');
        if (fills.get(ctx.info.key) === undefined) fills.acquire(ctx.info.key, entry, ctx.req.headers);
        return;
      case 'revalidate':
        fromFill(ctx, entry, true).catch((err: unknown) => fail(ctx, err));
        return;
      case 'miss':
        fromFill(ctx, entry, false).catch((err: unknown) => fail(ctx, err));
        return;
      case 'pass':
        passThrough(ctx).catch((err: unknown) => fail(ctx, err));
        return;
    }
  }

  async function fromFill(
    ctx: RequestContext,
    stored: CacheEntry | undefined,
    revalidate: boolean,
  ): Promise<void> {
    const { fill, joined } = fills.acquire(ctx.info.key, revalidate ? stored : undefined, ctx.req.headers);
    let head: FillHead;
    try {
      head = await fill.head;
    } catch (err) {
      upstreamFailed(ctx, stored, toCdnError(err));
      return;
    }
    if (ctx.res.destroyed) return;
    // A body past the fill's replay bound cannot be replayed from its start: forward the request.
    if ((joined && !head.shareable) || (!fill.replayable && ctx.method === 'GET')) {
      await passThrough(ctx);
      return;
    }
    const fwd = stored === undefined ? 'miss' : 'stale';
    let cacheStatus: string;
    let label: CacheStatusLabel;
    if (head.via === 'revalidated') {
      cacheStatus = `${node}; fwd=stale; fwd-status=304`;
      label = 'revalidated';
    } else if (joined) {
      cacheStatus = `${node}; fwd=${fwd}; fwd-status=${head.upstreamStatus}; collapsed`;
      label = 'collapsed';
    } else {
      cacheStatus = `${node}; fwd=${fwd}; fwd-status=${head.upstreamStatus}${head.storable ? '; stored' : ''}`;
      label = 'miss';
    }
    const ageS = currentAgeS(
      {
        status: head.status,
        headers: head.headers,
        requestTimeMs: head.requestTimeMs,
        responseTimeMs: head.responseTimeMs,
      },
      nowMs(),
    );
    respond(ctx, head, ageS, cacheStatus, label, fill);
  }

  /** Upstream failed: serve what is stored when the policy allows (stale-if-error), else a coded error. */
  function upstreamFailed(ctx: RequestContext, stored: CacheEntry | undefined, error: CdnError): void {
    const meta = stored?.meta;
    const decision = decideOnUpstreamError(
      meta,
      nowMs(),
      policy,
      meta === undefined ? undefined : summaryOf(meta),
    );
    if (decision.kind === 'serve-stale' && stored !== undefined) {
      serveStored(ctx, stored, decision.ageS, `${node}; fwd=stale; detail=stale-if-error`, 'stale_if_error');
      return;
    }
    metrics.request('error', ctx.info.objectType);
    sendError(ctx.res, error, {
      'cache-status': `${node}; fwd=${stored === undefined ? 'miss' : 'stale'}; detail=${error.code}`,
    });
  }

  /** Forwards a request that must not be stored or shared, streaming the answer. */
  async function passThrough(ctx: RequestContext): Promise<void> {
    const { res } = ctx;
    let upstream;
    try {
      upstream = await fills.pass(ctx.info.key, ctx.req.headers, ctx.method);
    } catch (err) {
      upstreamFailed(ctx, undefined, toCdnError(err, EdgeHttpErrorCode.UpstreamUnavailable));
      return;
    }
    const headers: OutgoingHttpHeaders = { ...pickStoredHeaders(upstream.headers) };
    const contentRange = upstream.headers['content-range'];
    if (typeof contentRange === 'string') headers['content-range'] = contentRange;
    headers['cache-status'] = `${node}; fwd=bypass; fwd-status=${upstream.statusCode}`;
    metrics.request('pass', ctx.info.objectType);
    res.writeHead(upstream.statusCode, headers);
    try {
      await pipeline(upstream.body, res);
    } catch {
      res.destroy();
    }
  }

  // ---- ops and admin -------------------------------------------------------------------------

  function authorized(req: IncomingMessage): boolean {
    if (adminDigest === undefined) return false;
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    // Digests have equal lengths, as timingSafeEqual needs, whatever the token's length.
    return m !== null && timingSafeEqual(sha256(m[1]!.trim()), adminDigest);
  }

  async function parseAdminBody(req: IncomingMessage): Promise<Record<string, unknown>> {
    const text = await readBody(req, ADMIN_BODY_LIMIT_BYTES);
    if (text.trim() === '') return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw edgeHttpError(EdgeHttpErrorCode.BadRequest, 'the body is not JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw edgeHttpError(EdgeHttpErrorCode.BadRequest, 'the body must be a JSON object');
    }
    return parsed as Record<string, unknown>;
  }

  async function purge(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await parseAdminBody(req);
    const { key, titleId } = body;
    if ((key === undefined) === (titleId === undefined)) {
      throw edgeHttpError(
        EdgeHttpErrorCode.BadRequest,
        'give exactly one of "key" (a content URL path) or "titleId"',
      );
    }
    let action: NodeAction;
    if (typeof key === 'string') {
      action = { kind: 'purge-key', key: keyer.keyFor('GET', key).key };
    } else if (typeof titleId === 'string' && TITLE_ID_PATTERN.test(titleId)) {
      action = { kind: 'purge-prefix', prefix: titleKeyPrefix(titleId) };
    } else {
      throw edgeHttpError(EdgeHttpErrorCode.BadRequest, '"key" must be a path string, "titleId" a title id');
    }
    const deleted = await purgeHere(action);
    deps.node?.broadcast(action);
    sendJson(res, 200, { purged: deleted });
  }

  /** Purges a key or a key prefix from this process's tiers and fills in flight. */
  async function purgeHere(
    action: Extract<NodeAction, { kind: 'purge-key' | 'purge-prefix' }>,
  ): Promise<{ memory: number; disk: number }> {
    let deleted: { memory: number; disk: number };
    if (action.kind === 'purge-key') {
      const canonical = action.key;
      fills.purge((k) => k === canonical);
      deleted = {
        memory: (await memory.delete(canonical)) ? 1 : 0,
        disk: disk !== undefined && (await disk.delete(canonical)) ? 1 : 0,
      };
    } else {
      const prefix = action.prefix;
      fills.purge((k) => k.startsWith(prefix));
      deleted = {
        memory: await memory.deletePrefix(prefix),
        disk: disk === undefined ? 0 : await disk.deletePrefix(prefix),
      };
    }
    logger.info({ ...action, deleted }, 'purged');
    return deleted;
  }

  /** Passes an admin call on to worker 0 over its internal loopback port, and its answer back. */
  async function forwardToWorker0(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    worker: WorkerIdentity,
  ): Promise<void> {
    const body = await readBody(req, ADMIN_BODY_LIMIT_BYTES);
    let answer: Dispatcher.ResponseData;
    try {
      answer = await undiciRequest(`http://127.0.0.1:${worker.internalPorts[0]!}${path}`, {
        method: req.method ?? 'GET',
        headers: {
          ...(req.headers.authorization !== undefined ? { authorization: req.headers.authorization } : {}),
          'content-type': 'application/json',
        },
        ...(body !== '' && req.method !== 'GET' && req.method !== 'HEAD' ? { body } : {}),
        headersTimeout: ADMIN_FORWARD_TIMEOUT_MS,
        bodyTimeout: ADMIN_FORWARD_TIMEOUT_MS,
      });
    } catch (err) {
      throw edgeHttpError(
        EdgeHttpErrorCode.NotReady,
        `worker 0, which runs this node's fills, did not answer: ${(err as Error).message}`,
      );
    }
    const text = await answer.body.text();
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    const allow = answer.headers.allow;
    if (typeof allow === 'string') headers.allow = allow;
    res.writeHead(answer.statusCode, headers);
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  async function admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path !== '/admin/purge' && path !== '/admin/drain' && path !== '/admin/fill') {
      throw edgeHttpError(EdgeHttpErrorCode.NotFound, `no route ${path}`);
    }
    if (req.method !== 'POST' && path !== '/admin/fill') {
      sendError(res, edgeHttpError(EdgeHttpErrorCode.MethodNotAllowed, 'use POST'), { allow: 'POST' });
      return;
    }
    if (!authorized(req)) {
      sendError(
        res,
        edgeHttpError(
          EdgeHttpErrorCode.Unauthorized,
          adminDigest === undefined
            ? 'admin endpoints are disabled (no admin token configured)'
            : 'bad or missing bearer token',
        ),
        { 'www-authenticate': 'Bearer' },
      );
      return;
    }
    if (path === '/admin/purge') {
      await purge(req, res);
      return;
    }
    if (path === '/admin/fill') {
      const worker = deps.worker;
      if (worker !== undefined && worker.index !== 0) {
        // Worker 0 runs the node's fill runs (and the schedule): one run per node, whichever
        // worker the call lands on.
        await forwardToWorker0(req, res, path, worker);
        return;
      }
      const answer = await proactive.handleAdmin(req.method ?? 'GET', () => parseAdminBody(req));
      sendJson(res, answer.status, answer.body, answer.headers);
      return;
    }
    const body = await parseAdminBody(req);
    if (body.draining !== undefined && typeof body.draining !== 'boolean') {
      throw edgeHttpError(EdgeHttpErrorCode.BadRequest, '"draining" must be a boolean');
    }
    setDraining(body.draining ?? true);
    deps.node?.broadcast({ kind: 'drain', draining });
    sendJson(res, 200, { draining });
  }

  function readiness(): { ready: true } | { ready: false; reason: string } {
    if (draining) return { ready: false, reason: 'draining' };
    for (const store of stores) {
      const health = store.health();
      if (!health.healthy) return { ready: false, reason: `${store.name} tier: ${health.reason}` };
    }
    return { ready: true };
  }

  async function ops(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    if (path.startsWith('/admin/')) {
      await admin(req, res, path);
      return;
    }
    if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') {
      throw edgeHttpError(EdgeHttpErrorCode.NotFound, `no route ${path.slice(0, 200)}`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, edgeHttpError(EdgeHttpErrorCode.MethodNotAllowed, 'use GET'), { allow: 'GET, HEAD' });
      return;
    }
    if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
    } else if (path === '/readyz') {
      const r = readiness();
      if (r.ready) sendJson(res, 200, { status: 'ready' });
      else sendError(res, edgeHttpError(EdgeHttpErrorCode.NotReady, `not ready: ${r.reason}`));
    } else {
      const text = deps.node === undefined ? await registry.metrics() : await deps.node.metricsText();
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const target = req.url ?? '/';
    // Closing: no more requests on this connection after this one.
    if (closing) res.shouldKeepAlive = false;
    // Browser players on other origins (the web player) read bodies and Cache-Status.
    if (answerCors(req, res)) return;
    if (target.startsWith('/content/')) {
      serveContent(req, res, target);
      return;
    }
    // The URL token in the path: checked like `?token=`, and the key is the /content path alone.
    const tokenised = target.startsWith(TOKEN_PATH_PREFIX) ? parseTokenPath(target) : undefined;
    if (tokenised !== undefined) {
      serveContent(req, res, tokenised.target, tokenised.token);
      return;
    }
    ops(req, res, target).catch((err: unknown) => {
      const error = toCdnError(err);
      if (!isCdnError(err)) logger.error({ err: error.message }, 'ops request failed');
      sendError(res, error);
    });
  }

  function setDraining(value: boolean): void {
    if (value !== draining) logger.info({ draining: value }, value ? 'draining' : 'drain cancelled');
    draining = value;
  }

  const server = createServer(
    {
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      maxHeaderSize: config.http.maxHeaderBytes,
      headersTimeout: config.http.headersTimeoutMs,
      // A whole request (head and any body) within the header timeout plus the send timeout.
      requestTimeout: config.http.headersTimeoutMs + config.http.sendTimeoutMs,
    },
    handle,
  );
  // No progress for sendTimeoutMs with a request in flight (a client that stopped reading): the
  // socket is destroyed, which releases the buffers queued for it. Idle keep-alive connections
  // follow keepAliveTimeout instead.
  server.timeout = config.http.sendTimeoutMs;
  let closing = false;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  return {
    server,
    handle,
    metrics,
    filler: fills,
    prefetcher,
    proactive,
    get draining() {
      return draining;
    },
    setDraining,
    async applyNodeAction(action) {
      if (action.kind === 'drain') setDraining(action.draining);
      else await purgeHere(action);
    },
    listen(options = {}) {
      const host = options.host ?? config.listen.host;
      const port = options.port ?? config.listen.port;
      return new Promise<string>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shownHost = host.includes(':') ? `[${host}]` : host;
          resolve(`http://${shownHost}:${address.port}`);
        });
      });
    },
    async close() {
      setDraining(true);
      closing = true;
      if (server.listening) {
        await new Promise<void>((resolve) => {
          // Requests in flight get a grace period; then every connection is cut.
          const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
          // Keep-alive connections whose request finishes after close() started go idle, not away.
          // Connections a client opened but never used are in neither list: cut them too.
          const sweep = setInterval(() => {
            server.closeIdleConnections();
            for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();
          }, 50);
          server.close(() => {
            clearTimeout(force);
            clearInterval(sweep);
            resolve();
          });
          server.closeIdleConnections();
        });
      }
      await proactive.close();
      await prefetcher.close();
      await fills.close();
      await disk?.close();
      await memory.close();
    },
  };
}
