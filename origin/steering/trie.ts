/**
 * A path-compressed binary trie (PATRICIA, Morrison 1968; the BSD routing table's radix tree,
 * Sklower 1991) for longest-prefix match over 32-bit (IPv4) or 128-bit (IPv6) keys. Pure, no I/O.
 *
 * Every node holds a prefix (key bits and length), up to two children and maybe a value. Nodes
 * without a value always have two children ("glue" where two prefixes diverge), so the trie has at
 * most 2n − 1 nodes for n prefixes and a lookup visits at most one node per distinct prefix length
 * on the path. Inserting or removing one prefix touches O(key bits) nodes: updates are incremental,
 * never a rebuild.
 *
 * Nodes live in one Int32Array, each node's fields side by side (key words, length with a has-value
 * flag, left, right: 16 bytes per IPv4 node, 32 per IPv6 node), so a lookup touches one cache line
 * per node and reads the value array only for the answer. Values sit in one plain array indexed by
 * node number; freed node numbers are reused. No object per node.
 *
 * IPv4 lookups start from a direct-indexed first stage (level compression, Nilsson & Karlsson
 * 1999; the first level of DIR-24-8, Gupta et al. 1998): for every /STAGE_BITS block, the node a
 * lookup in that block continues from and the longest value-holding prefix of at most STAGE_BITS
 * bits covering the block. That skips the first levels of the trie, the dependent memory loads
 * that dominate lookup time. The stage is kept up to date per update: a prefix of STAGE_BITS bits
 * or more touches one block, a shorter one 2^(STAGE_BITS − length) blocks (rare in routing tables).
 */

const NONE = -1;
/** Nodes allocated up front; the array doubles when full. */
const INITIAL_NODES = 1024;
/** The has-value flag in a node's length field (lengths are at most 128, bits 0–7). */
const HAS_VALUE = 0x100;
const LENGTH_MASK = 0xff;
/**
 * Address bits the IPv4 first stage indexes: 2^18 blocks, 2 MiB of start and best pointers. A
 * million prefixes leave about 4 per block, so a lookup visits a few nodes after the stage. Measured
 * (test/bench/steering.bench.ts): 16 bits gave 2.0x the lookups of per-length hash maps, 18 bits
 * 2.3x, 20 bits 2.9x but half the build rate (prefixes shorter than the stage touch many blocks).
 */
const STAGE_BITS = 18;
const STAGE_SHIFT = 32 - STAGE_BITS;

/** Bit `i` (0 = most significant bit of word 0) of a word array. */
function bitOf(words: ArrayLike<number>, i: number): number {
  return (words[i >>> 5]! >>> (31 - (i & 31))) & 1;
}

export class PrefixTrie<V> {
  /** Key width in bits (32 or 128). */
  readonly bits: number;
  /** Key words per node. */
  private readonly width: number;
  /** Int32 slots per node: key words, length|flag, left, right (IPv6 padded to 8). */
  private readonly stride: number;
  private readonly meta: number;
  private readonly leftAt: number;
  private readonly rightAt: number;
  private nodes: Int32Array;
  private capacity = INITIAL_NODES;
  private readonly values: (V | undefined)[] = [];
  private readonly freeNodes: number[] = [];
  private highWater = 0;
  private root = NONE;
  private prefixes = 0;
  /**
   * IPv4 only: per block, side by side (one cache line), the node to continue from and the best
   * match of at most STAGE_BITS bits.
   */
  private readonly stage: Int32Array | undefined;

  constructor(bits: 32 | 128) {
    this.bits = bits;
    this.width = bits / 32;
    this.stride = bits === 32 ? 4 : 8;
    this.meta = this.width;
    this.leftAt = this.width + 1;
    this.rightAt = this.width + 2;
    this.nodes = new Int32Array(INITIAL_NODES * this.stride);
    if (bits === 32) this.stage = new Int32Array(2 << STAGE_BITS).fill(NONE);
  }

  /** Prefixes stored (nodes holding a value). */
  get size(): number {
    return this.prefixes;
  }

  /** Nodes in use, glue included. */
  get nodeCount(): number {
    return this.highWater - this.freeNodes.length;
  }

  /** Bytes held by the node array and the first stage (values not included). */
  get arrayBytes(): number {
    return this.nodes.byteLength + (this.stage?.byteLength ?? 0);
  }

