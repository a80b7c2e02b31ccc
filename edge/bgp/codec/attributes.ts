/**
 * Path attributes (RFC 4271 §4.3, §5): decoded in any order, with or without the Extended Length
 * flag, each checked against its type's flags and length rules. Errors become AttrIssues whose
 * approach errorHandling.ts decides (RFC 7606); unrecognized optional transitive attributes are kept.
 */
import { BgpErrorCode, bgpError } from '../errors.js';
import { formatAddress, formatIpv4, parseAddress, parseIpv4 } from './address.js';
import { Afi, AttrFlag, AttrType, ErrorCode, SegmentType, UpdateSubcode } from './constants.js';
import { type AttrErrorKind, type AttrIssue, attributeErrorAction } from './errorHandling.js';
import { type Nlri, decodeNlri, encodeNlri } from './nlri.js';

export type Origin = 'igp' | 'egp' | 'incomplete';
export type SegmentKind = 'set' | 'sequence' | 'confed-sequence' | 'confed-set';

export interface AsPathSegment {
  type: SegmentKind;
  asns: number[];
}

export interface Aggregator {
  asn: number;
  address: string;
}

/** RFC 8092 §3: global administrator, local data part 1, local data part 2. */
export interface LargeCommunity {
  global: number;
  local1: number;
  local2: number;
}

export interface MpReach {
  afi: Afi;
  safi: number;
  nextHop: string;
  /** The second address of a 32-octet IPv6 next hop (RFC 2545 §3). */
  linkLocalNextHop?: string;
  nlri: Nlri[];
}

export interface MpUnreach {
  afi: Afi;
  safi: number;
  withdrawn: Nlri[];
}

export interface UnknownAttribute {
  flags: number;
  typeCode: number;
  value: Uint8Array;
}

export interface PathAttributes {
  origin?: Origin;
  asPath?: AsPathSegment[];
  nextHop?: string;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: Aggregator;
  /** RFC 1997 communities as 32-bit values (high half the AS). */
  communities?: number[];
  originatorId?: string;
  clusterList?: string[];
  mpReach?: MpReach;
  mpUnreach?: MpUnreach;
  as4Path?: AsPathSegment[];
  as4Aggregator?: Aggregator;
  largeCommunities?: LargeCommunity[];
  /** Unrecognized optional transitive attributes, in arrival order, with their received flags. */
  unknown?: UnknownAttribute[];
}

/** Session facts the attribute wire format depends on. */
export interface AttributeContext {
  /** Both sides advertised the 4-octet AS capability (RFC 6793 §4): AS_PATH and AGGREGATOR use 4 octets. */
  fourOctetAs: boolean;
  /** ADD-PATH receive negotiated per family (RFC 7911). */
  addPathIpv4: boolean;
  addPathIpv6: boolean;
  /** The peer is in our AS: LOCAL_PREF is only taken from internal peers (RFC 7606 §7.5). */
  ibgp: boolean;
}

const O = AttrFlag.Optional;
const T = AttrFlag.Transitive;

/** The Optional and Transitive bits each known attribute must carry (RFC 4271 §5, and each RFC). */
const EXPECTED_FLAGS: Readonly<Record<number, number>> = {
  [AttrType.Origin]: T,
  [AttrType.AsPath]: T,
  [AttrType.NextHop]: T,
  [AttrType.Med]: O,
  [AttrType.LocalPref]: T,
  [AttrType.AtomicAggregate]: T,
  [AttrType.Aggregator]: O | T,
  [AttrType.Communities]: O | T,
  [AttrType.OriginatorId]: O,
  [AttrType.ClusterList]: O,
  [AttrType.MpReachNlri]: O,
  [AttrType.MpUnreachNlri]: O,
  [AttrType.As4Path]: O | T,
  [AttrType.As4Aggregator]: O | T,
  [AttrType.LargeCommunities]: O | T,
};

const ORIGINS: readonly Origin[] = ['igp', 'egp', 'incomplete'];
const SEGMENT_KINDS: Readonly<Record<number, SegmentKind>> = {
  [SegmentType.Set]: 'set',
  [SegmentType.Sequence]: 'sequence',
  [SegmentType.ConfedSequence]: 'confed-sequence',
  [SegmentType.ConfedSet]: 'confed-set',
};
const SEGMENT_CODES: Readonly<Record<SegmentKind, number>> = {
  set: SegmentType.Set,
  sequence: SegmentType.Sequence,
  'confed-sequence': SegmentType.ConfedSequence,
  'confed-set': SegmentType.ConfedSet,
};

