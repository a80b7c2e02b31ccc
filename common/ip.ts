/**
 * IP addresses and prefixes as 32-bit words (pure), shared by the steering control plane (route
 * table, client addresses), the edge's control client and its BGP codec (which keeps bytes and
 * converts with ipBytes). IPv4 is one word, IPv6 four, most significant first, each an unsigned
 * 32-bit integer. Parsing is strict: dotted-quad IPv4 without leading zeros
 * (RFC 6943 §3.1.1: `010.0.0.1` is octal to some parsers and decimal to others, so it is refused),
 * RFC 4291 §2.2 IPv6 text (with `::` and a trailing dotted quad), no zone ids, no ports.
 * Formatting is canonical: RFC 5952 §4 for IPv6 (lower case, longest run of two or more zero groups
 * compressed, the first on a tie), IPv4-mapped addresses with their dotted quad (RFC 5952 §5).
 */

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  /** 1 word (IPv4) or 4 (IPv6), unsigned 32-bit, most significant first. */
  words: readonly number[];
}

export interface IpPrefix extends IpAddress {
  /** Prefix length in bits: 0–32 (IPv4) or 0–128 (IPv6). */
  length: number;
}

/** Address width in bits of each family. */
export const FAMILY_BITS: Readonly<Record<IpFamily, number>> = { 4: 32, 6: 128 };

/** Longest address or prefix text accepted, in characters (a full IPv6 prefix is 49). */
const MAX_TEXT_CHARS = 64;

const DECIMAL_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function parseIpv4Word(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let word = 0;
  for (const part of parts) {
    if (!DECIMAL_OCTET.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    word = word * 256 + octet;
  }
  return word;
}

function parseIpv6Words(text: string): number[] | undefined {
  let head = text;
  let tailWords: number[] = [];
  // A trailing dotted quad stands for the last two groups (RFC 4291 §2.2 form 3).
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) > lastColon) {
    const v4 = parseIpv4Word(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tailWords = [v4 >>> 16, v4 & 0xffff];
    head = text.slice(0, lastColon + 1);
    // "…:" left over must end in "::" or be followed by the quad as a group: make it a full group list.
    head = head.endsWith('::') ? head : head.slice(0, -1);
    if (head === '') return undefined;
  }
  const gap = head.indexOf('::');
  if (gap !== head.lastIndexOf('::')) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!HEX_GROUP.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (gap < 0) {
    const all = groupsOf(head);
    if (all === undefined) return undefined;
    groups = [...all, ...tailWords];
    if (groups.length !== 8) return undefined;
  } else {
    const before = groupsOf(head.slice(0, gap));
    const after = groupsOf(head.slice(gap + 2));
    if (before === undefined || after === undefined) return undefined;
    const known = before.length + after.length + tailWords.length;
    // "::" stands for at least one zero group.
    if (known > 7) return undefined;
    groups = [...before, ...new Array<number>(8 - known).fill(0), ...after, ...tailWords];
  }
  const words: number[] = [];
  for (let i = 0; i < 8; i += 2) words.push(((groups[i]! << 16) | groups[i + 1]!) >>> 0);
  return words;
}

/** Parses an IPv4 or IPv6 address; undefined when the text is not one. */
export function parseIp(text: string): IpAddress | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT_CHARS) return undefined;
  if (text.includes(':')) {
    const words = parseIpv6Words(text);
    return words === undefined ? undefined : { family: 6, words };
  }
  const word = parseIpv4Word(text);
  return word === undefined ? undefined : { family: 4, words: [word] };
}

/** The mask of the first `bits` bits (0–32) of a word. */
function wordMask(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/** The address with every bit after the first `length` cleared. */
export function maskWords(words: readonly number[], length: number): number[] {
  return words.map((w, i) => (w & wordMask(length - i * 32)) >>> 0);
}

export type PrefixParse = { ok: true; prefix: IpPrefix } | { ok: false; reason: string };

/**
 * Parses `address/length`. Host bits must be zero (`10.1.2.3/16` is refused: a route names a
 * network, and BGP NLRI never carries host bits, RFC 4271 §4.3).
 */
export function parsePrefix(text: string): PrefixParse {
  if (typeof text !== 'string' || text.length > MAX_TEXT_CHARS) return { ok: false, reason: 'not a prefix' };
  const slash = text.indexOf('/');
  if (slash < 0) return { ok: false, reason: 'missing /length' };
  const ip = parseIp(text.slice(0, slash));
  if (!ip) return { ok: false, reason: 'the address is not an IPv4 or IPv6 address' };
  const lengthText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) return { ok: false, reason: 'the length is not a number' };
  const length = Number(lengthText);
  if (length > FAMILY_BITS[ip.family])
    return { ok: false, reason: `the length is over ${FAMILY_BITS[ip.family]}` };
  const masked = maskWords(ip.words, length);
  if (masked.some((w, i) => w !== ip.words[i]))
    return {
      ok: false,
      reason: `host bits are set (the network is ${formatIp({ ...ip, words: masked })}/${length})`,
    };
  return { ok: true, prefix: { family: ip.family, words: ip.words, length } };
}

/** Dotted-quad text of an IPv4 address held as one unsigned 32-bit word. */
function formatIpv4Word(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
}

/**
 * RFC 5952 text of an IPv6 address given as its eight 16-bit groups: lower case, no leading zeros,
 * the longest run of two or more zero groups as `::` (the first on a tie, §4.2), and IPv4-mapped
 * addresses (`::ffff:a.b.c.d`) with their dotted quad (§5).
 */
export function formatIpv6Groups(groups: ArrayLike<number>): string {
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    return `::ffff:${formatIpv4Word(((groups[6]! << 16) | groups[7]!) >>> 0)}`;
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

/** Canonical text of an address (RFC 5952 for IPv6). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return formatIpv4Word(ip.words[0]!);
  const groups: number[] = [];
  for (const w of ip.words) groups.push(w >>> 16, w & 0xffff);
  return formatIpv6Groups(groups);
}

export function formatPrefix(prefix: IpPrefix): string {
  return `${formatIp(prefix)}/${prefix.length}`;
}

/**
 * An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2, what a dual-stack socket
 * reports for an IPv4 peer) as the IPv4 address; any other address unchanged.
 */
export function unmapIpv4(ip: IpAddress): IpAddress {
  const w = ip.words;
  if (ip.family === 6 && w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return { family: 4, words: [w[3]!] };
  return ip;
}

/** Whether an address lies inside a prefix of the same family. */
export function prefixContains(prefix: IpPrefix, ip: IpAddress): boolean {
  if (prefix.family !== ip.family) return false;
  const masked = maskWords(ip.words, prefix.length);
  return masked.every((w, i) => w === prefix.words[i]);
}

/** The address as network-order bytes (4 or 16). */
export function ipBytes(ip: IpAddress): Uint8Array {
  const out = new Uint8Array(ip.words.length * 4);
  ip.words.forEach((w, i) => {
    out[4 * i] = w >>> 24;
    out[4 * i + 1] = (w >>> 16) & 255;
    out[4 * i + 2] = (w >>> 8) & 255;
    out[4 * i + 3] = w & 255;
  });
  return out;
}
