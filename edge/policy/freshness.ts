/**
 * The edge's HTTP caching policy as pure functions (RFC 9111, with RFC 5861 stale-while-revalidate
 * and stale-if-error, and RFC 8246 immutable). The edge is a shared cache. Every function takes the
 * time as `nowMs`; none reads the clock. The HTTP shell switches on the tagged decisions.
 */
import {
  headerValue,
  parseCacheControl,
  parseDeltaSeconds,
  parseHttpDate,
  type CacheDirectives,
  type HeaderBag,
} from './headers.js';

/** The response header fields a cache entry keeps (lower-case). Everything else is dropped at store time. */
export const STORED_HEADER_NAMES = [
  'content-type',
  'content-length',
  'content-encoding',
  'etag',
  'last-modified',
  'cache-control',
  'date',
  'age',
  'expires',
  'vary',
] as const;

export type StoredHeaderName = (typeof STORED_HEADER_NAMES)[number];
export type StoredHeaders = Readonly<Partial<Record<StoredHeaderName, string>>>;

/** What the policy needs to know about a stored response. Cache entries carry more. */
export interface StoredResponse {
  status: number;
  headers: StoredHeaders;
  /** When the request that produced the response was sent upstream, in ms (RFC 9111 §4.2.3 request_time). */
  requestTimeMs: number;
  /** When the response was received, in ms (response_time). */
  responseTimeMs: number;
}

/** The parts of a client request the policy reads. */
export interface CacheRequest {
  method: string;
  headers: HeaderBag;
}

/** An upstream response as the policy sees it before storing. */
export interface UpstreamResponse {
  status: number;
  headers: HeaderBag;
  /** When it was received, in ms: stands in for a missing Date (RFC 9110 §6.6.1). */
  responseTimeMs: number;
}

export interface FreshnessPolicy {
  /**
   * Freshness lifetime of a 404 or 410 that carries no explicit freshness, in s. Short: it only
   * absorbs a burst of requests for a missing object, and a publish shows up within it.
   */
  negativeTtlS: number;
  /**
   * Share of (Date − Last-Modified) used as heuristic freshness lifetime when a response has no
   * explicit one (RFC 9111 §4.2.2 suggests "no more than some fraction"; 10% is the classic
   * value from Squid and RFC 7234 §4.2.2).
   */
  heuristicFraction: number;
  /** Cap on heuristic freshness, in s: one day, so a file untouched for years is still rechecked daily. */
  heuristicMaxS: number;
  /**
   * How long past staleness a response without `stale-if-error` may still be served when upstream
   * fails, in s (Varnish's default_grace is 10 s). Never applied when the response forbids
   * serving stale (`no-cache`, `must-revalidate`, `proxy-revalidate`, or `s-maxage`, which
   * implies proxy-revalidate for shared caches, RFC 9111 §5.2.2.10).
   */
  staleIfErrorDefaultS: number;
  /**
   * Whether client request directives (`no-cache`, `no-store`, `max-age`, `min-fresh`,
   * `max-stale`, `Pragma: no-cache`) are honoured. Off by default as at most CDNs: a player's
   * reload must not turn into a load on the origin; the edge is the origin's agent (RFC 9111 §5.2.1
   * lets caches ignore request directives by configuration).
   */
  honourRequestCacheControl: boolean;
}

export const DEFAULT_FRESHNESS_POLICY: Readonly<FreshnessPolicy> = Object.freeze({
  negativeTtlS: 10,
  heuristicFraction: 0.1,
  heuristicMaxS: 86_400,
  staleIfErrorDefaultS: 10,
  honourRequestCacheControl: false,
});

/** Headers of the conditional request that revalidates a stored response (RFC 9111 §4.3.1). */
export type ConditionalHeaders = Readonly<{ 'if-none-match'?: string; 'if-modified-since'?: string }>;

export type PassReason = 'method' | 'request-no-store' | 'no-store' | 'private' | 'authorization' | 'vary';

