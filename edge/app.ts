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
import { isCdnError, toCdnError, type CdnError } from '../common/errors.js';
import { evaluatePreconditions, rangeAllowed, validatorsFromHeaders } from '../common/http/conditional.js';
import { contentRange, parseRange, unsatisfiedContentRange } from '../common/http/range.js';
import { silentLogger, type Logger } from '../common/logging.js';
import { TITLE_ID_PATTERN } from '../manifests/index.js';
import type { CacheEntry, CacheStore } from './cache/types.js';
import { tokenKeyring, type EdgeConfig } from './config.js';
import type { NodeAction, NodeLink, WorkerIdentity } from './workerIdentity.js';
import { OriginFiller } from './fill/originFill.js';
import { Prefetcher, prefetchTokenCheck } from './fill/prefetch.js';
import { awaitFill, createCacheWarmer } from './fill/prefetchWarmer.js';
import { ProactiveFiller } from './fill/proactive.js';
import type { Fill, FillHead } from './fill/fill.js';
import { EdgeHttpErrorCode, edgeHttpError } from './http/errors.js';
import { createEdgeMetrics, type CacheStatusLabel, type EdgeMetrics } from './metrics.js';
import { cacheKeyFor, titleKeyPrefix, type CacheKeyInfo } from './policy/cacheKey.js';
import {
  DEFAULT_FRESHNESS_POLICY,
  currentAgeS,
  decideCache,
  decideOnUpstreamError,
  pickStoredHeaders,
  type FreshnessPolicy,
  type StoredHeaders,
} from './policy/freshness.js';
import { tokenFailureError, verifyToken } from './tokens/token.js';

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

/** Seconds a client keeps an idle connection: above the 60 s idle timeout of common load balancers. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** How long close() lets requests in flight finish, in ms: a 1 MB segment at 10 Mbit/s takes ~1 s. */
const CLOSE_GRACE_MS = 5000;

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
    isFresh: (meta) => decideCache(meta, { method: 'GET', headers: {} }, nowMs(), policy).kind === 'hit',
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
    body: Buffer | Fill,
  ): void {
    const { req, res, method } = ctx;
    const stored = head.headers;
    const size = head.sizeBytes;
    ctx.cacheStatus = cacheStatus;
    const out: OutgoingHttpHeaders = {};
    for (const name in stored) {
      if (name !== 'age' && name !== 'content-length') out[name] = stored[name as keyof StoredHeaders];
    }
    out.age = String(Math.floor(ageS));
    out['cache-status'] = cacheStatus;
    let status = head.status;
    let start = 0;
    let end = size === undefined ? Infinity : size - 1;
    if (status === 200) {
      out['accept-ranges'] = 'bytes';
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
          const notModified: OutgoingHttpHeaders = { age: out.age, 'cache-status': cacheStatus };
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
          out['content-range'] = contentRange(start, end, size);
        }
      }
    }
    if (size !== undefined) out['content-length'] = String(end - start + 1);
    else if (Buffer.isBuffer(body)) out['content-length'] = String(body.length);
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
    streamFill(res, body, start, end);
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

  function serveContent(req: IncomingMessage, res: ServerResponse, target: string): void {
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
      info = cacheKeyFor(method, target, keyOptions);
    } catch (err) {
      metrics.request('error', 'other');
      sendError(res, toCdnError(err));
      return;
    }
    // Peers and child edges sign their fills instead (edge/fill/fillAuth.ts).
    if (config.tokens.required && !fills.authorizesFill(req.headers, info.path)) {
      const q = target.indexOf('?');
      const token = q < 0 ? undefined : (new URLSearchParams(target.slice(q + 1)).get('token') ?? undefined);
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
    prefetcher.onRequest(req.headers, target, info);
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
      entry = await disk.get(key);
      if (entry !== undefined) {
        const { meta } = entry;
        // Promote: the next request is a memory hit. A refusal (too large, admission) is fine.
        await memory
          .put(
            {
              key,
              status: meta.status,
              headers: meta.headers,
              requestTimeMs: meta.requestTimeMs,
              responseTimeMs: meta.responseTimeMs,
              sha256: meta.sha256,
            },
            entry.body,
          )
          .catch((err: unknown) => logger.warn({ key, err: (err as Error).message }, 'promotion failed'));
      }
    }
    decideAndServe(ctx, entry);
  }

  function decideAndServe(ctx: RequestContext, entry: CacheEntry | undefined): void {
    const now = nowMs();
    const decision = decideCache(entry?.meta, { method: ctx.method, headers: ctx.req.headers }, now, policy);
    switch (decision.kind) {
      case 'hit':
        serveStored(ctx, entry!, decision.ageS, `${node}; hit`, 'hit');
        return;
      case 'stale':
        serveStored(ctx, entry!, decision.ageS, `${node}; fwd=stale; detail=stale-while-revalidate`, 'stale');
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
    const decision = decideOnUpstreamError(stored?.meta, nowMs(), policy);
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
      action = { kind: 'purge-key', key: cacheKeyFor('GET', key, keyOptions).key };
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
    if (target.startsWith('/content/')) {
      serveContent(req, res, target);
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