  /** Recomputes the first-stage entries of every block a prefix of `length` bits at `key` covers. */
  private refreshStage(key: ArrayLike<number>, length: number): void {
    if (!this.stage) return;
    const word = length === 0 ? 0 : (key[0]! & (-1 << (32 - Math.min(length, 32)))) >>> 0;
    const first = word >>> STAGE_SHIFT;
    const count = length >= STAGE_BITS ? 1 : 1 << (STAGE_BITS - length);
    for (let b = first; b < first + count; b++) this.refreshBlock(b);
  }

  /**
   * Walks from the root towards block b: value-holding prefixes of ≤ STAGE_BITS bits on the way
   * give the block's best; the walk stops at the first node of STAGE_BITS bits or more inside the
   * block (where lookups continue) or where the path leaves the block (nothing longer to find).
   */
  private refreshBlock(b: number): void {
    const nodes = this.nodes;
    const addr = (b << STAGE_SHIFT) >>> 0;
    let n = this.root;
    let best = NONE;
    let start = NONE;
    while (n !== NONE) {
      const base = n << 2;
      const meta = nodes[base + 1]!;
      const nl = meta & LENGTH_MASK;
      if (nl > STAGE_BITS) {
        if (nodes[base]! >>> STAGE_SHIFT === b) start = n;
        break;
      }
      if (nl !== 0 && (addr ^ nodes[base]!) >>> (32 - nl) !== 0) break;
      if ((meta & HAS_VALUE) !== 0) best = n;
      if (nl === STAGE_BITS) {
        start = n;
        break;
      }
      n = nodes[base + 2 + ((addr >>> (31 - nl)) & 1)]!;
    }
    this.stage![b << 1] = start;
    this.stage![(b << 1) + 1] = best;
  }

  private lenOf(n: number): number {
    return this.nodes[n * this.stride + this.meta]! & LENGTH_MASK;
  }

  private hasValue(n: number): boolean {
    return (this.nodes[n * this.stride + this.meta]! & HAS_VALUE) !== 0;
  }

  private setValue(n: number, value: V | undefined): void {
    const at = n * this.stride + this.meta;
    this.values[n] = value;
    this.nodes[at] = value === undefined ? this.nodes[at]! & LENGTH_MASK : this.nodes[at]! | HAS_VALUE;
  }

  private leftOf(n: number): number {
    return this.nodes[n * this.stride + this.leftAt]!;
  }

  private rightOf(n: number): number {
    return this.nodes[n * this.stride + this.rightAt]!;
  }

  private childOf(n: number, dir: number): number {
    return this.nodes[n * this.stride + (dir === 0 ? this.leftAt : this.rightAt)]!;
  }

  private setChild(parent: number, dir: number, child: number): void {
    this.nodes[parent * this.stride + (dir === 0 ? this.leftAt : this.rightAt)] = child;
  }

  private link(parent: number, dir: number, child: number): void {
    if (parent === NONE) this.root = child;
    else this.setChild(parent, dir, child);
  }

  private alloc(key: ArrayLike<number>, length: number): number {
    let n = this.freeNodes.pop();
    if (n === undefined) {
      if (this.highWater === this.capacity) this.grow();
      n = this.highWater++;
    }
    const base = n * this.stride;
    for (let w = 0; w < this.width; w++) {
      const keep = length - w * 32;
      const mask = keep <= 0 ? 0 : keep >= 32 ? -1 : -1 << (32 - keep);
      this.nodes[base + w] = key[w]! & mask;
    }
    this.nodes[base + this.meta] = length;
    this.nodes[base + this.leftAt] = NONE;
    this.nodes[base + this.rightAt] = NONE;
    this.values[n] = undefined;
    return n;
  }

  private release(n: number): void {
    this.values[n] = undefined;
    this.nodes[n * this.stride + this.meta] = 0;
    this.freeNodes.push(n);
  }

  private grow(): void {
    this.capacity *= 2;
    const nodes = new Int32Array(this.capacity * this.stride);
    nodes.set(this.nodes);
    this.nodes = nodes;
  }

  /** Length of the common prefix of `key/length` and node n's prefix, at most the shorter length. */
  private commonLength(key: ArrayLike<number>, length: number, n: number): number {
    const limit = Math.min(length, this.lenOf(n));
    const base = n * this.stride;
    for (let w = 0; w * 32 < limit; w++) {
      const diff = key[w]! ^ this.nodes[base + w]!;
      if (diff !== 0) return Math.min(limit, w * 32 + Math.clz32(diff));
    }
    return limit;
  }

