/**
 * Cache admission (pure, in-memory state only): whether a new object is worth the objects it would
 * evict. A CDN edge sees a long tail of one-hit wonders (a scan of old episodes, a crawler, a single
 * viewer seeking): admitting each of them flushes the popular titles out of an LRU.
 */
import { fmix32, murmur3 } from '../policy/hash.js';

export interface AdmissionPolicy {
  readonly name: string;
  /** Records one request for a key (hit or miss); called on every request the cache sees. */
  recordAccess(key: string): void;
  /**
   * Whether `candidate` may enter, given the keys that would be evicted to make room, least
   * recently used first. With no victims (free space) every policy admits.
   */
  admit(candidate: string, victims: readonly string[]): boolean;
}

/** The baseline: everything enters (plain LRU). */
export class AdmitAll implements AdmissionPolicy {
  readonly name = 'admit-all';
  recordAccess(_key: string): void {}
  admit(_candidate: string, _victims: readonly string[]): boolean {
    return true;
  }
}

export interface TinyLfuOptions {
  /**
   * About how many objects the cache holds (its byte size over a typical object size). Sizes the
   * sketch: width = next power of two ≥ this, so at 1 byte per counter and depth 4 the sketch costs
   * 4 bytes per cached object.
   */
  expectedItems: number;
  /**
   * Accesses between agings, as a multiple of expectedItems. TinyLFU (Einziger, Friedman & Manes,
   * ACM ToS 2017, §3.3) halves every counter after W = 10 × cache-size samples: frequencies then
   * reflect recent popularity, and a title that was hot last week fades.
   */
  sampleFactor?: number;
}

/** Rows of the count-min sketch: 4 gives a low overestimate probability at this width (TinyLFU §3.2). */
const SKETCH_DEPTH = 4;
/** Counters saturate at 15: 4-bit counters as in TinyLFU §3.4.1 (frequencies above ~15 all rank alike). */
const COUNTER_MAX = 15;
/** Smallest sketch width, in counters: below it a handful of keys already collide in every row. */
const MIN_WIDTH = 64;
const SEEDS = [0x3c6ef372, 0x1f83d9ab] as const;

function nextPowerOfTwo(n: number): number {
  let p = MIN_WIDTH;
  while (p < n && p < 2 ** 26) p *= 2;
  return p;
}

/**
 * A bloom filter of keys seen once since the last aging (the TinyLFU "doorkeeper", §3.4.2): the
 * first access of a key only sets its bits here, so the sketch counts only keys seen twice and the
 * flood of one-hit wonders does not fill its counters.
 */
class Doorkeeper {
  private readonly bits: Uint32Array;
  private readonly mask: number;

  constructor(sizeBits: number) {
    this.bits = new Uint32Array(sizeBits / 32);
    this.mask = sizeBits - 1;
  }

  /** Sets the key's bits; returns whether they were all set already. */
  put(h1: number, h2: number): boolean {
    let present = true;
    for (let i = 0; i < 3; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      const word = bit >>> 5;
      const flag = 1 << (bit & 31);
      if ((this.bits[word]! & flag) === 0) {
        present = false;
        this.bits[word]! |= flag;
      }
    }
    return present;
  }

