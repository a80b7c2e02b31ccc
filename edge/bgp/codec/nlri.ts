/**
 * NLRI encoding (RFC 4271 §4.3): a length in bits, then just enough octets for it; with ADD-PATH
 * (RFC 7911 §3) a 4-octet path identifier comes first. Shared by the UPDATE's withdrawn routes and
 * NLRI fields and by MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760).
 */
import { BgpErrorCode, bgpError } from '../errors.js';
import { addressBytes, formatIpv6, parsePrefix } from './address.js';
import { Afi } from './constants.js';

/** One announced or withdrawn prefix; `pathId` is 0 when ADD-PATH is not in use for the family. */
export interface Nlri {
  prefix: string;
  pathId: number;
}

export type NlriResult = { ok: true; value: Nlri[] } | { ok: false; reason: string };

const scratch = new Uint8Array(16);

/** Decodes the NLRI between `start` and `end`; host bits past the length are ignored (RFC 4271 §4.3). */
export function decodeNlri(
  buf: Uint8Array,
  start: number,
  end: number,
  afi: Afi,
  addPath: boolean,
): NlriResult {
  const out: Nlri[] = [];
  const maxBits = addressBytes(afi) * 8;
  let pos = start;
  while (pos < end) {
    let pathId = 0;
    if (addPath) {
      if (pos + 4 > end) return { ok: false, reason: 'path identifier overruns the NLRI field' };
      pathId = ((buf[pos]! << 24) | (buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!) >>> 0;
      pos += 4;
      if (pos >= end) return { ok: false, reason: 'prefix length missing after path identifier' };
    }
    const length = buf[pos]!;
    pos++;
    if (length > maxBits) return { ok: false, reason: `prefix length ${length} over ${maxBits}` };
    const octets = (length + 7) >>> 3;
    if (pos + octets > end)
      return { ok: false, reason: `prefix of length ${length} overruns the NLRI field` };
    let prefix: string;
    if (afi === Afi.Ipv4) {
      const a = octets > 0 ? buf[pos]! : 0;
      const b = octets > 1 ? buf[pos + 1]! : 0;
      const c = octets > 2 ? buf[pos + 2]! : 0;
      const d = octets > 3 ? buf[pos + 3]! : 0;
      const v = (((a << 24) | (b << 16) | (c << 8) | d) & (length === 0 ? 0 : ~0 << (32 - length))) >>> 0;
      prefix = `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}/${length}`;
    } else {
      scratch.fill(0);
      for (let i = 0; i < octets; i++) scratch[i] = buf[pos + i]!;
      if (length & 7) scratch[octets - 1] = scratch[octets - 1]! & ((0xff << (8 - (length & 7))) & 0xff);
      prefix = `${formatIpv6(scratch)}/${length}`;
    }
    pos += octets;
    out.push({ prefix, pathId });
  }
  return { ok: true, value: out };
}

/** Encodes NLRI for one family; throws BGP_ERR_ENCODE for a malformed or other-family prefix. */
export function encodeNlri(list: readonly Nlri[], afi: Afi, addPath: boolean): Uint8Array {
  const parts: number[] = [];
  for (const entry of list) {
    const prefix = parsePrefix(entry.prefix);
    if (!prefix || prefix.afi !== afi) {
      throw bgpError(
        BgpErrorCode.Encode,
        `not an ${afi === Afi.Ipv4 ? 'IPv4' : 'IPv6'} prefix: ${entry.prefix}`,
      );
    }
    if (addPath) {
      const id = entry.pathId >>> 0;
      parts.push(id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff);
    }
    parts.push(prefix.length);
    for (let i = 0; i < (prefix.length + 7) >>> 3; i++) parts.push(prefix.bytes[i]!);
  }
  return Uint8Array.from(parts);
}
