/**
 * Non-cryptographic string hashing shared by placement (HRW) and admission (count-min sketch).
 * MurmurHash3 x86_32 (Austin Appleby, public domain) over the string's UTF-16 code units, two per
 * 32-bit block: no allocation per call, and the same value on every node of the product (HRW needs
 * every edge to agree). Not for anything an attacker must not steer (tokens use HMAC).
 */

/** MurmurHash3's finaliser: a bijective avalanche mix of 32 bits. */
export function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixBlock(block: number): number {
  let k = Math.imul(block, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

/** MurmurHash3 x86_32 of a string's UTF-16 code units with a seed; an unsigned 32-bit integer. */
export function murmur3(text: string, seed: number): number {
  let h = seed | 0;
  const n = text.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    h ^= mixBlock(text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) h ^= mixBlock(text.charCodeAt(i));
  return fmix32(h ^ (n * 2));
}