/**
 * What to do with a request, given what the cache holds for its key.
 * - `hit`: serve the stored response, with `Age: floor(ageS)`.
 * - `stale`: serve the stored response now and revalidate in the background (RFC 5861 §3).
 * - `revalidate`: send the conditional request upstream first; 304 → serve the updated stored
 *   response (see updateAfterRevalidation), 200 → serve and store the new one.
 * - `miss`: fetch from upstream (coalesced), store when `storable` says so.
 * - `pass`: forward upstream, never store, never coalesce.
 */
export type CacheDecision =
  | { kind: 'hit'; ageS: number }
  | { kind: 'stale'; revalidate: 'background'; ageS: number; conditional: ConditionalHeaders }
  | { kind: 'revalidate'; conditional: ConditionalHeaders }
  | { kind: 'miss'; reason: 'absent' | 'stale' | 'vary' }
  | { kind: 'pass'; reason: PassReason };

/**
 * Status codes whose responses are heuristically cacheable (RFC 9110 §15.1), so storable without
 * explicit freshness.
 */
const HEURISTIC_STATUSES: ReadonlySet<number> = new Set([
  200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501,
]);

/** Statuses negatively cached for `negativeTtlS` when nothing explicit says otherwise. */
const NEGATIVE_STATUSES: ReadonlySet<number> = new Set([404, 410]);

/**
 * Vary field names the edge can store under a single key: fills send a fixed Accept-Encoding, and
 * the HTTP shell writes CORS headers itself, so neither selects between stored variants.
 */
const VARY_IGNORABLE: ReadonlySet<string> = new Set(['accept-encoding', 'origin']);

