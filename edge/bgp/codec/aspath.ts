/**
 * AS path helpers: the RFC 6793 §4.2.3 reconstruction of the real path from AS_PATH and AS4_PATH
 * sent by a 2-octet-only speaker, and the path length of RFC 4271 §9.1.2.2 a.
 */
import type { AsPathSegment, PathAttributes } from './attributes.js';
import { AS_TRANS } from './constants.js';

/** Path length for best-path selection: an AS_SET counts 1, confederation segments 0 (RFC 5065 §5.3). */
export function asPathLength(path: readonly AsPathSegment[]): number {
  let n = 0;
  for (const segment of path) {
    if (segment.type === 'sequence') n += segment.asns.length;
    else if (segment.type === 'set') n += 1;
  }
  return n;
}

/** The path's ASNs in order, sets flattened (for display and loop checks). */
export function asPathAsns(path: readonly AsPathSegment[]): number[] {
  return path.flatMap((segment) => segment.asns);
}

/**
 * The AS path to use. On a 4-octet session AS4_PATH must not appear and is ignored (RFC 6793 §4.1).
 * From a 2-octet speaker: when AGGREGATOR names a real 2-octet AS the aggregation happened on an old
 * speaker and AS4_PATH is ignored; when AS_PATH is shorter than AS4_PATH, AS4_PATH is ignored;
 * otherwise the leading ASes of AS_PATH that AS4_PATH does not cover are kept and AS4_PATH appended.
 */
export function effectiveAsPath(attrs: PathAttributes, fourOctetSession: boolean): AsPathSegment[] {
  const asPath = attrs.asPath ?? [];
  const as4Path = attrs.as4Path;
  if (fourOctetSession || !as4Path) return asPath;
  if (attrs.aggregator && attrs.aggregator.asn !== AS_TRANS) return asPath;
  const countOf = (path: readonly AsPathSegment[]): number =>
    path.reduce((n, s) => n + (s.type === 'sequence' ? s.asns.length : s.type === 'set' ? 1 : 0), 0);
  const excess = countOf(asPath) - countOf(as4Path);
  if (excess < 0) return asPath;
  // Take `excess` path-length units from the front of AS_PATH (confederation segments count 0, kept).
  const head: AsPathSegment[] = [];
  let left = excess;
  for (const segment of asPath) {
    if (left === 0 && segment.type !== 'confed-sequence' && segment.type !== 'confed-set') break;
    if (segment.type === 'sequence') {
      const take = Math.min(left, segment.asns.length);
      if (take > 0) head.push({ type: 'sequence', asns: segment.asns.slice(0, take) });
      left -= take;
      if (take < segment.asns.length) break;
    } else if (segment.type === 'set') {
      if (left === 0) break;
      head.push(segment);
      left -= 1;
    } else head.push(segment);
  }
  const merged = [...head, ...as4Path];
  // Join a trailing head sequence with a leading AS4 sequence, as one path.
  const out: AsPathSegment[] = [];
  for (const segment of merged) {
    const last = out[out.length - 1];
    if (
      last &&
      last.type === 'sequence' &&
      segment.type === 'sequence' &&
      last.asns.length + segment.asns.length <= 255
    ) {
      out[out.length - 1] = { type: 'sequence', asns: [...last.asns, ...segment.asns] };
    } else out.push(segment);
  }
  return out;
}

/** The aggregator to use: AS4_AGGREGATOR's when AGGREGATOR carries AS_TRANS (RFC 6793 §4.2.3). */
export function effectiveAggregator(
  attrs: PathAttributes,
  fourOctetSession: boolean,
): PathAttributes['aggregator'] {
  if (!fourOctetSession && attrs.aggregator?.asn === AS_TRANS && attrs.as4Aggregator)
    return attrs.as4Aggregator;
  return attrs.aggregator;
}