  private nodeBit(n: number, i: number): number {
    return (this.nodes[n * this.stride + (i >>> 5)]! >>> (31 - (i & 31))) & 1;
  }

  /** Node number of an exact prefix holding a value, or NONE. */
  private find(key: ArrayLike<number>, length: number): number {
    let n = this.root;
    while (n !== NONE) {
      const nl = this.lenOf(n);
      if (nl > length || this.commonLength(key, length, n) < nl) return NONE;
      if (nl === length) return this.hasValue(n) ? n : NONE;
      n = this.childOf(n, bitOf(key, nl));
    }
    return NONE;
  }

  /** The value stored for exactly `key/length` (host bits of key must be zero). */
  get(key: ArrayLike<number>, length: number): V | undefined {
    const n = this.find(key, length);
    return n === NONE ? undefined : this.values[n];
  }

  /**
   * Stores a value for `key/length` (bits after `length` are ignored), replacing any value there.
   * Returns true when the prefix was not stored before.
   */
  set(key: ArrayLike<number>, length: number, value: V): boolean {
    if (!(length >= 0 && length <= this.bits)) throw new RangeError(`prefix length ${length} out of range`);
    const fresh = this.insert(key, length, value);
    if (fresh) this.refreshStage(key, length);
    return fresh;
  }

  private insert(key: ArrayLike<number>, length: number, value: V): boolean {
    let parent = NONE;
    let dir = 0;
    let n = this.root;
    while (n !== NONE) {
      const nl = this.lenOf(n);
      const common = this.commonLength(key, length, n);
      if (common < nl) {
        if (common === length) {
          // The new prefix is an ancestor of n.
          const m = this.alloc(key, length);
          this.setValue(m, value);
          this.setChild(m, this.nodeBit(n, length), n);
          this.link(parent, dir, m);
        } else {
          // They diverge at bit `common`: a glue node there, with both below it.
          const glue = this.alloc(key, common);
          const m = this.alloc(key, length);
          this.setValue(m, value);
          const side = bitOf(key, common);
          this.setChild(glue, side, m);
          this.setChild(glue, 1 - side, n);
          this.link(parent, dir, glue);
        }
        this.prefixes++;
        return true;
      }
      if (nl === length) {
        const fresh = !this.hasValue(n);
        this.setValue(n, value);
        if (fresh) this.prefixes++;
        return fresh;
      }
      parent = n;
      dir = bitOf(key, nl);
      n = this.childOf(n, dir);
    }
    const m = this.alloc(key, length);
    this.setValue(m, value);
    this.link(parent, dir, m);
    this.prefixes++;
    return true;
  }

  /** Removes `key/length`; false when it was not stored. Glue left with one child is spliced out. */
  delete(key: ArrayLike<number>, length: number): boolean {
    const removed = this.remove(key, length);
    if (removed) this.refreshStage(key, length);
    return removed;
  }

  private remove(key: ArrayLike<number>, length: number): boolean {
    let grand = NONE;
    let grandDir = 0;
    let parent = NONE;
    let parentDir = 0;
    let n = this.root;
    while (n !== NONE) {
      const nl = this.lenOf(n);
      if (nl > length || this.commonLength(key, length, n) < nl) return false;
      if (nl === length) break;
      grand = parent;
      grandDir = parentDir;
      parent = n;
      parentDir = bitOf(key, nl);
      n = this.childOf(n, parentDir);
    }
    if (n === NONE || !this.hasValue(n)) return false;
    this.setValue(n, undefined);
    this.prefixes--;
    const l = this.leftOf(n);
    const r = this.rightOf(n);
    if (l !== NONE && r !== NONE) return true; // stays as glue
    if (l !== NONE || r !== NONE) {
      this.link(parent, parentDir, l !== NONE ? l : r);
      this.release(n);
      return true;
    }
    this.link(parent, parentDir, NONE);
    this.release(n);
    // A glue parent now has one child: splice it out.
    if (parent !== NONE && !this.hasValue(parent)) {
      const only = this.leftOf(parent) !== NONE ? this.leftOf(parent) : this.rightOf(parent);
      this.link(grand, grandDir, only);
      this.release(parent);
    }
    return true;
  }

