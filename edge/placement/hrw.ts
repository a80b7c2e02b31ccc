/**
 * Rendezvous (highest random weight) hashing, Thaler & Ravishankar 1998: every peer scores every
 * key and the highest score owns it. When a peer leaves, only its own keys move (each to its
 * second-best peer); when one joins, it takes about 1/n of the keys from the others, and nothing
 * else moves. Weighted peers use the logarithmic method (Schindelhauer & Schomaker 2005, also
 * "weighted rendezvous hashing", Resch 2015): score = weight / −ln(u) with u uniform in (0, 1),
 * which gives each peer a share proportional to its weight and keeps the minimal-movement property.
 */
import { fmix32, murmur3 } from '../policy/hash.js';

export interface Peer {
  /** Stable id of the peer (its name, not its address, so that a re-IP keeps its keys). */
  id: string;
  /** Relative capacity; 1 when absent. Must be finite and > 0. */
  weight?: number;
}

/** Two fixed seeds give each string 64 hash bits, of which 52 make the uniform draw. */
const SEED_A = 0x2c1b3c6d;
const SEED_B = 0x297a2d39;
const TWO_POW_20 = 2 ** 20;
/** 52 bits: (x + 0.5) / 2^52 is exact in a double for every x < 2^52, so u never rounds to 0 or 1. */
const TWO_POW_52 = 2 ** 52;

/**
 * The uniform draw u ∈ (0, 1) of a (key, peer) pair. The key's and the peer's hashes are computed
 * separately and combined through the avalanche mix, so the key is hashed once per ranking.
 */
function draw(keyA: number, keyB: number, peerA: number, peerB: number): number {
  const hi = fmix32(keyA ^ peerA);
  const lo = fmix32((keyB ^ peerB) + Math.imul(hi, 0x9e3779b1));
  return (hi * TWO_POW_20 + (lo >>> 12) + 0.5) / TWO_POW_52;
}

function weightOf(peer: Peer): number {
  const weight = peer.weight ?? 1;
  if (!(weight > 0) || !Number.isFinite(weight)) {
    throw new RangeError(`peer ${peer.id}: weight must be finite and > 0, got ${weight}`);
  }
  return weight;
}

/** Every peer's score for a key, best first; ties (practically never) broken by id. */
function scored(key: string, peers: readonly Peer[]): { id: string; score: number }[] {
  const keyA = murmur3(key, SEED_A);
  const keyB = murmur3(key, SEED_B);
  return peers
    .map((peer) => {
      const u = draw(keyA, keyB, murmur3(peer.id, SEED_A), murmur3(peer.id, SEED_B));
      return { id: peer.id, score: weightOf(peer) / -Math.log(u) };
    })
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Peer ids in the order a key should be tried: its owner first, then the fallbacks (the next owner
 * if the first is down). `limit` cuts the list. Throws RangeError for a bad weight.
 */
export function hrwRank(key: string, peers: readonly Peer[], limit = peers.length): string[] {
  return scored(key, peers)
    .slice(0, Math.max(0, limit))
    .map((p) => p.id);
}

/** The peer that owns a key, or undefined when there are no peers. */
export function hrwOwner(key: string, peers: readonly Peer[]): string | undefined {
  if (peers.length === 0) return undefined;
  const keyA = murmur3(key, SEED_A);
  const keyB = murmur3(key, SEED_B);
  let best: string | undefined;
  let bestScore = -Infinity;
  for (const peer of peers) {
    const u = draw(keyA, keyB, murmur3(peer.id, SEED_A), murmur3(peer.id, SEED_B));
    const score = weightOf(peer) / -Math.log(u);
    if (score > bestScore || (score === bestScore && best !== undefined && peer.id < best)) {
      best = peer.id;
      bestScore = score;
    }
  }
  return best;
}
