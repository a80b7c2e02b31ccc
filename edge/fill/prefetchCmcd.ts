/**
 * CMCD prefetch hints (pure). A player sends Common Media Client Data (CTA-5004) with a request,
 * in the `CMCD-Request`, `CMCD-Object`, `CMCD-Status` and `CMCD-Session` headers or the `CMCD` query
 * parameter; `nor` (next object request) names what it will ask for next, relative to the current
 * request, and `nrr` (v1: next range request) the range of it. The edge fetches that object ahead
 * of time. Decoding is @svta/cml-cmcd's; what to prefetch, and what to refuse, is decided here.
 */
import { fromCmcdHeaders, fromCmcdQuery } from '@svta/cml-cmcd';
import { CMCD_QUERY_PARAM, cacheKeyFor, type CacheKeyOptions } from '../policy/cacheKey.js';

/** Header names CMCD travels in (CTA-5004 §2.1; lower-case as node gives them). */
const CMCD_HEADER_NAMES = ['cmcd-request', 'cmcd-object', 'cmcd-status', 'cmcd-session'] as const;

/**
 * Next objects acted on per request. CTA-5004-B lets `nor` list several; a player names the next one
 * or two (the next segment of each active track). More would let one request fan out upstream.
 */
export const MAX_NOR_PER_REQUEST = 4;

/** Longest `nor` value looked at, in characters: relative segment paths are under 200. */
const MAX_NOR_CHARS = 2048;

/** The next object requests of one request, as the player sent them (not yet resolved). */
export interface CmcdHints {
  /** CMCD version (`v`, 1 when absent: CTA-5004 §3.3.3). */
  version: number;
  /** `nor` values, relative references, in the order sent. */
  next: { ref: string; range: string | undefined }[];
  /** v1 `nrr` without `nor`: a range of the current object itself. */
  selfRange: string | undefined;
}

/**
 * Cheap check for the hot path: whether a request can carry `nor`/`nrr` at all (they travel in
 * `CMCD-Request`, or in the `CMCD` query parameter). No parsing.
 */
export function mayCarryCmcd(headers: Readonly<Record<string, unknown>>, target: string): boolean {
  if (headers['cmcd-request'] !== undefined) return true;
  const q = target.indexOf('?');
  return q >= 0 && target.includes(`${CMCD_QUERY_PARAM}=`, q);
}

type DecodedCmcd = Record<string, unknown>;

function decode(headers: Readonly<Record<string, unknown>>, target: string): DecodedCmcd | undefined {
  try {
    if (headers['cmcd-request'] !== undefined) {
      const picked: Record<string, string> = {};
      for (const name of CMCD_HEADER_NAMES) {
        const value = headers[name];
        if (typeof value === 'string') picked[name] = value;
      }
      return fromCmcdHeaders(picked, { convertToLatest: true });
    }
    const q = target.indexOf('?');
    if (q < 0) return undefined;
    const params = new URLSearchParams(target.slice(q + 1));
    if (!params.has(CMCD_QUERY_PARAM)) return undefined;
    return fromCmcdQuery(params, { convertToLatest: true });
  } catch {
    // Not RFC 8941 structured fields: a broken player, not a reason to fail its request.
    return undefined;
  }
}

/**
 * The `nor`/`nrr` hints of a request, or undefined when it has none (or CMCD that does not parse).
 * v1 `nor` values are URL-encoded strings (CTA-5004 §3.3.2) and are decoded once here; v2 values are
 * plain references with an optional `r` (range) parameter.
 */
export function readCmcdHints(
  headers: Readonly<Record<string, unknown>>,
  target: string,
): CmcdHints | undefined {
  const data = decode(headers, target);
  if (data === undefined) return undefined;
  const version = typeof data.v === 'number' ? data.v : 1;
  const nrr = typeof data.nrr === 'string' ? data.nrr : undefined;
  const next: CmcdHints['next'] = [];
  const nor = Array.isArray(data.nor) ? (data.nor as unknown[]) : [];
  for (const item of nor) {
    let ref: unknown = item;
    let range: string | undefined = nrr;
    if (item !== null && typeof item === 'object' && 'value' in item) {
      ref = item.value;
      const r = (item as { params?: { r?: unknown } }).params?.r;
      if (typeof r === 'string') range = r;
    }
    if (typeof ref !== 'string' || ref === '' || ref.length > MAX_NOR_CHARS) continue;
    if (version === 1) {
      try {
        ref = decodeURIComponent(ref);
      } catch {
        continue;
      }
    }
    next.push({ ref: ref as string, range });
  }
  const selfRange = next.length === 0 ? nrr : undefined;
  if (next.length === 0 && selfRange === undefined) return undefined;
  return { version, next, selfRange };
}

/** Why a hint is not acted on (the `ignored` outcome). */
export type PrefetchIgnoreReason = 'bad-url' | 'other-host' | 'not-content' | 'other-title' | 'too-many';

export type PrefetchTarget =
  /** Fetch `target` (path and query, origin-form) into the cache under `key`. */
  | { kind: 'prefetch'; key: string; path: string; target: string; range: string | undefined }
  /** The hint names the object being requested: its own fill covers it. */
  | { kind: 'self' }
  | { kind: 'ignore'; reason: PrefetchIgnoreReason; ref: string };

export interface CurrentRequest {
  /** The canonical path of the request carrying the hints. */
  path: string;
  /** Its cache key. */
  key: string;
  /** Its title (undefined outside `/content/{title}/`). */
  titleId: string | undefined;
}

/** Base for resolving references: any host works, the host is compared, never contacted. */
const RESOLVE_BASE = 'http://edge.invalid';

/**
 * What each hint asks to prefetch. A reference resolves against the current request path (RFC 3986
 * §5.2); only objects of the same title under `/content/` are prefetched — anything else (another
 * host, another title, a path cacheKeyFor refuses) is ignored, so a CMCD header cannot make the edge
 * fetch arbitrary URLs. At most MAX_NOR_PER_REQUEST objects per request.
 */
export function prefetchTargets(
  hints: CmcdHints,
  current: CurrentRequest,
  keyOptions: CacheKeyOptions,
): PrefetchTarget[] {
  const out: PrefetchTarget[] = [];
  if (hints.selfRange !== undefined) out.push({ kind: 'self' });
  let acted = 0;
  for (const { ref, range } of hints.next) {
    if (acted >= MAX_NOR_PER_REQUEST) {
      out.push({ kind: 'ignore', reason: 'too-many', ref });
      continue;
    }
    acted++;
    let url: URL;
    try {
      url = new URL(ref, RESOLVE_BASE + current.path);
    } catch {
      out.push({ kind: 'ignore', reason: 'bad-url', ref });
      continue;
    }
    if (url.origin !== RESOLVE_BASE) {
      out.push({ kind: 'ignore', reason: 'other-host', ref });
      continue;
    }
    const target = url.pathname + url.search;
    let info;
    try {
      info = cacheKeyFor('GET', target, keyOptions);
    } catch {
      out.push({ kind: 'ignore', reason: 'bad-url', ref });
      continue;
    }
    if (!info.path.startsWith('/content/')) {
      out.push({ kind: 'ignore', reason: 'not-content', ref });
    } else if (info.titleId === undefined || info.titleId !== current.titleId) {
      out.push({ kind: 'ignore', reason: 'other-title', ref });
    } else if (info.key === current.key) {
      out.push({ kind: 'self' });
    } else {
      out.push({ kind: 'prefetch', key: info.key, path: info.path, target, range });
    }
  }
  return out;
}
