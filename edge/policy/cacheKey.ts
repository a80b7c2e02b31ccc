/**
 * Cache keys (pure). A key is the canonical path plus the whitelisted query parameters, so that
 * every spelling of one URL (`%41` or `A`, parameters in any order, a player's CMCD data, a URL
 * token) lands on one cache object, and no spelling reaches outside the content tree.
 */
import { TITLE_ID_PATTERN } from '../../manifests/titleId.js';
import { EdgeErrorCode, edgeError } from '../errors.js';

/** Query parameter carrying CMCD data (CTA-5004 §3.2): per-request telemetry, never part of a key. */
export const CMCD_QUERY_PARAM = 'CMCD';

/** Query parameter carrying the URL token (see edge/tokens): per-session, never part of a key. */
export const TOKEN_QUERY_PARAM = 'token';

/**
 * Longest request target accepted, in characters. Content paths are under 100 characters; 8 KiB is
 * the usual request-line limit of servers (nginx large_client_header_buffers).
 */
const MAX_TARGET_CHARS = 8192;

export interface CacheKeyOptions {
  /**
   * Query parameters that select different content and so belong in the key (case-sensitive
   * names). Everything else is dropped. `CMCD` and `token` are dropped even when listed.
   */
  queryWhitelist: readonly string[];
}

export type ObjectType = 'manifest' | 'init' | 'segment' | 'other';

export interface CacheKeyInfo {
  /** The cache key: `path` plus `?` and the sorted kept parameters when there are any. */
  key: string;
  /** Canonical path: percent-decoded once, checked, re-encoded one way. */
  path: string;
  /** The title of a `/content/{titleId}/...` path. */
  titleId: string | undefined;
  objectType: ObjectType;
}

/** Characters RFC 3986 §3.3 allows unencoded in a path segment that encodeURIComponent escapes anyway. */
const PCHAR_UNESCAPE: Readonly<Record<string, string>> = {
  '%24': '$',
  '%26': '&',
  '%2B': '+',
  '%2C': ',',
  '%3B': ';',
  '%3D': '=',
  '%3A': ':',
  '%40': '@',
};

function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%(?:24|26|2B|2C|3B|3D|3A|40)/g, (m) => PCHAR_UNESCAPE[m] ?? m);
}

/**
 * Segments made only of characters that decode to themselves and that encodeSegment leaves (or
 * puts back) as they are: RFC 3986 unreserved characters, sub-delims, ':' and '@' — what players
 * send. An absolute path of such segments, without dot segments, is its own canonical form.
 */
const CANONICAL_AS_IS = /^(?:\/[A-Za-z0-9\-_.!~*'()$&+,;=:@]+)*\/?$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

/** Whether an absolute path is canonical as it stands (the common case, checked in one pass). */
function isCanonicalAsIs(rawPath: string): boolean {
  return CANONICAL_AS_IS.test(rawPath) && !DOT_SEGMENT.test(rawPath);
}

function badPath(reason: string, target: string): never {
  throw edgeError(EdgeErrorCode.BadPath, `bad request path (${reason})`, {
    details: { reason, target: target.slice(0, 200) },
  });
}

/**
 * Canonical form of a raw (percent-encoded) path. Each segment is decoded exactly once and checked
 * after decoding, then re-encoded: `.` and `..` segments (also `%2e%2e`), empty segments (a
 * double slash), an encoded `/` or any `\`, NUL and other control characters, and malformed
 * percent-encoding or UTF-8 are refused with EDGE_ERR_BAD_PATH rather than normalised away — a
 * client sending them is not a player. A trailing `/` is kept.
 */
export function canonicalPath(rawPath: string): string {
  if (!rawPath.startsWith('/')) badPath('not an absolute path', rawPath);
  if (isCanonicalAsIs(rawPath)) return rawPath;
  const parts = rawPath.slice(1).split('/');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const encoded = parts[i]!;
    let segment: string;
    try {
      segment = decodeURIComponent(encoded);
    } catch {
      badPath('malformed percent-encoding', rawPath);
    }
    if (segment === '') {
      // Only the last segment may be empty: `/` and `/dir/`.
      if (i !== parts.length - 1) badPath('empty path segment', rawPath);
    } else if (segment === '.' || segment === '..') badPath('dot segment', rawPath);
    if (segment.includes('/') || segment.includes('\\')) badPath('encoded separator or backslash', rawPath);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(segment)) badPath('control character', rawPath);
    out.push(encodeSegment(segment));
  }
  return `/${out.join('/')}`;
}

