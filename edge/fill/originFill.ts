/**
 * Fills, coalesced per cache key: whatever the number of concurrent misses, one request goes
 * upstream. Sources are tried in the order of planFillSources (sources.ts): the key's owner among
 * the cluster's peers, then the parent tier, then the origin, each over its own undici Pool
 * (keep-alive, bounded connections, connect/headers/body timeouts). A source that fails (connect
 * error, timeout, 5xx, refusal, a broken or corrupt body) is skipped for a back-off period
 * (sourceHealth.ts); a failure before the response head moves on to the next source, within a
 * bounded number of attempts and time. Requests carry `CDN-Loop` (cdnLoop.ts), and peers and
 * parents are asked with a fill token (fillAuth.ts).
 *
 * Bodies are checked as they stream: the byte count against Content-Length, and the SHA-256
 * against the origin's strong ETag (etag.ts). A fill that ends short, runs long or does not match
 * fails every waiter (those already streaming are cut) and stores nothing; a key that failed
 * verification is then filled verify-first for a while (the head is held back until the body
 * checks out, so the next client gets a clean answer or a 502, never a cut body).
 *
 * Bodies up to `fill.bufferMaxBytes` are assembled in memory and committed to the memory tier (and
 * the disk tier in the background); larger ones stream straight to the disk tier through its
 * writer and are never held whole.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { isCdnError, type CdnError } from '../../common/errors.js';
import type { Logger } from '../../common/logging.js';
import type { CacheEntry, CachePutMeta, CacheStore, CacheWriter } from '../cache/types.js';
import { fillKeyring, type EdgeConfig } from '../config.js';
import { EdgeErrorCode, edgeError } from '../errors.js';
import { EdgeHttpErrorCode, edgeHttpError } from '../http/errors.js';
import type { EdgeMetrics, UpstreamOutcome } from '../metrics.js';
import type { Peer } from '../placement/hrw.js';
import {
  conditionalHeadersFor,
  pickStoredHeaders,
  storable,
  updateAfterRevalidation,
  type FreshnessPolicy,
} from '../policy/freshness.js';
import { headerValue, parseCacheControl, type HeaderBag } from '../policy/headers.js';
import type { TokenKeyring } from '../tokens/token.js';
import { WORKER_SECRET_HEADER, type WorkerIdentity } from '../workerIdentity.js';
import { appendCdnLoop, cdnLoopMember, loopVerdict, parseCdnLoop, type LoopIdentity } from './cdnLoop.js';
import { matchesSha256Prefix, sha256PrefixOfEtag } from './etag.js';
import { Fill, type FillHead } from './fill.js';
import { FILL_TOKEN_HEADER, fillTokenAuthorises, signFillToken, type FillSigner } from './fillAuth.js';
import {
  HEALTHY,
  chooseSource,
  recordFailure,
  recordSuccess,
  type BackoffPolicy,
  type SourceHealth,
} from './sourceHealth.js';
import { planFillSources, type FillSourceKind, type FillTopology, type SourceRef } from './sources.js';

export interface OriginFillerDeps {
  config: EdgeConfig;
  memory: CacheStore;
  disk?: CacheStore | undefined;
  policy: Readonly<FreshnessPolicy>;
  metrics: EdgeMetrics;
  logger: Logger;
  nowMs: () => number;
  /** This process's place among the node's workers (`--workers`); none for a single process. */
  worker?: WorkerIdentity | undefined;
}

/** One upstream: where it is, its connections, and its health. */
interface Upstream {
  ref: SourceRef;
  pool: Pool;
  pathPrefix: string;
  health: SourceHealth;
}

/** A fill's plan and what its requests carry. */
interface FillJob {
  fill: Fill;
  plan: SourceRef[];
  /** `CDN-Loop` sent upstream: what the request carried, plus this node. */
  cdnLoop: string;
  /** `CDN-Loop` as the request carried it: a sibling worker is this node, so it gets that. */
  incomingCdnLoop: string | undefined;
  /** Hold the head back until the body is verified (the key failed verification recently). */
  verifyFirst: boolean;
}