  has(h1: number, h2: number): boolean {
    for (let i = 0; i < 3; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  clear(): void {
    this.bits.fill(0);
  }
}

/**
 * TinyLFU admission: a count-min sketch of recent access frequencies (4-bit saturating counters,
 * halved every W accesses) behind a doorkeeper bloom filter. A candidate enters only when its
 * estimated frequency is higher than that of every victim it would displace — one-hit wonders
 * (estimate ≤ 1) never push out an object requested twice.
 */
export class TinyLfuAdmission implements AdmissionPolicy {
  readonly name = 'tinylfu';
  private readonly counters: Uint8Array;
  private readonly width: number;
  private readonly doorkeeper: Doorkeeper;
  private readonly sampleSize: number;
  private additions = 0;
  /** Agings so far (for tests and metrics). */
  resets = 0;

  constructor(options: TinyLfuOptions) {
    if (!(options.expectedItems >= 1)) throw new RangeError('expectedItems must be ≥ 1');
    this.width = nextPowerOfTwo(options.expectedItems);
    this.counters = new Uint8Array(this.width * SKETCH_DEPTH);
    // 8 doorkeeper bits per counter column: ~2% false positives at W/10 distinct keys with 3 probes.
    this.doorkeeper = new Doorkeeper(this.width * 8);
    this.sampleSize = Math.max(1, Math.round((options.sampleFactor ?? 10) * options.expectedItems));
  }

  private hashes(key: string): [number, number] {
    const h1 = murmur3(key, SEEDS[0]);
    // An odd second hash makes the double-hashing probes (h1 + i·h2) distinct (Kirsch & Mitzenmacher 2006).
    return [h1, fmix32(murmur3(key, SEEDS[1])) | 1];
  }

  private index(row: number, h1: number, h2: number): number {
    return row * this.width + ((h1 + Math.imul(row + 1, h2)) & (this.width - 1));
  }

  recordAccess(key: string): void {
    const [h1, h2] = this.hashes(key);
    if (this.doorkeeper.put(h1, h2)) {
      // Conservative update: raise only the counters at the current minimum (Estan & Varghese 2002).
      const min = this.sketchEstimate(h1, h2);
      if (min < COUNTER_MAX) {
        for (let row = 0; row < SKETCH_DEPTH; row++) {
          const i = this.index(row, h1, h2);
          if (this.counters[i] === min) this.counters[i] = min + 1;
        }
      }
    }
    if (++this.additions >= this.sampleSize) this.age();
  }

  private sketchEstimate(h1: number, h2: number): number {
    let min = COUNTER_MAX;
    for (let row = 0; row < SKETCH_DEPTH; row++) min = Math.min(min, this.counters[this.index(row, h1, h2)]!);
    return min;
  }

  /** Estimated recent accesses of a key: sketch count plus one when the doorkeeper saw it. */
  frequency(key: string): number {
    const [h1, h2] = this.hashes(key);
    return this.sketchEstimate(h1, h2) + (this.doorkeeper.has(h1, h2) ? 1 : 0);
  }

  /** Halves every counter and clears the doorkeeper (TinyLFU §3.3 reset). */
  private age(): void {
    for (let i = 0; i < this.counters.length; i++) this.counters[i]! >>= 1;
    this.doorkeeper.clear();
    this.additions = 0;
    this.resets++;
  }

  admit(candidate: string, victims: readonly string[]): boolean {
    if (victims.length === 0) return true;
    const candidateFrequency = this.frequency(candidate);
    return victims.every((victim) => candidateFrequency > this.frequency(victim));
  }
}

export interface SecondHitOptions {
  /** How many recently seen keys to remember per generation (memory: two generations of keys). */
  rememberKeys: number;
}

/**
 * Second-hit admission ("cache on second hit", as in Akamai and Varnish setups): an object enters a
 * full cache only when it was requested at least twice within recent history (two generations of
 * at most `rememberKeys` keys each). Simpler than TinyLFU and writes nothing for one-hit wonders,
 * which spares a disk tier's write endurance, but it cannot tell a warm object from a hot one.
 */
export class SecondHitAdmission implements AdmissionPolicy {
  readonly name = 'second-hit';
  private current = new Map<string, number>();
  private previous = new Map<string, number>();
  private readonly rememberKeys: number;

  constructor(options: SecondHitOptions) {
    if (!(options.rememberKeys >= 1)) throw new RangeError('rememberKeys must be ≥ 1');
    this.rememberKeys = options.rememberKeys;
  }

  private count(key: string): number {
    return (this.current.get(key) ?? 0) + (this.previous.get(key) ?? 0);
  }

  recordAccess(key: string): void {
    this.current.set(key, Math.min(2, (this.current.get(key) ?? 0) + 1));
    if (this.current.size >= this.rememberKeys) {
      this.previous = this.current;
      this.current = new Map();
    }
  }

  admit(candidate: string, victims: readonly string[]): boolean {
    return victims.length === 0 || this.count(candidate) >= 2;
  }
}
