/**
 * What a `Range` header asks of a representation of `sizeBytes` bytes (RFC 9110 §14):
 * - `full`: no usable range, answer 200 with the whole body;
 * - `partial`: one satisfiable byte range, answer 206 with `Content-Range: bytes start-end/size`;
 * - `unsatisfiable`: answer 416 with `Content-Range: bytes *\/size` (§15.5.17).
 */
export type RangeDecision =
  { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

const FULL: RangeDecision = { kind: 'full' };

/**
 * Decides a `Range` header. Only single byte ranges are served:
 * - an absent header, a unit other than `bytes` (§14.2: a server MUST ignore units it does not
 *   understand), a syntax error or an invalid range (last < first, §14.1.1) is ignored: full;
 * - several ranges are ignored too (§14.2 lets a server ignore Range; media players ask for one, and
 *   multipart/byteranges answers are useless to edges): full;
 * - `first-` and `first-last` with first beyond the end, and a zero-length suffix `-0`, or any range
 *   of an empty representation, are unsatisfiable (§14.1.1: a suffix range of a non-empty
 *   representation is always satisfiable);
 * - `last` past the end is clamped to the end (§14.1.1), a suffix longer than the body is the body.
 */
export function parseRange(header: string | undefined, sizeBytes: number): RangeDecision {
  if (header === undefined) return FULL;
  const match = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*(.*)$/.exec(header);
  if (!match || match[1]!.toLowerCase() !== 'bytes') return FULL;
  // range-set = 1#range-spec: a comma list, whose empty elements are ignored (RFC 9110 §5.6.1).
  const specs = match[2]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (specs.length !== 1) return FULL;
  const spec = specs[0]!;

  const suffix = /^-(\d+)$/.exec(spec);
  if (suffix) {
    const length = toNumber(suffix[1]!);
    if (length === 0 || sizeBytes === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, sizeBytes - length), end: sizeBytes - 1 };
  }
  const span = /^(\d+)-(\d*)$/.exec(spec);
  if (!span) return FULL;
  const first = toNumber(span[1]!);
  const last = span[2] === '' ? Number.POSITIVE_INFINITY : toNumber(span[2]!);
  if (last < first) return FULL;
  if (first >= sizeBytes) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start: first, end: Math.min(last, sizeBytes - 1) };
}

/** Digits as a number; values beyond 2^53 only ever compare as "huge", so Infinity is exact enough. */
function toNumber(digits: string): number {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : Number.POSITIVE_INFINITY;
}

/** `Content-Range` of a 206 (RFC 9110 §14.4). */
export function contentRange(start: number, end: number, sizeBytes: number): string {
  return `bytes ${start}-${end}/${sizeBytes}`;
}

/** `Content-Range` of a 416 (RFC 9110 §14.4: "unsatisfied-range"). */
export function unsatisfiedContentRange(sizeBytes: number): string {
  return `bytes */${sizeBytes}`;
}
