/** What a file in a title package is, for caching decisions. */
export type ContentKind = 'manifest' | 'playlist' | 'init' | 'segment' | 'metadata';

/** Classifies a package path: the two top manifests, media playlists, init segments, segments, JSON. */
export function classifyContent(path: string): ContentKind {
  if (path === 'manifest.mpd' || path === 'master.m3u8') return 'manifest';
  if (path.endsWith('.m3u8') || path.endsWith('.mpd')) return 'playlist';
  if (/(^|\/)init\.(mp4|m4s|cmfv|cmfa)$/.test(path)) return 'init';
  if (path.endsWith('.json')) return 'metadata';
  return 'segment';
}

export interface CachePolicy {
  /** max-age of unversioned responses, in s. */
  manifestMaxAgeS: number;
  /** stale-while-revalidate of unversioned responses, in s. */
  manifestStaleWhileRevalidateS: number;
}

/**
 * One year in s: the longest freshness lifetime caches commonly honour (RFC 9111 §5.2.2.1 leaves the
 * maximum to caches; RFC 2616 §14.21 advised at most one year and CDNs still cap there).
 */
export const IMMUTABLE_MAX_AGE_S = 31_536_000;

/**
 * How long an edge may serve a stale unversioned response when the origin answers errors or is down
 * (RFC 5861 §4), in s: a day keeps titles playing through an origin outage; a republished title is
 * still picked up within max-age once the origin is back.
 */
export const STALE_IF_ERROR_S = 86_400;

/**
 * `Cache-Control` of a content response.
 * - Under a versioned path (`/content/{title}/v/{version}/...`) bytes never change: every file, media
 *   playlists included (VOD), is `public, max-age=31536000, immutable` (RFC 8246: no revalidation
 *   even on reload).
 * - Under the current path the answer changes when a new version is published: a short max-age
 *   bounds how long edges serve the old version, stale-while-revalidate (RFC 5861 §3) hides the
 *   revalidation from players, stale-if-error (§4) rides out origin trouble. The kind does not matter
 *   there: every unversioned file can change with the pointer.
 */
export function cacheControlFor(
  target: { versioned: boolean; kind: ContentKind },
  policy: CachePolicy,
): string {
  if (target.versioned) return `public, max-age=${IMMUTABLE_MAX_AGE_S}, immutable`;
  return `public, max-age=${policy.manifestMaxAgeS}, stale-while-revalidate=${policy.manifestStaleWhileRevalidateS}, stale-if-error=${STALE_IF_ERROR_S}`;
}

/** Error answers are never stored: a 404 before a publish must not outlive the publish. */
export const ERROR_CACHE_CONTROL = 'no-store';