/** How one upstream request ended. */
type Attempt =
  /** The fill is settled (finished, or failed after its head went out). */
  | { kind: 'settled' }
  /** A 304 for another representation: ask the same source again, unconditionally. */
  | { kind: 'unconditional' }
  /** Failed before the head: try elsewhere. `penalise`: the source itself is to blame. */
  | {
      kind: 'next';
      error: CdnError;
      outcome: UpstreamOutcome;
      durationS: number;
      penalise: boolean;
      staleConnection: boolean;
    };

/**
 * Statuses from a peer or parent that mean "not from me" rather than an answer about the object:
 * the request was refused (a fill key missing or rotated away), or it looped. The fill moves on.
 */
const REFUSED_STATUSES: ReadonlySet<number> = new Set([401, 403, 407, 508]);

/** An edge's 5xx that only relays its own upstream's failure (see app.ts upstreamFailed). */
const RELAYED_FAILURE = /detail=EDGE_ERR_(?:UPSTREAM|FILL)_/;

/**
 * How long a key that failed verification is filled verify-first, in ms: long enough to shield the
 * next requests from a bad copy upstream while it is repaired, short enough that a key that healed
 * soon streams again.
 */
const SUSPECT_TTL_MS = 60_000;
/** Keys remembered as suspect at most (oldest forgotten first): bounded whatever upstream sends. */
const MAX_SUSPECTS = 1024;

