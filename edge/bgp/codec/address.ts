/**
 * IPv4 and IPv6 addresses and prefixes in text and binary, without a dependency: the UPDATE decoder
 * formats every prefix it reads, so this path stays allocation-light. IPv6 text follows RFC 5952.
 */
import { Afi } from './constants.js';

/** A prefix in binary: the address bytes (4 or 16, host bits zero) and its length in bits. */
export interface BinaryPrefix {
  afi: Afi;
  bytes: Uint8Array;
  length: number;
}

export function addressBytes(afi: Afi): 4 | 16 {
  return afi === Afi.Ipv4 ? 4 : 16;
}

export function formatIpv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 §4: lower case, no leading zeros, the longest run (first on ties) of two or more zero groups as `::`. */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  const groups = new Array<number>(8);
  for (let i = 0; i < 8; i++)
    groups[i] = ((bytes[offset + 2 * i] ?? 0) << 8) | (bytes[offset + 2 * i + 1] ?? 0);
  // RFC 5952 §5: IPv4-mapped addresses keep their dotted quad.
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    return `::ffff:${formatIpv4(bytes, offset + 12)}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLength - 1;
      continue;
    }
    out += groups[i]!.toString(16);
    if (i < 7) out += ':';
  }
  return out;
}

export function formatAddress(afi: Afi, bytes: Uint8Array, offset = 0): string {
  return afi === Afi.Ipv4 ? formatIpv4(bytes, offset) : formatIpv6(bytes, offset);
}

const IPV4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] ?? '';
    if (!IPV4_PART.test(part)) return undefined;
    out[i] = Number(part);
  }
  return out;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

export function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? '';
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (!v4) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else {
        if (!HEX_GROUP.test(piece)) return undefined;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** Parses an address of either family; undefined when it is neither. */
export function parseAddress(text: string): { afi: Afi; bytes: Uint8Array } | undefined {
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    return bytes && { afi: Afi.Ipv6, bytes };
  }
  const bytes = parseIpv4(text);
  return bytes && { afi: Afi.Ipv4, bytes };
}

/** Zeroes every bit after `length` (in place) and reports whether any was set. */
export function clearHostBits(bytes: Uint8Array, length: number): boolean {
  let changed = false;
  for (let bit = length; bit < bytes.length * 8; bit++) {
    const index = bit >>> 3;
    const mask = 0x80 >>> (bit & 7);
    if (((bytes[index] ?? 0) & mask) !== 0) {
      bytes[index] = (bytes[index] ?? 0) & ~mask;
      changed = true;
    }
  }
  return changed;
}

/**
 * Parses `address/length`. Host bits must be zero (a config that writes `10.1.2.3/8` is a mistake to
 * report, not to guess at); undefined for anything malformed.
 */
export function parsePrefix(text: string): BinaryPrefix | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseAddress(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(lengthText)) return undefined;
  const length = Number(lengthText);
  if (length > address.bytes.length * 8) return undefined;
  if (clearHostBits(address.bytes, length)) return undefined;
  return { afi: address.afi, bytes: address.bytes, length };
}

export function formatPrefix(prefix: BinaryPrefix): string {
  return `${formatAddress(prefix.afi, prefix.bytes)}/${prefix.length}`;
}

/** Whether `outer` covers `inner`: same family, not longer, and equal on outer's bits. */
export function prefixContains(outer: BinaryPrefix, inner: BinaryPrefix): boolean {
  if (outer.afi !== inner.afi || outer.length > inner.length) return false;
  const fullBytes = outer.length >>> 3;
  for (let i = 0; i < fullBytes; i++) if (outer.bytes[i] !== inner.bytes[i]) return false;
  const rest = outer.length & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((outer.bytes[fullBytes] ?? 0) & mask) === ((inner.bytes[fullBytes] ?? 0) & mask);
}
