/**
 * Pure request negotiation against a stored (or arriving) response: conditional requests (RFC 9110
 * §13.1.2, §13.1.3) and single byte ranges (§14). The shell calls these with the stored validators.
 */
import { parseHttpDate } from '../policy/headers.js';

export interface Validators {
  etag?: string | undefined;
  lastModified?: string | undefined;
}

/** The opaque part of an entity-tag and whether it is weak; undefined when malformed. */
function parseEtag(text: string): { weak: boolean; opaque: string } | undefined {
  const m = /^\s*(W\/)?("[^"]*")\s*$/.exec(text);
  return m ? { weak: m[1] !== undefined, opaque: m[2]! } : undefined;
}

/** Splits an If-None-Match list on commas outside quotes. */
function etagList(value: string): string[] {
  return value.match(/(?:W\/)?"[^"]*"|\*/g) ?? [];
}

/**
 * Whether a GET/HEAD is answered 304 (RFC 9110 §13.2.2 steps 3–4): If-None-Match with weak
 * comparison (§8.8.3.2) when present (`*` matches any stored response), else If-Modified-Since
 * against Last-Modified (the representation is unmodified when Last-Modified ≤ the date).
 */
export function isNotModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  validators: Validators,
): boolean {
  if (ifNoneMatch !== undefined) {
    const stored = validators.etag === undefined ? undefined : parseEtag(validators.etag);
    for (const tag of etagList(ifNoneMatch)) {
      if (tag === '*') return true;
      if (stored !== undefined && parseEtag(tag)?.opaque === stored.opaque) return true;
    }
    return false;
  }
  if (ifModifiedSince === undefined || validators.lastModified === undefined) return false;
  const since = parseHttpDate(ifModifiedSince);
  const modified = parseHttpDate(validators.lastModified);
  return since !== undefined && modified !== undefined && modified <= since;
}

export type RangeDecision =
  { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * Whether If-Range lets a Range apply (§13.1.5): an entity-tag must match strongly (a weak one never
 * does), a date must equal Last-Modified exactly.
 */
function ifRangeHolds(ifRange: string, validators: Validators): boolean {
  const trimmed = ifRange.trim();
  if (trimmed.startsWith('"') || trimmed.startsWith('W/')) {
    const given = parseEtag(trimmed);
    const stored = validators.etag === undefined ? undefined : parseEtag(validators.etag);
    return (
      given !== undefined &&
      stored !== undefined &&
      !given.weak &&
      !stored.weak &&
      given.opaque === stored.opaque
    );
  }
  const date = parseHttpDate(trimmed);
  const modified = parseHttpDate(validators.lastModified);
  return date !== undefined && modified !== undefined && date === modified;
}

/** Up to 15 digits: exact as a JS number. */
const DIGITS = /^[0-9]{1,15}$/;

/**
 * The byte range to serve from an object of `sizeBytes` (RFC 9110 §14.2). A server MAY ignore
 * Range, so a malformed header, another unit, or several ranges (multipart/byteranges, which
 * players never ask for) get the full 200; a failed If-Range does too. A single range starting at or
 * beyond the end (or a zero-length suffix) is unsatisfiable (416).
 */
export function decideRange(
  range: string | undefined,
  ifRange: string | undefined,
  sizeBytes: number,
  validators: Validators,
): RangeDecision {
  if (range === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(range);
  if (!m) return { kind: 'full' };
  const spec = m[1]!.trim();
  if (spec.includes(',')) return { kind: 'full' };
  const dash = spec.indexOf('-');
  if (dash < 0) return { kind: 'full' };
  const first = spec.slice(0, dash).trim();
  const last = spec.slice(dash + 1).trim();
  let start: number;
  let end: number;
  if (first === '') {
    if (!DIGITS.test(last)) return { kind: 'full' };
    const suffix = Number(last);
    if (suffix === 0 || sizeBytes === 0) return unlessIfRange(ifRange, validators, { kind: 'unsatisfiable' });
    start = Math.max(0, sizeBytes - suffix);
    end = sizeBytes - 1;
  } else {
    if (!DIGITS.test(first) || (last !== '' && !DIGITS.test(last))) return { kind: 'full' };
    start = Number(first);
    // `last < first` makes the range invalid, so ignored (§14.1.1).
    if (last !== '' && Number(last) < start) return { kind: 'full' };
    if (start >= sizeBytes) return unlessIfRange(ifRange, validators, { kind: 'unsatisfiable' });
    end = last === '' ? sizeBytes - 1 : Math.min(Number(last), sizeBytes - 1);
  }
  return unlessIfRange(ifRange, validators, { kind: 'partial', start, end });
}

function unlessIfRange(
  ifRange: string | undefined,
  validators: Validators,
  decision: RangeDecision,
): RangeDecision {
  return ifRange === undefined || ifRangeHolds(ifRange, validators) ? decision : { kind: 'full' };
}
