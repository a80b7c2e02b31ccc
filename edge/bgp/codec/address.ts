/**
 * IPv4 and IPv6 addresses and prefixes as bytes, the form the codec reads and writes: the UPDATE
 * decoder formats every prefix it reads, so formatting works on the wire bytes in place. Text
 * parsing and the RFC 5952 rules are common/ip.ts's.
 */
import { formatIpv6Groups, ipBytes, parseIp, parsePrefix as parseIpPrefix } from '../../../common/ip.js';
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

/** RFC 5952 text of the 16 address bytes at `offset` (see formatIpv6Groups). */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  const groups = new Array<number>(8);
  for (let i = 0; i < 8; i++)
    groups[i] = ((bytes[offset + 2 * i] ?? 0) << 8) | (bytes[offset + 2 * i + 1] ?? 0);
  return formatIpv6Groups(groups);
}

export function formatAddress(afi: Afi, bytes: Uint8Array, offset = 0): string {
  return afi === Afi.Ipv4 ? formatIpv4(bytes, offset) : formatIpv6(bytes, offset);
}

/** Parses an address of either family (strictly, see common/ip.ts); undefined when it is neither. */
export function parseAddress(text: string): { afi: Afi; bytes: Uint8Array } | undefined {
  const ip = parseIp(text);
  return ip && { afi: ip.family === 4 ? Afi.Ipv4 : Afi.Ipv6, bytes: ipBytes(ip) };
}

export function parseIpv4(text: string): Uint8Array | undefined {
  const parsed = text.includes(':') ? undefined : parseAddress(text);
  return parsed?.bytes;
}

export function parseIpv6(text: string): Uint8Array | undefined {
  const parsed = text.includes(':') ? parseAddress(text) : undefined;
  return parsed?.bytes;
}

/**
 * Parses `address/length`. Host bits must be zero (a config that writes `10.1.2.3/8` is a mistake to
 * report, not to guess at); undefined for anything malformed.
 */
export function parsePrefix(text: string): BinaryPrefix | undefined {
  const parsed = parseIpPrefix(text);
  if (!parsed.ok) return undefined;
  const { prefix } = parsed;
  return { afi: prefix.family === 4 ? Afi.Ipv4 : Afi.Ipv6, bytes: ipBytes(prefix), length: prefix.length };
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