/** Errors after which one immediate retry is safe and useful: a keep-alive connection the source closed as we reused it. */
function isStaleConnection(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The coded error and metric outcome of a failed upstream request. */
function classify(
  err: unknown,
  afterHead: boolean,
  key: string,
  source: string,
): { error: CdnError; outcome: UpstreamOutcome } {
  if (isCdnError(err)) {
    const outcome: UpstreamOutcome =
      err.code === EdgeErrorCode.FillCorrupt
        ? 'corrupt'
        : err.code === EdgeErrorCode.FillTruncated
          ? 'truncated'
          : err.code === EdgeHttpErrorCode.UpstreamStatus
            ? 'error_status'
            : err.code === EdgeHttpErrorCode.UpstreamTimeout
              ? 'timeout'
              : 'unavailable';
    return { error: err, outcome };
  }
  if (
    err instanceof undiciErrors.ConnectTimeoutError ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError
  ) {
    return {
      error: edgeHttpError(EdgeHttpErrorCode.UpstreamTimeout, `${source} timed out filling ${key}`, {
        cause: err,
        details: { key, source, phase: err.code },
      }),
      outcome: 'timeout',
    };
  }
  const details = { key, source, errno: errnoOf(err) };
  if (afterHead) {
    return {
      error: edgeError(EdgeErrorCode.FillTruncated, `${source} connection ended while filling ${key}`, {
        cause: err,
        details,
      }),
      outcome: 'truncated',
    };
  }
  return {
    error: edgeHttpError(EdgeHttpErrorCode.UpstreamUnavailable, `${source} unreachable filling ${key}`, {
      cause: err,
      details,
    }),
    outcome: 'unavailable',
  };
}

/** How a source is named in messages and logs. */
function labelOf(ref: SourceRef): string {
  return ref.kind === 'origin' ? 'origin' : `${ref.kind} ${ref.id}`;
}

/** A request that failed before anything went out to clients: the fill may try another source. */
function failedBeforeHead(
  err: unknown,
  key: string,
  ref: SourceRef,
  durationS: number,
  options: { inBody: boolean; staleConnection: boolean },
): Attempt {
  const { error, outcome } = classify(err, options.inBody, key, labelOf(ref));
  return {
    kind: 'next',
    error,
    outcome,
    durationS,
    penalise: true,
    staleConnection: options.staleConnection,
  };
}

/** A Content-Length as a number; undefined when absent or not a plain number. */
function contentLength(headers: HeaderBag): number | undefined {
  const text = headerValue(headers, 'content-length')?.trim();
  return text !== undefined && /^[0-9]{1,15}$/.test(text) ? Number(text) : undefined;
}

function peersOf(list: readonly { id: string; weight?: number | undefined }[]): Peer[] {
  return list.map((p) => (p.weight === undefined ? { id: p.id } : { id: p.id, weight: p.weight }));
}

export class OriginFiller {
  /** Fills any request may join. */
  private readonly inflight = new Map<string, Fill>();
  /**
   * Fills for peers' requests started while a fill of the same key was asking a peer: a peer's
   * request must not wait on a fill that waits on a peer (two nodes that each think the other owns
   * a key would wait on each other).
   */
  private readonly peerInflight = new Map<string, Fill>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly via: string;
  private readonly upstreams = new Map<string, Upstream>();
  private readonly topology: FillTopology;
  private readonly identity: LoopIdentity;
  private readonly loopMember: string;
  private readonly backoff: BackoffPolicy;
  private readonly signer: FillSigner | undefined;
  private readonly fillKeys: TokenKeyring;
  /** SHA-256 of the node's worker secret (compared digest to digest, in constant time). */
  private readonly workerSecret: Buffer | undefined;
  /** Keys that failed verification, until when they are filled verify-first (ms). */
  private readonly suspects = new Map<string, number>();

  constructor(private readonly deps: OriginFillerDeps) {
    const { config } = deps;
    const peers = config.cluster?.peers ?? [];
    this.addUpstream({ kind: 'origin', id: 'origin' }, config.originUrl);
    for (const peer of peers) {
      if (peer.id !== config.nodeId) this.addUpstream({ kind: 'peer', id: peer.id }, peer.url);
    }
    for (const parent of config.parents) this.addUpstream({ kind: 'parent', id: parent.id }, parent.url);
    const worker = deps.worker;
    if (worker !== undefined) {
      worker.internalPorts.forEach((port, index) => {
        if (index !== worker.index)
          this.addUpstream({ kind: 'worker', id: String(index) }, `http://127.0.0.1:${port}`);
      });
      this.workerSecret = createHash('sha256').update(worker.secret).digest();
    }
    this.topology = {
      nodeId: config.nodeId,
      peers: peersOf(peers),
      parents: peersOf(config.parents),
      workers: worker === undefined ? undefined : { index: worker.index, count: worker.internalPorts.length },
    };
    this.identity = { clusterId: config.cluster?.id, nodeId: config.nodeId };
    this.loopMember = cdnLoopMember(this.identity);
    this.backoff = { minMs: config.fill.backoffMinMs, maxMs: config.fill.backoffMaxMs };
    this.fillKeys = fillKeyring(config);
    const signingKeyId = config.fillAuth.signingKeyId;
    const signingKey = signingKeyId === undefined ? undefined : this.fillKeys.get(signingKeyId);
    this.signer =
      signingKeyId === undefined || signingKey === undefined
        ? undefined
        : { keyId: signingKeyId, key: signingKey };
    this.via = `1.1 ${config.nodeId}`;
  }

  private addUpstream(ref: SourceRef, baseUrl: string): void {
    const url = new URL(baseUrl);
    const u = this.deps.config.upstream;
    this.upstreams.set(`${ref.kind}:${ref.id}`, {
      ref,
      pathPrefix: url.pathname.replace(/\/+$/, ''),
      health: HEALTHY,
      pool: new Pool(url.origin, {
        connections: u.connections,
        connectTimeout: u.connectTimeoutMs,
        headersTimeout: u.headersTimeoutMs,
        bodyTimeout: u.bodyTimeoutMs,
        keepAliveTimeout: u.keepAliveTimeoutMs,
        pipelining: 1,
      }),
    });
  }

  private upstreamOf(ref: SourceRef): Upstream {
    return this.upstreams.get(`${ref.kind}:${ref.id}`)!;
  }

  get inflightCount(): number {
    return this.inflight.size + this.peerInflight.size;
  }

  /** The fill in flight for a key, if any. */
  get(key: string): Fill | undefined {
    return this.inflight.get(key) ?? this.peerInflight.get(key);
  }

  /** Every source with its health now (for operators and tests). */
  sources(): { kind: FillSourceKind; id: string; health: SourceHealth }[] {
    return [...this.upstreams.values()].map((u) => ({ kind: u.ref.kind, id: u.ref.id, health: u.health }));
  }

  /**
   * Whether a request carries a fill token (`CDN-Fill-Token`) valid for `path` under
   * `fillAuth.keys`: a peer or child edge, let in without a URL token.
   */
  authorizesFill(headers: IncomingHttpHeaders, path: string): boolean {
    return (
      this.fromSibling(headers) ||
      fillTokenAuthorises(headers[FILL_TOKEN_HEADER], path, this.fillKeys, this.deps.nowMs())
    );
  }

  /** Whether a request comes from a sibling worker of this node (it carries the worker secret). */
  fromSibling(headers: IncomingHttpHeaders | undefined): boolean {
    const value = headers?.[WORKER_SECRET_HEADER];
    if (this.workerSecret === undefined || typeof value !== 'string') return false;
    return timingSafeEqual(createHash('sha256').update(value).digest(), this.workerSecret);
  }

  private loopError(key: string): CdnError {
    this.deps.logger.warn({ key }, 'fill request came back to this node (CDN-Loop); not forwarded');
    return edgeError(
      EdgeErrorCode.FillLoop,
      `the request for ${key} looped back to ${this.identity.nodeId}`,
      {
        details: { key, nodeId: this.identity.nodeId },
      },
    );
  }

  /** Where a request comes from, by its `CDN-Loop` field. */
  private verdictOf(headers: IncomingHttpHeaders | undefined): 'client' | 'peer' | 'loop' {
    if (headers?.['cdn-loop'] === undefined) return 'client';
    return loopVerdict(parseCdnLoop(headers['cdn-loop']), this.identity).kind;
  }

  /** A fill that may still send its request to a peer: a peer's request must not wait on it. */
  private static mayAskPeer(fill: Fill): boolean {
    return fill.state === 'head' && fill.source === 'peer';
  }

  private isSuspect(key: string): boolean {
    const untilMs = this.suspects.get(key);
    if (untilMs === undefined) return false;
    if (this.deps.nowMs() < untilMs) return true;
    this.suspects.delete(key);
    return false;
  }

  private markSuspect(key: string): void {
    this.suspects.delete(key);
    if (this.suspects.size >= MAX_SUSPECTS) this.suspects.delete(this.suspects.keys().next().value!);
    this.suspects.set(key, this.deps.nowMs() + SUSPECT_TTL_MS);
  }

  /**
   * Joins the fill in flight for `key`, or starts one. `stored` is the stale entry to revalidate
   * with its validators (a 304 then refreshes it), when it has any. `requestHeaders` are the
   * client's: their `CDN-Loop` tells a peer's request (never sent on to a peer) and a loop (the
   * fill fails at once with EDGE_ERR_FILL_LOOP).
   */
  acquire(
    key: string,
    stored?: CacheEntry,
    requestHeaders?: IncomingHttpHeaders,
  ): { fill: Fill; joined: boolean } {
    const verdict = this.verdictOf(requestHeaders);
    if (verdict === 'loop') {
      const fill = new Fill(key);
      fill.fail(this.loopError(key));
      return { fill, joined: false };
    }
    const fromPeer = verdict === 'peer';
    const existing = this.inflight.get(key);
    const live = existing !== undefined && existing.state !== 'failed';
    let joinable = live && !(fromPeer && OriginFiller.mayAskPeer(existing));
    let target = existing;
    if (!joinable) {
      target = this.peerInflight.get(key);
      joinable = target !== undefined && target.state !== 'failed';
    }
    if (joinable && target !== undefined) {
      target.joiners++;
      this.deps.metrics.coalescedWaiter();
      return { fill: target, joined: true };
    }
    const fill = new Fill(key, this.deps.config.fill.bufferMaxBytes);
    const map = live ? this.peerInflight : this.inflight;
    map.set(key, fill);
    const job: FillJob = {
      fill,
      plan: planFillSources(key, this.topology, fromPeer, this.fromSibling(requestHeaders)),
      cdnLoop: appendCdnLoop(requestHeaders?.['cdn-loop'], this.loopMember),
      incomingCdnLoop: headerValue(requestHeaders ?? {}, 'cdn-loop'),
      verifyFirst: this.isSuspect(key),
    };
    this.track(
      this.run(job, stored).finally(() => {
        if (map.get(key) === fill) map.delete(key);
      }),
    );
    return { fill, joined: false };
  }

  /** Keeps fills in flight from being stored after a purge of their key (exact or prefix). */
  purge(match: (key: string) => boolean): void {
    for (const map of [this.inflight, this.peerInflight]) {
      for (const [key, fill] of map) {
        if (match(key)) {
          fill.doNotStore = true;
          map.delete(key);
        }
      }
    }
  }

  private track(work: Promise<unknown>): void {
    const p = work.catch(() => undefined);
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private requestHeaders(
    ref: SourceRef,
    key: string,
    cdnLoop: string,
    extra: Readonly<Record<string, string>>,
    incomingCdnLoop?: string,
  ): Record<string, string> {
    // identity: the edge stores one representation and serves it to every client.
    const headers: Record<string, string> = {
      'accept-encoding': 'identity',
      via: this.via,
      'cdn-loop': cdnLoop,
      ...extra,
    };
    if (ref.kind === 'worker') {
      // Same node: no new hop, and the sibling trusts the secret instead of a fill token.
      if (incomingCdnLoop === undefined) delete headers['cdn-loop'];
      else headers['cdn-loop'] = incomingCdnLoop;
      delete headers.via;
      headers[WORKER_SECRET_HEADER] = this.deps.worker!.secret;
    } else if (ref.kind !== 'origin' && this.signer !== undefined) {
      headers[FILL_TOKEN_HEADER] = signFillToken(this.signer, key, this.deps.nowMs());
    }
    return headers;
  }

  /**
   * Whether the fill may use a source now; updates its health (a probe) and counts a skip. The
   * last source of a plan (the origin) is always tried: skipping it would leave nothing to ask.
   */
  private available(upstream: Upstream, last: boolean): boolean {
    if (last) return true;
    const { choice, next } = chooseSource(upstream.health, this.deps.nowMs(), this.backoff);
    upstream.health = next;
    if (choice.kind !== 'skip') return true;
    this.deps.metrics.fillSourceSkip(upstream.ref.kind);
    return false;
  }

  private penalise(upstream: Upstream): void {
    upstream.health = recordFailure(upstream.health, this.deps.nowMs(), this.backoff);
  }

  private async run(job: FillJob, initialStored: CacheEntry | undefined): Promise<void> {
    const { fill, plan } = job;
    const { metrics, logger } = this.deps;
    const { maxAttempts, attemptBudgetMs } = this.deps.config.fill;
    const startedMs = performance.now();
    let stored = initialStored;
    let attempts = 0;
    let lastError: CdnError | undefined;
    sources: for (let i = 0; i < plan.length; i++) {
      const upstream = this.upstreamOf(plan[i]!);
      if (!this.available(upstream, i === plan.length - 1)) continue;
      let retried = false;
      for (;;) {
        if (attempts >= maxAttempts || (attempts > 0 && performance.now() - startedMs >= attemptBudgetMs)) {
          break sources;
        }
        attempts++;
        fill.source = upstream.ref.kind;
        const attempt = await this.attempt(job, upstream, stored);
        if (attempt.kind === 'settled') return;
        if (attempt.kind === 'unconditional') {
          stored = undefined;
          continue;
        }
        if (attempt.staleConnection && !retried) {
          retried = true;
          continue;
        }
        metrics.upstream(attempt.outcome, attempt.durationS, upstream.ref.kind);
        if (attempt.penalise) this.penalise(upstream);
        lastError = attempt.error;
        logger.warn(
          { key: fill.key, source: upstream.ref.id, code: lastError.code, err: lastError.message },
          'fill source failed',
        );
        break;
      }
    }
    this.failFill(
      fill,
      lastError ??
        edgeHttpError(EdgeHttpErrorCode.UpstreamUnavailable, `no fill source left for ${fill.key}`, {
          details: { key: fill.key, attempts },
        }),
    );
  }

  private failFill(fill: Fill, error: CdnError): void {
    this.deps.logger.warn({ key: fill.key, code: error.code, err: error.message }, 'fill failed');
    for (const map of [this.inflight, this.peerInflight])
      if (map.get(fill.key) === fill) map.delete(fill.key);
    fill.fail(error);
  }

  /** One request to one source, and the body when it answers. */
  private async attempt(job: FillJob, upstream: Upstream, stored: CacheEntry | undefined): Promise<Attempt> {
    const { fill } = job;
    const { nowMs, metrics } = this.deps;
    const { kind } = upstream.ref;
    const startedMs = performance.now();
    const durationS = (): number => (performance.now() - startedMs) / 1000;
    const label = labelOf(upstream.ref);
    const conditional = stored === undefined ? {} : conditionalHeadersFor(stored.meta);
    const requestTimeMs = nowMs();
    let res: Dispatcher.ResponseData;
    try {
      res = await upstream.pool.request({
        path: upstream.pathPrefix + fill.key,
        method: 'GET',
        headers: this.requestHeaders(upstream.ref, fill.key, job.cdnLoop, conditional, job.incomingCdnLoop),
      });
    } catch (err) {
      return failedBeforeHead(err, fill.key, upstream.ref, durationS(), {
        inBody: false,
        staleConnection: isStaleConnection(err),
      });
    }
    const responseTimeMs = nowMs();
    const headers = res.headers as HeaderBag;
    const status = res.statusCode;
    if (status >= 500 || (kind !== 'origin' && REFUSED_STATUSES.has(status))) {
      await res.body.dump().catch(() => undefined);
      return {
        kind: 'next',
        error: edgeHttpError(
          EdgeHttpErrorCode.UpstreamStatus,
          `${label} answered ${status} filling ${fill.key}`,
          {
            details: { key: fill.key, source: label, status },
          },
        ),
        outcome: 'error_status',
        durationS: durationS(),
        // A peer or parent relaying its own upstream's failure is not to blame for it.
        penalise: !(kind !== 'origin' && RELAYED_FAILURE.test(headerValue(headers, 'cache-status') ?? '')),
        staleConnection: false,
      };
    }
    upstream.health = recordSuccess(upstream.health);
    if (status === 304 && stored !== undefined) {
      await res.body.dump().catch(() => undefined);
      const result = updateAfterRevalidation(stored.meta, { headers }, requestTimeMs, responseTimeMs);
      // Another representation: fetch it whole.
      if (result.kind === 'mismatch') return { kind: 'unconditional' };
      const meta = result.stored;
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
      fill.push(stored.body, true);
      fill.finish();
      metrics.upstream('not_modified', durationS(), kind);
      if (!fill.doNotStore) await this.refreshStored(stored, meta);
      return { kind: 'settled' };
    }
    return this.receive(job, upstream, res, { requestTimeMs, responseTimeMs }, durationS);
  }

  /** Streams a response body into the fill (and the disk writer), verifying it as it goes. */
  private async receive(
    job: FillJob,
    upstream: Upstream,
    res: Dispatcher.ResponseData,
    times: { requestTimeMs: number; responseTimeMs: number },
    durationS: () => number,
  ): Promise<Attempt> {
    const { fill } = job;
    const { disk, metrics, policy, config } = this.deps;
    const { kind } = upstream.ref;
    const label = labelOf(upstream.ref);
    const key = fill.key;
    const headers = res.headers as HeaderBag;
    const status = res.statusCode;
    const verdict = storable(
      { status, headers, responseTimeMs: times.responseTimeMs },
      { method: 'GET', headers: {} },
      policy,
    );
    const cc = parseCacheControl(headerValue(headers, 'cache-control'));
    const sizeBytes = contentLength(headers);
    const storedHeaders = pickStoredHeaders(headers);
    const expectedSha = sha256PrefixOfEtag(storedHeaders.etag);
    const head: FillHead = {
      status,
      headers: storedHeaders,
      sizeBytes,
      ...times,
      storable: verdict.storable && status !== 304,
      shareable: !cc.private && headerValue(headers, 'set-cookie') === undefined,
      via: 'fetched',
      upstreamStatus: status,
    };
    const bufferMax = config.fill.bufferMaxBytes;
    const small = sizeBytes !== undefined && sizeBytes <= bufferMax;
    const holdHead = job.verifyFirst && expectedSha !== undefined && small;
    // What a sibling worker sent is on its disk slice already: this worker keeps it in memory only.
    const fromWorker = kind === 'worker';
    const toDisk =
      head.storable &&
      disk !== undefined &&
      sizeBytes !== undefined &&
      !small &&
      !fill.doNotStore &&
      !fromWorker;
    let writer: CacheWriter | undefined = toDisk
      ? disk.beginWrite({ key, status, headers: storedHeaders, ...times, sizeBytes })
      : undefined;
    const hash = expectedSha === undefined ? undefined : createHash('sha256');
    const held: Buffer[] = [];
    /**
     * While verifying, the newest chunk is passed on only once the next arrives (the last one once
     * the hash checks out), so no client ever holds a complete body that failed verification.
     */
    let lagging: Buffer | undefined;
    const deliver = (chunk: Buffer): void => {
      if (holdHead) held.push(chunk);
      else fill.push(chunk);
    };
    let received = 0;
    let sha256: string | undefined;
    if (!holdHead) fill.setHead(head);
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (sizeBytes !== undefined && received > sizeBytes) {
          res.body.destroy();
          throw edgeError(
            EdgeErrorCode.FillTruncated,
            `fill of ${key} from ${label} ran past its Content-Length`,
            {
              details: { key, source: label, expectedBytes: sizeBytes },
            },
          );
        }
        if (hash !== undefined) {
          hash.update(chunk);
          if (lagging !== undefined) deliver(lagging);
          lagging = chunk;
        } else deliver(chunk);
        if (writer !== undefined) writer = await this.writeOrDrop(writer, chunk, key);
      }
      if (sizeBytes !== undefined && received !== sizeBytes) {
        throw edgeError(
          EdgeErrorCode.FillTruncated,
          `fill of ${key} from ${label} ended after ${received} of ${sizeBytes} bytes`,
          { details: { key, source: label, expectedBytes: sizeBytes, receivedBytes: received } },
        );
      }
      if (hash !== undefined) {
        sha256 = hash.digest('hex');
        if (!matchesSha256Prefix(sha256, expectedSha!)) {
          metrics.fillVerificationFailure();
          this.markSuspect(key);
          throw edgeError(
            EdgeErrorCode.FillCorrupt,
            `fill of ${key} from ${label} does not match its ETag's SHA-256`,
            {
              details: { key, source: label, etag: storedHeaders.etag, sha256 },
            },
          );
        }
      }
    } catch (err) {
      await writer?.abort().catch(() => undefined);
      res.body.destroy();
      if (holdHead) {
        // Nothing went out yet: another source may have a good copy.
        return failedBeforeHead(err, key, upstream.ref, durationS(), {
          inBody: true,
          staleConnection: false,
        });
      }
      const { error, outcome } = classify(err, true, key, label);
      metrics.upstream(outcome, durationS(), kind);
      this.penalise(upstream);
      this.failFill(fill, error);
      return { kind: 'settled' };
    }
    if (lagging !== undefined) deliver(lagging);
    if (holdHead) {
      fill.setHead(head);
      for (const chunk of held) fill.push(chunk);
    }
    if (sha256 !== undefined) this.suspects.delete(key);
    fill.finish();
    metrics.upstream(status < 400 ? 'ok' : 'client_error', durationS(), kind);
    if (!head.storable || fill.doNotStore) {
      await writer?.abort().catch(() => undefined);
    } else if (writer !== undefined) {
      await this.endWrite(writer, key);
    } else if (fill.replayable) {
      const meta: CachePutMeta = { key, status, headers: storedHeaders, ...times };
      if (sha256 !== undefined) meta.sha256 = sha256;
      await this.commit(meta, fill.body(), !fromWorker);
    }
    return { kind: 'settled' };
  }

  /** Writes a chunk to the disk writer; on a disk error the write is dropped (the fill goes on). */
  private async writeOrDrop(
    writer: CacheWriter,
    chunk: Buffer,
    key: string,
  ): Promise<CacheWriter | undefined> {
    try {
      await writer.write(chunk);
      return writer;
    } catch (err) {
      this.deps.metrics.storeFailure('disk');
      this.deps.logger.warn({ key, err: (err as Error).message }, 'disk store failed during a streamed fill');
      return undefined;
    }
  }

  private async endWrite(writer: CacheWriter, key: string): Promise<void> {
    try {
      await writer.end();
    } catch (err) {
      this.deps.metrics.storeFailure('disk');
      this.deps.logger.warn({ key, err: (err as Error).message }, 'disk store failed');
    }
  }

  /** Stores a verified body: memory now (the next request hits), disk in the background. */
  private async commit(meta: CachePutMeta, body: Buffer, toDisk = true): Promise<void> {
    const { memory, disk, logger, metrics } = this.deps;
    try {
      await memory.put(meta, body);
    } catch (err) {
      metrics.storeFailure(memory.name);
      logger.warn({ key: meta.key, err: (err as Error).message }, 'memory store refused a fill');
    }
    if (disk !== undefined && toDisk) {
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

  /**
   * A request forwarded as is and never stored (`pass`), to the first source of the fill plan that
   * is not in back-off (the next one when it cannot be reached). The caller streams the body.
   * Throws EDGE_ERR_FILL_LOOP for a request that looped, and the coded upstream error when no
   * source answers.
   */
  async pass(target: string, headers: IncomingHttpHeaders, method: string): Promise<Dispatcher.ResponseData> {
    const verdict = this.verdictOf(headers);
    if (verdict === 'loop') throw this.loopError(target);
    const forwarded: Record<string, string> = {};
    for (const name of ['range', 'if-none-match', 'if-modified-since', 'authorization', 'cookie']) {
      const value = headerValue(headers, name);
      if (value !== undefined) forwarded[name] = value;
    }
    const cdnLoop = appendCdnLoop(headers['cdn-loop'], this.loopMember);
    const plan = planFillSources(target, this.topology, verdict === 'peer');
    let lastError: CdnError | undefined;
    for (let i = 0; i < plan.length; i++) {
      const upstream = this.upstreamOf(plan[i]!);
      const last = i === plan.length - 1;
      if (!last && upstream.health.kind !== 'up') continue;
      try {
        return await upstream.pool.request({
          path: upstream.pathPrefix + target,
          method: method === 'HEAD' ? 'HEAD' : 'GET',
          headers: this.requestHeaders(upstream.ref, target, cdnLoop, forwarded),
        });
      } catch (err) {
        lastError = classify(err, false, target, labelOf(upstream.ref)).error;
        this.penalise(upstream);
      }
    }
    throw lastError!;
  }

  /** Waits for fills and background writes, then closes the pools. */
  async close(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    await Promise.all([...this.upstreams.values()].map((u) => u.pool.close()));
  }

  /** Fails fills in flight and drops connections at once. */
  async destroy(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((u) => u.pool.destroy()));
  }
}