  /** Whether node n's prefix (of length nl) covers the address. */
  private covers(addr: ArrayLike<number>, n: number, nl: number): boolean {
    const base = n * this.stride;
    let w = 0;
    for (; (w + 1) * 32 <= nl; w++) if ((addr[w]! ^ this.nodes[base + w]!) !== 0) return false;
    const rest = nl - w * 32;
    return rest === 0 || (addr[w]! ^ this.nodes[base + w]!) >>> (32 - rest) === 0;
  }

  /** Node number of the longest prefix covering the address, or -1. */
  longestNode(addr: ArrayLike<number>): number {
    if (this.stride === 4) return this.longestNode32(addr[0]!);
    const nodes = this.nodes;
    let n = this.root;
    let best = NONE;
    while (n !== NONE) {
      const base = n * 8;
      const meta = nodes[base + 4]!;
      const nl = meta & LENGTH_MASK;
      if (!this.covers(addr, n, nl)) break;
      if ((meta & HAS_VALUE) !== 0) best = n;
      if (nl === 128) break;
      n = nodes[base + 5 + bitOf(addr, nl)]!;
    }
    return best;
  }

  /** longestNode for 32-bit keys from the first stage, on the word directly: one cache line per node. */
  private longestNode32(addr: number): number {
    const nodes = this.nodes;
    const at = (addr >>> STAGE_SHIFT) << 1;
    const stage = this.stage!;
    let n = stage[at]!;
    let best = stage[at + 1]!;
    while (n !== NONE) {
      const base = n << 2;
      const meta = nodes[base + 1]!;
      const nl = meta & LENGTH_MASK;
      if (nl !== 0 && (addr ^ nodes[base]!) >>> (32 - nl) !== 0) break;
      if ((meta & HAS_VALUE) !== 0) best = n;
      if (nl === 32) break;
      n = nodes[base + 2 + ((addr >>> (31 - nl)) & 1)]!;
    }
    return best;
  }

  /** The value of the longest prefix covering the address. */
  longest(addr: ArrayLike<number>): V | undefined {
    const n = this.longestNode(addr);
    return n === NONE ? undefined : this.values[n];
  }

  /** Every stored prefix covering the address, longest first. */
  matches(addr: ArrayLike<number>): { length: number; value: V }[] {
    const out: { length: number; value: V }[] = [];
    let n = this.root;
    while (n !== NONE) {
      const nl = this.lenOf(n);
      if (!this.covers(addr, n, nl)) break;
      if (this.hasValue(n)) out.push({ length: nl, value: this.values[n]! });
      if (nl === this.bits) break;
      n = this.childOf(n, bitOf(addr, nl));
    }
    return out.reverse();
  }

  /** Length of a node's prefix (a node number from longestNode). */
  lengthOf(n: number): number {
    return this.lenOf(n);
  }

  /** Value of a node (a node number from longestNode). */
  valueOf(n: number): V | undefined {
    return this.values[n];
  }

  private keyWords(n: number): number[] {
    const words: number[] = [];
    for (let w = 0; w < this.width; w++) words.push(this.nodes[n * this.stride + w]! >>> 0);
    return words;
  }

  /** Visits every stored prefix (key words as unsigned integers), in no particular order. */
  forEach(visit: (words: number[], length: number, value: V) => void): void {
    const stack: number[] = this.root === NONE ? [] : [this.root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (this.hasValue(n)) visit(this.keyWords(n), this.lenOf(n), this.values[n]!);
      if (this.leftOf(n) !== NONE) stack.push(this.leftOf(n));
      if (this.rightOf(n) !== NONE) stack.push(this.rightOf(n));
    }
  }

  /**
   * Replaces or removes values in place: `update` returns the new value, or undefined to remove the
   * prefix. Visits every stored prefix once; removals are applied after the walk.
   */
  updateAll(update: (value: V) => V | undefined): number {
    const removals: { words: number[]; length: number }[] = [];
    const stack: number[] = this.root === NONE ? [] : [this.root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (this.hasValue(n)) {
        const value = this.values[n]!;
        const next = update(value);
        if (next === undefined) removals.push({ words: this.keyWords(n), length: this.lenOf(n) });
        else if (next !== value) this.values[n] = next;
      }
      if (this.leftOf(n) !== NONE) stack.push(this.leftOf(n));
      if (this.rightOf(n) !== NONE) stack.push(this.rightOf(n));
    }
    for (const r of removals) this.delete(r.words, r.length);
    return removals.length;
  }
}
