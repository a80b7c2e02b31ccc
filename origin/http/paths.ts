import { isAbsolute, relative, sep } from 'node:path';
import { TITLE_ID_PATTERN } from '../../manifests/index.js';

/** Version names as title.json writes them (timestamp + digest). */
export const VERSION_PATTERN = /^[0-9A-Za-z._-]{1,80}$/;

/** Longest package path served, in characters (real ones are about 30). */
const MAX_PATH_CHARS = 1024;

/**
 * A request path under `/content/`:
 * - `current`: `/content/{titleId}/{path...}`, served from the title's current version;
 * - `versioned`: `/content/{titleId}/v/{version}/{path...}`, served from that version (`v` is
 *   reserved: no package has a top-level `v/` directory);
 * - `bad`: not a path the origin serves, with the reason.
 */
export type ContentPath =
  | { kind: 'current'; titleId: string; path: string }
  | { kind: 'versioned'; titleId: string; version: string; path: string }
  | { kind: 'bad'; reason: string };

/**
 * Why a decoded path segment is refused, or undefined when it is safe: empty, `.`/`..` and every
 * other dot-led name (hidden files: the store's own metadata and staging), separators (an encoded
 * `%2F` or `\`), NUL and other control characters.
 */
export function unsafeSegmentReason(segment: string): string | undefined {
  if (segment === '') return 'empty path segment';
  if (segment === '.' || segment === '..') return 'dot segment';
  if (segment.startsWith('.')) return 'hidden name';
  if (segment.includes('/') || segment.includes('\\')) return 'encoded separator';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(segment)) return 'control character';
  return undefined;
}

/**
 * Parses the raw (still percent-encoded) part of a URL after `/content/`, without the query. Each
 * segment is percent-decoded exactly once and checked after decoding, so `%2e%2e`, `%2F`, `%00` and
 * double slashes (an absolute path) are all refused; nothing is normalised away.
 */
export function parseContentPath(raw: string): ContentPath {
  if (raw.length > MAX_PATH_CHARS * 3) return { kind: 'bad', reason: 'path too long' };
  const segments: string[] = [];
  for (const encoded of raw.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(encoded);
    } catch {
      return { kind: 'bad', reason: 'malformed percent-encoding' };
    }
    const reason = unsafeSegmentReason(segment);
    if (reason !== undefined) return { kind: 'bad', reason };
    segments.push(segment);
  }
  const [titleId, ...rest] = segments;
  if (titleId === undefined || !TITLE_ID_PATTERN.test(titleId))
    return { kind: 'bad', reason: 'bad title id' };
  if (rest[0] === 'v' && rest.length >= 3) {
    const version = rest[1]!;
    if (!VERSION_PATTERN.test(version)) return { kind: 'bad', reason: 'bad version' };
    const path = rest.slice(2).join('/');
    if (path.length > MAX_PATH_CHARS) return { kind: 'bad', reason: 'path too long' };
    return { kind: 'versioned', titleId, version, path };
  }
  if (rest.length === 0) return { kind: 'bad', reason: 'no file named' };
  if (rest[0] === 'v') return { kind: 'bad', reason: 'versioned path without a file' };
  const path = rest.join('/');
  if (path.length > MAX_PATH_CHARS) return { kind: 'bad', reason: 'path too long' };
  return { kind: 'current', titleId, path };
}

/** True when `candidate` is strictly inside `root` (both absolute, already resolved). */
export function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
