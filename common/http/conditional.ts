/**
 * Pure request preconditions (RFC 9110 §13) and If-Range, shared by the origin (which knows its
 * validators) and the edge (which answers from stored responses whose validators may be absent).
 */

/** The validators of a selected representation (RFC 9110 §8.8); either may be unknown. */
export interface Validators {
  /** An entity tag, quoted: `"abc..."` or `W/"abc..."`. */
  etag?: string | undefined;
  /** Last modification time, in ms since the epoch (compared at HTTP-date precision, 1 s). */
  lastModifiedMs?: number | undefined;
}

/** The conditional request headers, as received (undefined when absent). */
export interface ConditionalHeaders {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: string | undefined;
  ifUnmodifiedSince?: string | undefined;
}

/**
 * - `proceed`: perform the method (GET: 200 or 206);
 * - `not-modified`: 304 (§15.4.5);
 * - `precondition-failed`: 412 (§15.5.13).
 */
export type PreconditionDecision =
  { kind: 'proceed' } | { kind: 'not-modified' } | { kind: 'precondition-failed' };

interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** Parses `*` or a list of entity tags (§8.8.3); malformed members are skipped. */
export function parseEntityTags(value: string): '*' | EntityTag[] {
  if (value.trim() === '*') return '*';
  const tags: EntityTag[] = [];
  for (const m of value.matchAll(/(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"/g)) {
    tags.push({ weak: m[1] !== undefined, opaque: m[2]! });
  }
  return tags;
}

function parseTag(value: string): EntityTag | undefined {
  const tags = parseEntityTags(value);
  return tags === '*' ? undefined : tags[0];
}

/** Strong comparison (§8.8.3.2): both strong and the same opaque tag. */
function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** Weak comparison (§8.8.3.2): the same opaque tag, weak or not. */
function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

/** An HTTP-date in whole seconds, or undefined when it is not a valid date (then it is ignored). */
export function parseHttpDateS(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/**
 * Evaluates the preconditions of a request in the order of RFC 9110 §13.2.2:
 * 1. If-Match (strong comparison, §13.1.1): false → 412;
 * 2. else If-Unmodified-Since (§13.1.4), when a valid date: modified after it → 412;
 * 3. If-None-Match (weak comparison, §13.1.2): a match → 304 for GET/HEAD, 412 otherwise;
 * 4. else, for GET/HEAD, If-Modified-Since (§13.1.3), when a valid date: not modified since → 304.
 * If-Range (step 5) is decided separately by {@link rangeAllowed}.
 */
export function evaluatePreconditions(
  method: string,
  headers: ConditionalHeaders,
  validators: Validators,
): PreconditionDecision {
  const current = validators.etag === undefined ? undefined : parseTag(validators.etag);
  const lastModifiedS =
    validators.lastModifiedMs === undefined ? undefined : Math.floor(validators.lastModifiedMs / 1000);
  const safe = method === 'GET' || method === 'HEAD';

  if (headers.ifMatch !== undefined) {
    const tags = parseEntityTags(headers.ifMatch);
    const ok = tags === '*' || (current !== undefined && tags.some((t) => strongMatch(t, current)));
    if (!ok) return { kind: 'precondition-failed' };
  } else {
    const since = parseHttpDateS(headers.ifUnmodifiedSince);
    if (since !== undefined && lastModifiedS !== undefined && lastModifiedS > since) {
      return { kind: 'precondition-failed' };
    }
  }

  if (headers.ifNoneMatch !== undefined) {
    const tags = parseEntityTags(headers.ifNoneMatch);
    const matched = tags === '*' || (current !== undefined && tags.some((t) => weakMatch(t, current)));
    if (matched) return safe ? { kind: 'not-modified' } : { kind: 'precondition-failed' };
  } else if (safe) {
    const since = parseHttpDateS(headers.ifModifiedSince);
    if (since !== undefined && lastModifiedS !== undefined && lastModifiedS <= since) {
      return { kind: 'not-modified' };
    }
  }
  return { kind: 'proceed' };
}

/**
 * If-Range (§13.1.5): true when the Range header may be applied. An entity tag must match strongly
 * (a weak tag never does); a date must be a valid HTTP-date equal to Last-Modified (our Last-Modified
 * is a publish time set once per version, so it is a strong validator in the §8.8.2.2 sense).
 * Absent: the range applies.
 */
export function rangeAllowed(ifRange: string | undefined, validators: Validators): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    const tag = parseTag(value);
    const current = validators.etag === undefined ? undefined : parseTag(validators.etag);
    return tag !== undefined && current !== undefined && strongMatch(tag, current);
  }
  const dateS = parseHttpDateS(value);
  return (
    dateS !== undefined &&
    validators.lastModifiedMs !== undefined &&
    dateS === Math.floor(validators.lastModifiedMs / 1000)
  );
}

/** Validators from stored response header values (Last-Modified as an HTTP-date). */
export function validatorsFromHeaders(
  etag: string | undefined,
  lastModified: string | undefined,
): Validators {
  const ms = lastModified === undefined ? Number.NaN : Date.parse(lastModified);
  return { etag, lastModifiedMs: Number.isNaN(ms) ? undefined : ms };
}