function u32(buf: Uint8Array, pos: number): number {
  return ((buf[pos]! << 24) | (buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!) >>> 0;
}

/** Decodes AS_PATH / AS4_PATH segments of `width`-octet ASNs; a string names what is malformed. */
export function decodeAsPath(
  buf: Uint8Array,
  start: number,
  end: number,
  width: 2 | 4,
): AsPathSegment[] | string {
  const segments: AsPathSegment[] = [];
  let pos = start;
  while (pos < end) {
    if (pos + 2 > end) return 'segment header overruns the attribute';
    const type = SEGMENT_KINDS[buf[pos]!];
    const count = buf[pos + 1]!;
    if (!type) return `segment type ${buf[pos]}`;
    // RFC 7606 §7.2: a zero segment length is malformed.
    if (count === 0) return 'empty segment';
    pos += 2;
    if (pos + count * width > end) return 'segment overruns the attribute';
    const asns: number[] = new Array<number>(count);
    for (let i = 0; i < count; i++, pos += width) {
      asns[i] = width === 4 ? u32(buf, pos) : (buf[pos]! << 8) | buf[pos + 1]!;
    }
    segments.push({ type, asns });
  }
  return segments;
}

export interface DecodedAttributes {
  attributes: PathAttributes;
  /** Type codes present (first occurrences), for the mandatory-attribute check. */
  seen: Set<number>;
  issues: AttrIssue[];
}

function pushIssue(
  issues: AttrIssue[],
  typeCode: number,
  kind: AttrErrorKind,
  subcode: number,
  reason: string,
  data: Uint8Array,
): void {
  issues.push({
    typeCode,
    kind,
    action: attributeErrorAction(typeCode, kind),
    error: { code: ErrorCode.Update, subcode, data, reason },
  });
}

/**
 * Decodes the path attributes between `start` and `end`. Never throws; problems go to `issues`.
 * (No closures in this loop: it runs for every UPDATE of a full table.)
 */
export function decodeAttributes(
  buf: Uint8Array,
  start: number,
  end: number,
  ctx: AttributeContext,
): DecodedAttributes {
  const attributes: PathAttributes = {};
  const seen = new Set<number>();
  const issues: AttrIssue[] = [];
  let pos = start;
  while (pos < end) {
    const flags = buf[pos]!;
    const headerBytes = flags & AttrFlag.ExtendedLength ? 4 : 3;
    if (pos + headerBytes > end) {
      const reason = 'attribute header overruns the path attributes';
      pushIssue(
        issues,
        buf[pos + 1] ?? 0,
        'overrun',
        UpdateSubcode.MalformedAttributeList,
        reason,
        new Uint8Array(0),
      );
      break;
    }
    const typeCode = buf[pos + 1]!;
    const length = headerBytes === 4 ? (buf[pos + 2]! << 8) | buf[pos + 3]! : buf[pos + 2]!;
    const attrStart = pos;
    const from = pos + headerBytes;
    const to = from + length;
    if (to > end) {
      const reason = `attribute ${typeCode} overruns the path attributes`;
      pushIssue(issues, typeCode, 'overrun', UpdateSubcode.MalformedAttributeList, reason, new Uint8Array(0));
      break;
    }
    pos = to;
    if (seen.has(typeCode)) {
      const reason = `attribute ${typeCode} repeated`;
      pushIssue(
        issues,
        typeCode,
        'duplicate',
        UpdateSubcode.MalformedAttributeList,
        reason,
        new Uint8Array(0),
      );
      continue;
    }
    seen.add(typeCode);
    const expected = EXPECTED_FLAGS[typeCode];
    if (expected === undefined) {
      if ((flags & O) === 0) {
        const reason = `unrecognized well-known attribute ${typeCode}`;
        const subcode = UpdateSubcode.UnrecognizedWellKnownAttribute;
        pushIssue(issues, typeCode, 'unrecognized-well-known', subcode, reason, buf.slice(attrStart, to));
      } else if (flags & T) {
        (attributes.unknown ??= []).push({ flags, typeCode, value: buf.slice(from, to) });
      }
      // RFC 4271 §5: an unrecognized optional non-transitive attribute is quietly ignored.
      continue;
    }
    if ((flags & (O | T)) !== expected) {
      const reason = `attribute ${typeCode} has flags 0x${flags.toString(16)}`;
      pushIssue(
        issues,
        typeCode,
        'flags',
        UpdateSubcode.AttributeFlagsError,
        reason,
        buf.slice(attrStart, to),
      );
      continue;
    }
    const problem = decodeKnown(buf, from, to, typeCode, ctx, attributes);
    if (problem) pushIssue(issues, typeCode, problem[0], problem[1], problem[2], buf.slice(attrStart, to));
  }
  return { attributes, seen, issues };
}

type Problem = [kind: AttrErrorKind, subcode: number, reason: string];

function lengthProblem(typeCode: number, length: number): Problem {
  return ['length', UpdateSubcode.AttributeLengthError, `attribute ${typeCode} of length ${length}`];
}

/** Decodes one known attribute into `attributes`; returns what is wrong with it, if anything. */
function decodeKnown(
  buf: Uint8Array,
  from: number,
  to: number,
  typeCode: number,
  ctx: AttributeContext,
  attributes: PathAttributes,
): Problem | undefined {
  const length = to - from;
  switch (typeCode) {
    case AttrType.Origin: {
      if (length !== 1) return lengthProblem(typeCode, length);
      const origin = ORIGINS[buf[from]!];
      if (!origin) return ['value', UpdateSubcode.InvalidOrigin, `ORIGIN ${buf[from]}`];
      attributes.origin = origin;
      return undefined;
    }
    case AttrType.AsPath:
    case AttrType.As4Path: {
      const path = decodeAsPath(buf, from, to, typeCode === AttrType.As4Path || ctx.fourOctetAs ? 4 : 2);
      if (typeof path === 'string') {
        const subcode =
          typeCode === AttrType.AsPath ? UpdateSubcode.MalformedAsPath : UpdateSubcode.OptionalAttributeError;
        return ['value', subcode, `AS path: ${path}`];
      }
      if (typeCode === AttrType.AsPath) attributes.asPath = path;
      else attributes.as4Path = path;
      return undefined;
    }
    case AttrType.NextHop:
      if (length !== 4) return lengthProblem(typeCode, length);
      attributes.nextHop = formatIpv4(buf, from);
      return undefined;
    case AttrType.Med:
      if (length !== 4) return lengthProblem(typeCode, length);
      attributes.med = u32(buf, from);
      return undefined;
    case AttrType.LocalPref:
      if (length !== 4) return lengthProblem(typeCode, length);
      // RFC 7606 §7.5: LOCAL_PREF from an external peer is discarded.
      if (ctx.ibgp) attributes.localPref = u32(buf, from);
      return undefined;
    case AttrType.AtomicAggregate:
      if (length !== 0) return lengthProblem(typeCode, length);
      attributes.atomicAggregate = true;
      return undefined;
    case AttrType.Aggregator:
    case AttrType.As4Aggregator: {
      const asBytes = typeCode === AttrType.As4Aggregator || ctx.fourOctetAs ? 4 : 2;
      if (length !== asBytes + 4) return lengthProblem(typeCode, length);
      const aggregator = {
        asn: asBytes === 4 ? u32(buf, from) : (buf[from]! << 8) | buf[from + 1]!,
        address: formatIpv4(buf, from + asBytes),
      };
      if (typeCode === AttrType.Aggregator) attributes.aggregator = aggregator;
      else attributes.as4Aggregator = aggregator;
      return undefined;
    }
    case AttrType.Communities: {
      if (length === 0 || length % 4 !== 0) return lengthProblem(typeCode, length);
      const values: number[] = [];
      for (let i = from; i < to; i += 4) values.push(u32(buf, i));
      attributes.communities = values;
      return undefined;
    }
    case AttrType.LargeCommunities: {
      if (length === 0 || length % 12 !== 0) return lengthProblem(typeCode, length);
      const values: LargeCommunity[] = [];
      for (let i = from; i < to; i += 12) {
        values.push({ global: u32(buf, i), local1: u32(buf, i + 4), local2: u32(buf, i + 8) });
      }
      attributes.largeCommunities = values;
      return undefined;
    }
    case AttrType.OriginatorId:
      if (length !== 4) return lengthProblem(typeCode, length);
      attributes.originatorId = formatIpv4(buf, from);
      return undefined;
    case AttrType.ClusterList: {
      if (length === 0 || length % 4 !== 0) return lengthProblem(typeCode, length);
      const ids: string[] = [];
      for (let i = from; i < to; i += 4) ids.push(formatIpv4(buf, i));
      attributes.clusterList = ids;
      return undefined;
    }
    case AttrType.MpReachNlri: {
      const reach = decodeMpReach(buf, from, to, ctx);
      if (typeof reach === 'string')
        return ['value', UpdateSubcode.OptionalAttributeError, `MP_REACH_NLRI: ${reach}`];
      if (reach) attributes.mpReach = reach;
      return undefined;
    }
    case AttrType.MpUnreachNlri: {
      const unreach = decodeMpUnreach(buf, from, to, ctx);
      if (typeof unreach === 'string') {
        return ['value', UpdateSubcode.OptionalAttributeError, `MP_UNREACH_NLRI: ${unreach}`];
      }
      if (unreach) attributes.mpUnreach = unreach;
      return undefined;
    }
  }
  return undefined;
}

function isSupportedFamily(afi: number, safi: number): afi is Afi {
  return (afi === Afi.Ipv4 || afi === Afi.Ipv6) && safi === 1;
}

function addPathFor(ctx: AttributeContext, afi: Afi): boolean {
  return afi === Afi.Ipv4 ? ctx.addPathIpv4 : ctx.addPathIpv6;
}

/** RFC 4760 §3; undefined for a family this speaker does not carry (ignored, RFC 4760 §7). */
function decodeMpReach(
  buf: Uint8Array,
  from: number,
  to: number,
  ctx: AttributeContext,
): MpReach | string | undefined {
  if (to - from < 5) return 'shorter than its fixed fields';
  const afi = (buf[from]! << 8) | buf[from + 1]!;
  const safi = buf[from + 2]!;
  const nextHopLength = buf[from + 3]!;
  if (from + 4 + nextHopLength + 1 > to) return 'next hop overruns the attribute';
  if (!isSupportedFamily(afi, safi)) return undefined;
  const nh = from + 4;
  let nextHop: string;
  let linkLocalNextHop: string | undefined;
  if (afi === Afi.Ipv4 && nextHopLength === 4) nextHop = formatIpv4(buf, nh);
  // IPv6 next hops: 16 octets, or 32 with a link-local address (RFC 2545 §3); also for IPv4 NLRI (RFC 8950).
  else if (nextHopLength === 16 || nextHopLength === 32) {
    nextHop = formatAddress(Afi.Ipv6, buf, nh);
    if (nextHopLength === 32) linkLocalNextHop = formatAddress(Afi.Ipv6, buf, nh + 16);
  } else return `next hop length ${nextHopLength} for AFI ${afi}`;
  // One reserved octet (formerly SNPAs) follows the next hop (RFC 4760 §3).
  const nlri = decodeNlri(buf, nh + nextHopLength + 1, to, afi, addPathFor(ctx, afi));
  if (!nlri.ok) return nlri.reason;
  const reach: MpReach = { afi, safi, nextHop, nlri: nlri.value };
  if (linkLocalNextHop !== undefined) reach.linkLocalNextHop = linkLocalNextHop;
  return reach;
}

function decodeMpUnreach(
  buf: Uint8Array,
  from: number,
  to: number,
  ctx: AttributeContext,
): MpUnreach | string | undefined {
  if (to - from < 3) return 'shorter than its fixed fields';
  const afi = (buf[from]! << 8) | buf[from + 1]!;
  const safi = buf[from + 2]!;
  if (!isSupportedFamily(afi, safi)) return undefined;
  const withdrawn = decodeNlri(buf, from + 3, to, afi, addPathFor(ctx, afi));
  if (!withdrawn.ok) return withdrawn.reason;
  return { afi, safi, withdrawn: withdrawn.value };
}

/* ------------------------------------------------------------------ encoding */

function pushU16(out: number[], v: number): void {
  out.push((v >>> 8) & 0xff, v & 0xff);
}
function pushU32(out: number[], v: number): void {
  out.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

function ipv4Bytes(text: string): Uint8Array {
  const bytes = parseIpv4(text);
  if (!bytes) throw bgpError(BgpErrorCode.Encode, `not an IPv4 address: ${text}`);
  return bytes;
}

function addressOf(text: string): Uint8Array {
  const parsed = parseAddress(text);
  if (!parsed) throw bgpError(BgpErrorCode.Encode, `not an IP address: ${text}`);
  return parsed.bytes;
}

/** Appends one attribute; the Extended Length flag is set only when the value needs it. */
function pushAttribute(
  out: number[],
  flags: number,
  typeCode: number,
  value: readonly number[] | Uint8Array,
): void {
  if (value.length > 0xffff)
    throw bgpError(BgpErrorCode.Encode, `attribute ${typeCode} of ${value.length} octets`);
  const extended = value.length > 0xff;
  out.push(extended ? flags | AttrFlag.ExtendedLength : flags & ~AttrFlag.ExtendedLength, typeCode);
  if (extended) pushU16(out, value.length);
  else out.push(value.length);
  for (const b of value) out.push(b);
}

function encodeAsPath(segments: readonly AsPathSegment[], width: 2 | 4): number[] {
  const out: number[] = [];
  for (const segment of segments) {
    // Segments hold at most 255 ASNs (one-octet count): split longer ones.
    for (let i = 0; i < segment.asns.length || i === 0; i += 255) {
      const chunk = segment.asns.slice(i, i + 255);
      if (chunk.length === 0) break;
      out.push(SEGMENT_CODES[segment.type], chunk.length);
      for (const asn of chunk) {
        if (width === 4) pushU32(out, asn);
        else pushU16(out, asn);
      }
    }
  }
  return out;
}

/**
 * Encodes attributes in ascending type code order (RFC 4271 §5: SHOULD). Unrecognized transitive
 * attributes go out with the Partial bit set, as RFC 4271 §5 requires when passing them on.
 */
export function encodeAttributes(attrs: PathAttributes, ctx: AttributeContext): number[] {
  const entries: [number, () => void][] = [];
  const out: number[] = [];
  const add = (
    typeCode: number,
    value: () => readonly number[] | Uint8Array,
    flags = EXPECTED_FLAGS[typeCode] ?? 0,
  ): void => {
    entries.push([typeCode, () => pushAttribute(out, flags, typeCode, value())]);
  };
  if (attrs.origin !== undefined) add(AttrType.Origin, () => [ORIGINS.indexOf(attrs.origin!)]);
  if (attrs.asPath) add(AttrType.AsPath, () => encodeAsPath(attrs.asPath!, ctx.fourOctetAs ? 4 : 2));
  if (attrs.nextHop !== undefined) add(AttrType.NextHop, () => ipv4Bytes(attrs.nextHop!));
  const u32Value = (v: number) => (): number[] => {
    const o: number[] = [];
    pushU32(o, v);
    return o;
  };
  if (attrs.med !== undefined) add(AttrType.Med, u32Value(attrs.med));
  if (attrs.localPref !== undefined) add(AttrType.LocalPref, u32Value(attrs.localPref));
  if (attrs.atomicAggregate) add(AttrType.AtomicAggregate, () => []);
  const aggregatorValue = (agg: Aggregator, width: 2 | 4) => (): number[] => {
    const o: number[] = [];
    if (width === 4) pushU32(o, agg.asn);
    else pushU16(o, agg.asn);
    o.push(...ipv4Bytes(agg.address));
    return o;
  };
  if (attrs.aggregator) add(AttrType.Aggregator, aggregatorValue(attrs.aggregator, ctx.fourOctetAs ? 4 : 2));
  if (attrs.communities) {
    const list = attrs.communities;
    add(AttrType.Communities, () => {
      const o: number[] = [];
      for (const c of list) pushU32(o, c);
      return o;
    });
  }
  if (attrs.originatorId !== undefined) add(AttrType.OriginatorId, () => ipv4Bytes(attrs.originatorId!));
  if (attrs.clusterList)
    add(AttrType.ClusterList, () => attrs.clusterList!.flatMap((id) => [...ipv4Bytes(id)]));
  if (attrs.mpReach) {
    const reach = attrs.mpReach;
    add(AttrType.MpReachNlri, () => {
      const o: number[] = [];
      pushU16(o, reach.afi);
      o.push(reach.safi);
      const nh = [
        ...addressOf(reach.nextHop),
        ...(reach.linkLocalNextHop ? addressOf(reach.linkLocalNextHop) : []),
      ];
      o.push(nh.length, ...nh, 0);
      o.push(...encodeNlri(reach.nlri, reach.afi, addPathFor(ctx, reach.afi)));
      return o;
    });
  }
  if (attrs.mpUnreach) {
    const unreach = attrs.mpUnreach;
    add(AttrType.MpUnreachNlri, () => {
      const o: number[] = [];
      pushU16(o, unreach.afi);
      o.push(unreach.safi, ...encodeNlri(unreach.withdrawn, unreach.afi, addPathFor(ctx, unreach.afi)));
      return o;
    });
  }
  if (attrs.as4Path) add(AttrType.As4Path, () => encodeAsPath(attrs.as4Path!, 4));
  if (attrs.as4Aggregator) add(AttrType.As4Aggregator, aggregatorValue(attrs.as4Aggregator, 4));
  if (attrs.largeCommunities) {
    const list = attrs.largeCommunities;
    add(AttrType.LargeCommunities, () => {
      const o: number[] = [];
      for (const c of list) {
        pushU32(o, c.global);
        pushU32(o, c.local1);
        pushU32(o, c.local2);
      }
      return o;
    });
  }
  for (const u of attrs.unknown ?? []) add(u.typeCode, () => u.value, u.flags | AttrFlag.Partial);
  entries.sort((a, b) => a[0] - b[0]);
  for (const [, write] of entries) write();
  return out;
}