function isGetOrHead(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** The request's Cache-Control, or Pragma: no-cache when Cache-Control is absent (RFC 9111 §5.4). */
function requestDirectives(request: CacheRequest): CacheDirectives {
  const cc = headerValue(request.headers, 'cache-control');
  const parsed = parseCacheControl(cc);
  if (cc === undefined && /(^|,)\s*no-cache\s*(,|$)/i.test(headerValue(request.headers, 'pragma') ?? '')) {
    return { ...parsed, noCache: true };
  }
  return parsed;
}

function hasAuthorization(request: CacheRequest): boolean {
  return (headerValue(request.headers, 'authorization') ?? '') !== '';
}

/** RFC 9111 §3.5: a response to an authenticated request is shared only when it says so explicitly. */
function sharesAuthenticated(cc: CacheDirectives): boolean {
  return cc.public || cc.sMaxAgeS !== undefined || cc.mustRevalidate;
}

/** Whether a Vary value lists something the edge cannot key on (`*` included). */
function varyUnsupported(vary: string | undefined): boolean {
  if (vary === undefined) return false;
  return vary
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .some((name) => name !== '' && !VARY_IGNORABLE.has(name));
}

/** Explicit directives that forbid serving the response stale at all (RFC 9111 §4.2.4). */
function forbidsStale(cc: CacheDirectives): boolean {
  return cc.noCache || cc.mustRevalidate || cc.proxyRevalidate;
}

/**
 * Current age of a stored response in s (RFC 9111 §4.2.3). A missing or invalid Date counts as
 * the response time; an invalid Age (a list, negative, not a number) is ignored (§5.1); clocks
 * that run backwards never make an age negative.
 */
export function currentAgeS(stored: StoredResponse, nowMs: number): number {
  return ageAt(stored, correctedInitialAgeS(stored), nowMs);
}

/** corrected_initial_age (RFC 9111 §4.2.3): the age of a stored response when it was received, in s. */
function correctedInitialAgeS(stored: StoredResponse): number {
  const dateMs = parseHttpDate(stored.headers.date) ?? stored.responseTimeMs;
  const ageValueS = parseDeltaSeconds(stored.headers.age) ?? 0;
  const apparentAgeS = Math.max(0, (stored.responseTimeMs - dateMs) / 1000);
  const responseDelayS = Math.max(0, (stored.responseTimeMs - stored.requestTimeMs) / 1000);
  const correctedAgeValueS = ageValueS + responseDelayS;
  return Math.max(apparentAgeS, correctedAgeValueS);
}

/** current_age from corrected_initial_age plus the time resident in the cache. */
function ageAt(stored: StoredResponse, initialAgeS: number, nowMs: number): number {
  const residentTimeS = Math.max(0, (nowMs - stored.responseTimeMs) / 1000);
  return initialAgeS + residentTimeS;
}

/**
 * What the policy derives from a stored response alone (its headers and times, and the policy):
 * everything decideCache and decideOnUpstreamError need besides the request and the clock. It stays
 * valid while the stored response does not change — a revalidation makes a new StoredResponse,
 * which needs a new summary — so a shell may compute it once per stored response and hand it to
 * every decision, turning a fresh hit into a few comparisons.
 */
export interface StoredSummary {
  cc: Readonly<CacheDirectives>;
  /** corrected_initial_age in s (RFC 9111 §4.2.3). */
  initialAgeS: number;
  /** Freshness lifetime in s (freshnessLifetime). */
  lifetimeS: number;
  /** The stored Vary names something the edge cannot key on. */
  varyUnsupported: boolean;
}

/** The summary of a stored response under a policy (see StoredSummary). */
export function summariseStored(
  stored: StoredResponse,
  policy: Readonly<FreshnessPolicy> = DEFAULT_FRESHNESS_POLICY,
): StoredSummary {
  return {
    cc: parseCacheControl(stored.headers['cache-control']),
    initialAgeS: correctedInitialAgeS(stored),
    lifetimeS: freshnessLifetime(stored, policy).lifetimeS,
    varyUnsupported: varyUnsupported(stored.headers.vary),
  };
}

export type FreshnessSource = 's-maxage' | 'max-age' | 'expires' | 'negative' | 'heuristic' | 'none';

/**
 * Freshness lifetime of a response in s and where it comes from (RFC 9111 §4.2.1): s-maxage (a
 * shared cache), then max-age, then Expires − Date (an invalid Expires, such as `0`, means already
 * expired, §5.3), then — only without any of those — the negative TTL for 404/410, then the
 * heuristic from Last-Modified (§4.2.2), else 0.
 */
export function freshnessLifetime(
  response: { status: number; headers: HeaderBag; responseTimeMs: number },
  policy: Readonly<FreshnessPolicy> = DEFAULT_FRESHNESS_POLICY,
): { lifetimeS: number; source: FreshnessSource } {
  const { headers } = response;
  const cc = parseCacheControl(headerValue(headers, 'cache-control'));
  if (cc.sMaxAgeS !== undefined) return { lifetimeS: cc.sMaxAgeS, source: 's-maxage' };
  if (cc.maxAgeS !== undefined) return { lifetimeS: cc.maxAgeS, source: 'max-age' };
  const dateMs = parseHttpDate(headerValue(headers, 'date')) ?? response.responseTimeMs;
  const expires = headerValue(headers, 'expires');
  if (expires !== undefined) {
    const expiresMs = parseHttpDate(expires);
    if (expiresMs === undefined) return { lifetimeS: 0, source: 'expires' };
    return { lifetimeS: Math.max(0, (expiresMs - dateMs) / 1000), source: 'expires' };
  }
  if (NEGATIVE_STATUSES.has(response.status)) return { lifetimeS: policy.negativeTtlS, source: 'negative' };
  const lastModifiedMs = parseHttpDate(headerValue(headers, 'last-modified'));
  if (lastModifiedMs !== undefined && HEURISTIC_STATUSES.has(response.status)) {
    const sinceModifiedS = Math.max(0, (dateMs - lastModifiedMs) / 1000);
    return {
      lifetimeS: Math.min(policy.heuristicMaxS, sinceModifiedS * policy.heuristicFraction),
      source: 'heuristic',
    };
  }
  return { lifetimeS: 0, source: 'none' };
}

/** The conditional headers that revalidate a stored response: its ETag and Last-Modified (RFC 9111 §4.3.1). */
export function conditionalHeadersFor(stored: { headers: StoredHeaders }): ConditionalHeaders {
  const { etag, 'last-modified': lastModified } = stored.headers;
  return {
    ...(etag !== undefined && etag !== '' ? { 'if-none-match': etag } : {}),
    ...(lastModified !== undefined && lastModified !== '' ? { 'if-modified-since': lastModified } : {}),
  };
}

function hasValidator(conditional: ConditionalHeaders): boolean {
  return conditional['if-none-match'] !== undefined || conditional['if-modified-since'] !== undefined;
}

/** Revalidate when the stored response has a validator, else fetch it whole. */
function revalidateOrMiss(stored: StoredResponse): CacheDecision {
  const conditional = conditionalHeadersFor(stored);
  return hasValidator(conditional) ? { kind: 'revalidate', conditional } : { kind: 'miss', reason: 'stale' };
}

/**
 * Decides how to answer a request from what the cache holds for its key (RFC 9111 §4):
 * non-GET/HEAD and client no-store (when honoured) pass; a response stored despite no-store or
 * private, or an authenticated request for a response not explicitly shared (§3.5), passes;
 * response `no-cache` always revalidates (§5.2.2.4); a fresh response is a hit (client directives,
 * when honoured, may force revalidation, except on `immutable`, RFC 8246 §2); a stale one is served
 * while revalidating in the background within stale-while-revalidate (RFC 5861 §3) unless an
 * explicit directive forbids stale (§4.2.4), else revalidated, or refetched when it has no validator.
 */
export function decideCache(
  stored: StoredResponse | undefined,
  request: CacheRequest,
  nowMs: number,
  policy: Readonly<FreshnessPolicy> = DEFAULT_FRESHNESS_POLICY,
  /** summariseStored(stored, policy), when the caller keeps it; computed here otherwise. */
  summary?: StoredSummary,
): CacheDecision {
  if (!isGetOrHead(request.method)) return { kind: 'pass', reason: 'method' };
  const honour = policy.honourRequestCacheControl;
  const req = honour ? requestDirectives(request) : undefined;
  if (req?.noStore) return { kind: 'pass', reason: 'request-no-store' };
  if (stored === undefined) return { kind: 'miss', reason: 'absent' };

  const s = summary ?? summariseStored(stored, policy);
  const { cc, lifetimeS } = s;
  if (cc.noStore) return { kind: 'pass', reason: 'no-store' };
  if (cc.private) return { kind: 'pass', reason: 'private' };
  if (hasAuthorization(request) && !sharesAuthenticated(cc)) return { kind: 'pass', reason: 'authorization' };
  if (s.varyUnsupported) return { kind: 'miss', reason: 'vary' };
  if (cc.noCache) return revalidateOrMiss(stored);

  const ageS = ageAt(stored, s.initialAgeS, nowMs);
  if (ageS < lifetimeS) {
    if (req === undefined || cc.immutable) return { kind: 'hit', ageS };
    if (req.noCache) return revalidateOrMiss(stored);
    if (req.maxAgeS !== undefined && ageS > req.maxAgeS) return revalidateOrMiss(stored);
    if (req.minFreshS !== undefined && lifetimeS - ageS < req.minFreshS) return revalidateOrMiss(stored);
    return { kind: 'hit', ageS };
  }

  const stalenessS = ageS - lifetimeS;
  if (forbidsStale(cc)) return revalidateOrMiss(stored);
  if (req?.maxStaleS !== undefined && !req.noCache && stalenessS <= req.maxStaleS)
    return { kind: 'hit', ageS };
  if (cc.staleWhileRevalidateS !== undefined && stalenessS <= cc.staleWhileRevalidateS) {
    return { kind: 'stale', revalidate: 'background', ageS, conditional: conditionalHeadersFor(stored) };
  }
  return revalidateOrMiss(stored);
}

/** What to answer when upstream failed (error status ≥ 500, timeout, connection refused). */
export type UpstreamErrorDecision = { kind: 'serve-stale'; ageS: number } | { kind: 'fail' };

/**
 * Whether a stored response may stand in for an upstream failure: within its `stale-if-error`
 * (RFC 5861 §4), or else within the configured default grace — never when the response forbids
 * serving stale (`no-cache`, `must-revalidate`, `proxy-revalidate`: RFC 9111 §4.2.4 says to answer
 * 504 instead), and never with the default grace when `s-maxage` implies proxy-revalidate.
 * A still-fresh response (revalidation forced by a client) counts as 0 s stale.
 */
export function decideOnUpstreamError(
  stored: StoredResponse | undefined,
  nowMs: number,
  policy: Readonly<FreshnessPolicy> = DEFAULT_FRESHNESS_POLICY,
  /** summariseStored(stored, policy), when the caller keeps it. */
  summary?: StoredSummary,
): UpstreamErrorDecision {
  if (stored === undefined) return { kind: 'fail' };
  const s = summary ?? summariseStored(stored, policy);
  const { cc } = s;
  if (cc.noStore || cc.private || forbidsStale(cc)) return { kind: 'fail' };
  const ageS = ageAt(stored, s.initialAgeS, nowMs);
  const stalenessS = Math.max(0, ageS - s.lifetimeS);
  const graceS = cc.staleIfErrorS ?? (cc.sMaxAgeS !== undefined ? 0 : policy.staleIfErrorDefaultS);
  return stalenessS <= graceS ? { kind: 'serve-stale', ageS } : { kind: 'fail' };
}

export type NotStorableReason =
  | 'method'
  | 'status'
  | 'request-no-store'
  | 'no-store'
  | 'private'
  | 'authorization'
  | 'set-cookie'
  | 'vary'
  | 'no-freshness';

export type StorableVerdict =
  | { storable: true; lifetimeS: number; source: FreshnessSource }
  | { storable: false; reason: NotStorableReason };

/**
 * Whether an upstream response may be stored (RFC 9111 §3), with its freshness lifetime:
 * - only responses to GET (a HEAD response has no body to serve GETs from);
 * - never 1xx, 206 (fills fetch whole objects) or 5xx (stale-if-error covers upstream failures);
 *   other statuses outside the heuristically cacheable set only with explicit freshness or `public`;
 * - never with `no-store` or `private` (either form, §5.2.2.7), with Set-Cookie (one client's
 *   cookie must not reach another), with a Vary the edge cannot key on, or for an authenticated
 *   request unless the response is explicitly shared (§3.5);
 * - not when storing is useless: no freshness at all and no validator to revalidate with.
 * A 404/410 without explicit freshness is stored for the negative TTL.
 */
export function storable(
  response: UpstreamResponse,
  request: CacheRequest,
  policy: Readonly<FreshnessPolicy> = DEFAULT_FRESHNESS_POLICY,
): StorableVerdict {
  if (request.method !== 'GET') return { storable: false, reason: 'method' };
  if (policy.honourRequestCacheControl && requestDirectives(request).noStore) {
    return { storable: false, reason: 'request-no-store' };
  }
  const { status, headers, responseTimeMs } = response;
  if (!Number.isInteger(status) || status < 200 || status === 206 || status >= 500) {
    return { storable: false, reason: 'status' };
  }
  const cc = parseCacheControl(headerValue(headers, 'cache-control'));
  if (cc.noStore) return { storable: false, reason: 'no-store' };
  if (cc.private) return { storable: false, reason: 'private' };
  if (hasAuthorization(request) && !sharesAuthenticated(cc))
    return { storable: false, reason: 'authorization' };
  if (headerValue(headers, 'set-cookie') !== undefined) return { storable: false, reason: 'set-cookie' };
  if (varyUnsupported(headerValue(headers, 'vary'))) return { storable: false, reason: 'vary' };
  const explicit =
    cc.sMaxAgeS !== undefined ||
    cc.maxAgeS !== undefined ||
    cc.public ||
    headerValue(headers, 'expires') !== undefined;
  if (!explicit && !HEURISTIC_STATUSES.has(status)) return { storable: false, reason: 'status' };
  const { lifetimeS, source } = freshnessLifetime({ status, headers, responseTimeMs }, policy);
  const validator =
    headerValue(headers, 'etag') !== undefined || headerValue(headers, 'last-modified') !== undefined;
  if (lifetimeS <= 0 && !validator && cc.staleIfErrorS === undefined) {
    return { storable: false, reason: 'no-freshness' };
  }
  return { storable: true, lifetimeS, source };
}

/**
 * The header fields a cache entry keeps, from an upstream response: names lower-cased, repeated
 * fields joined (RFC 9110 §5.3), everything not in STORED_HEADER_NAMES dropped (hop-by-hop fields,
 * Set-Cookie, CORS, server internals).
 */
export function pickStoredHeaders(headers: HeaderBag): StoredHeaders {
  const out: Partial<Record<StoredHeaderName, string>> = {};
  for (const name of STORED_HEADER_NAMES) {
    const value = headerValue(headers, name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** An entity-tag's opaque part and whether it is weak (RFC 9110 §8.8.3); undefined when malformed. */
function parseEtag(text: string): { weak: boolean; opaque: string } | undefined {
  const m = /^\s*(W\/)?("[^"]*")\s*$/.exec(text);
  return m ? { weak: m[1] !== undefined, opaque: m[2]! } : undefined;
}

export type RevalidationResult<T extends StoredResponse> =
  { kind: 'updated'; stored: T } | { kind: 'mismatch'; reason: 'etag' | 'last-modified' };

/**
 * Freshens a stored response with a 304 (RFC 9111 §4.3.4). The 304 must select the stored response:
 * a strong ETag must match strongly, a weak one weakly (RFC 9110 §8.8.3.2), a differing
 * Last-Modified means another representation — then `mismatch` and the caller refetches. Otherwise
 * every stored field the 304 carries replaces the stored one (§3.2), except Content-Length; Date and
 * Age, which describe the exchange, are dropped when the 304 lacks them (so the age restarts from
 * the 304's arrival rather than from the old Date). The request/response times become those of the
 * revalidation exchange.
 */
export function updateAfterRevalidation<T extends StoredResponse>(
  stored: T,
  notModified: { headers: HeaderBag },
  requestTimeMs: number,
  responseTimeMs: number,
): RevalidationResult<T> {
  const newEtagText = headerValue(notModified.headers, 'etag');
  if (newEtagText !== undefined) {
    const fresh = parseEtag(newEtagText);
    const old = stored.headers.etag === undefined ? undefined : parseEtag(stored.headers.etag);
    if (fresh === undefined || old === undefined || fresh.opaque !== old.opaque) {
      return { kind: 'mismatch', reason: 'etag' };
    }
    if (!fresh.weak && old.weak) return { kind: 'mismatch', reason: 'etag' };
  } else {
    const newLm = headerValue(notModified.headers, 'last-modified');
    const oldLm = stored.headers['last-modified'];
    if (newLm !== undefined && oldLm !== undefined && parseHttpDate(newLm) !== parseHttpDate(oldLm)) {
      return { kind: 'mismatch', reason: 'last-modified' };
    }
  }
  const headers: Partial<Record<StoredHeaderName, string>> = { ...stored.headers };
  delete headers.date;
  delete headers.age;
  for (const name of STORED_HEADER_NAMES) {
    if (name === 'content-length') continue;
    const value = headerValue(notModified.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  return { kind: 'updated', stored: { ...stored, headers, requestTimeMs, responseTimeMs } };
}