/** The kept query parameters, sorted by name then value, re-encoded one way; '' when none. */
function canonicalQuery(rawQuery: string, whitelist: ReadonlySet<string>): string {
  if (rawQuery === '' || whitelist.size === 0) return '';
  const kept: [string, string][] = [];
  // URLSearchParams decodes form-style (`+` is a space) and leaves malformed escapes as they are.
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    if (whitelist.has(name)) kept.push([name, value]);
  }
  if (kept.length === 0) return '';
  kept.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return kept.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`).join('&');
}

/**
 * The cache key of a request target (origin-form: path and optional query, as in `req.url`).
 * GET and HEAD share a key (HEAD is answered from the GET object); any other method gets
 * `METHOD ` in front, so it can never collide with a cached object (they pass anyway).
 * Throws EDGE_ERR_BAD_PATH for a path canonicalPath refuses, a fragment, or an oversized target.
 */
export function cacheKeyFor(method: string, target: string, options: CacheKeyOptions): CacheKeyInfo {
  checkTarget(target);
  const q = target.indexOf('?');
  return withQuery(
    pathKeyInfo(canonicalPath(q < 0 ? target : target.slice(0, q))),
    method,
    target,
    q,
    keptParams(options),
  );
}

/** The refusals that look at the whole target rather than the path. */
function checkTarget(target: string): void {
  if (target.length > MAX_TARGET_CHARS) badPath('request target too long', target);
  if (target.includes('#')) badPath('fragment in request target', target);
}

/** The whitelist as a set, without the parameters that never belong in a key. */
function keptParams(options: CacheKeyOptions): ReadonlySet<string> {
  const whitelist = new Set(options.queryWhitelist);
  whitelist.delete(CMCD_QUERY_PARAM);
  whitelist.delete(TOKEN_QUERY_PARAM);
  return whitelist;
}

/** The key info of a canonical path requested by GET without a query. */
function pathKeyInfo(path: string): CacheKeyInfo {
  return { key: path, path, titleId: titleOfPath(path), objectType: objectTypeOf(path) };
}

/** `plain` (a GET without query) for the actual method and query: `plain` itself when they change nothing. */
function withQuery(
  plain: Readonly<CacheKeyInfo>,
  method: string,
  target: string,
  q: number,
  whitelist: ReadonlySet<string>,
): CacheKeyInfo {
  const query = q < 0 ? '' : canonicalQuery(target.slice(q + 1), whitelist);
  const getOrHead = method === 'GET' || method === 'HEAD';
  if (query === '' && getOrHead) return plain;
  const base = query === '' ? plain.path : `${plain.path}?${query}`;
  return { ...plain, key: getOrHead ? base : `${method} ${base}` };
}

/**
 * Raw paths a CacheKeyer remembers, at most. Players ask for the same few thousand segment and
 * manifest paths over and over; 16k entries of ~200 bytes each cost ~3 MiB.
 */
export const KEY_MEMO_ENTRIES = 16_384;
/**
 * Longest raw path remembered, in characters: content paths are under 100. Longer ones (at most
 * MAX_TARGET_CHARS) are recomputed each time, so hostile targets cannot fill the memo with megabytes.
 */
const MEMO_MAX_PATH_CHARS = 512;

/**
 * cacheKeyFor for the hot path: the whitelist built once, and the result for each raw path
 * remembered (a bounded map, oldest first out) so that a repeated request costs one map lookup
 * instead of decoding, checking and re-encoding every segment. Results are exactly those of
 * cacheKeyFor (a property test holds it to that); refused paths are not remembered and throw the
 * same EDGE_ERR_BAD_PATH each time. The CacheKeyInfo returned may be shared: never mutate it.
 */
export class CacheKeyer {
  private readonly whitelist: ReadonlySet<string>;
  private readonly memo = new Map<string, Readonly<CacheKeyInfo>>();

  constructor(
    options: CacheKeyOptions,
    private readonly memoEntries = KEY_MEMO_ENTRIES,
  ) {
    this.whitelist = keptParams(options);
  }

  keyFor(method: string, target: string): CacheKeyInfo {
    checkTarget(target);
    const q = target.indexOf('?');
    const rawPath = q < 0 ? target : target.slice(0, q);
    let plain = this.memo.get(rawPath);
    if (plain === undefined) {
      plain = Object.freeze(pathKeyInfo(canonicalPath(rawPath)));
      if (rawPath.length <= MEMO_MAX_PATH_CHARS && this.memoEntries > 0) {
        if (this.memo.size >= this.memoEntries) this.memo.delete(this.memo.keys().next().value!);
        this.memo.set(rawPath, plain);
      }
    }
    return withQuery(plain, method, target, q, this.whitelist);
  }

  /** Paths remembered now (for tests). */
  get memoSize(): number {
    return this.memo.size;
  }
}

/** The title id of a canonical `/content/{titleId}/...` path, or undefined. */
export function titleOfPath(path: string): string | undefined {
  const m = /^\/content\/([^/]+)\//.exec(path);
  return m && TITLE_ID_PATTERN.test(m[1]!) ? m[1] : undefined;
}

/** The key prefix that covers every object of a title, for purges (`/content/t1/` never covers `t10`). */
export function titleKeyPrefix(titleId: string): string {
  return `/content/${titleId}/`;
}

/**
 * What kind of object a path names, for caching and prefetch decisions: DASH/HLS manifests and
 * playlists, CMAF init segments (`init.mp4`, `init.m4s`, ...), media segments, anything else.
 */
export function objectTypeOf(path: string): ObjectType {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (name.endsWith('.mpd') || name.endsWith('.m3u8')) return 'manifest';
  if (/^init\.(mp4|m4s|cmfv|cmfa)$/.test(name)) return 'init';
  if (/\.(m4s|mp4|cmfv|cmfa)$/.test(name)) return 'segment';
  return 'other';
}
