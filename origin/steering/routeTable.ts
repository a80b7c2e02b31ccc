/**
 * All edges' announced client prefixes, one longest-prefix-match trie per address family (pure).
 * A prefix holds one route per edge that announced it; updates are per (prefix, edge).
 */
import { formatPrefix, maskWords, type IpAddress, type IpFamily, type IpPrefix } from '../../common/ip.js';
import { PrefixTrie } from './trie.js';

/** BGP path attributes of a route, as the edge learned it (RFC 4271 §5.1). */
export interface RouteAttributes {
  /** NEXT_HOP (or the MP_REACH next hop), as text. */
  nextHop: string;
  /** AS_PATH flattened to its AS numbers (an AS_SET counts as one hop, RFC 4271 §9.1.2.2 a). */
  asPath: readonly number[];
  /** LOCAL_PREF; absent means the default of 100 (the usual router default). */
  localPref?: number;
  /** MULTI_EXIT_DISC; absent means 0, the lowest (RFC 4271 §9.1.2.2 c). */
  med?: number;
  /** Communities as `asn:value` (RFC 1997) or `a:b:c` (large, RFC 8092). */
  communities?: readonly string[];
}

export interface EdgeRoute {
  edgeId: string;
  attrs: RouteAttributes;
}

export interface PrefixMatch {
  /** Canonical text, e.g. `10.1.0.0/16`. */
  prefix: string;
  family: IpFamily;
  length: number;
  routes: readonly EdgeRoute[];
}

/** Prefixes stored per family. */
export interface FamilyCounts {
  ipv4: number;
  ipv6: number;
}

/**
 * What a prefix holds: its one route (most prefixes are announced by one edge, and an object
 * without an array around it saves about 60 bytes per prefix) or the routes of several edges.
 */
type Slot = EdgeRoute | EdgeRoute[];

function asList(slot: Slot): readonly EdgeRoute[] {
  return Array.isArray(slot) ? slot : [slot];
}

/** The slot without the edge's route (`next` undefined when nothing is left). */
function without(slot: Slot, edgeId: string): { removed: boolean; next: Slot | undefined } {
  if (!Array.isArray(slot))
    return slot.edgeId === edgeId ? { removed: true, next: undefined } : { removed: false, next: slot };
  const at = slot.findIndex((r) => r.edgeId === edgeId);
  if (at < 0) return { removed: false, next: slot };
  if (slot.length === 2) return { removed: true, next: slot[1 - at]! };
  slot.splice(at, 1);
  return { removed: true, next: slot };
}

export class RouteTable {
  private readonly v4 = new PrefixTrie<Slot>(32);
  private readonly v6 = new PrefixTrie<Slot>(128);

  private trie(family: IpFamily): PrefixTrie<Slot> {
    return family === 4 ? this.v4 : this.v6;
  }

  get size(): FamilyCounts {
    return { ipv4: this.v4.size, ipv6: this.v6.size };
  }

  /** Trie nodes in use and bytes of their arrays (for the benchmark and metrics). */
  get footprint(): { nodes: number; arrayBytes: number } {
    return {
      nodes: this.v4.nodeCount + this.v6.nodeCount,
      arrayBytes: this.v4.arrayBytes + this.v6.arrayBytes,
    };
  }

  /** Sets the edge's route for the prefix; true when the edge had none for it before. */
  announce(prefix: IpPrefix, edgeId: string, attrs: RouteAttributes): boolean {
    const trie = this.trie(prefix.family);
    const slot = trie.get(prefix.words, prefix.length);
    const route: EdgeRoute = { edgeId, attrs };
    if (slot === undefined) {
      trie.set(prefix.words, prefix.length, route);
      return true;
    }
    if (!Array.isArray(slot)) {
      trie.set(prefix.words, prefix.length, slot.edgeId === edgeId ? route : [slot, route]);
      return slot.edgeId !== edgeId;
    }
    const at = slot.findIndex((r) => r.edgeId === edgeId);
    if (at >= 0) {
      slot[at] = route;
      return false;
    }
    slot.push(route);
    return true;
  }

  /** Removes the edge's route for the prefix; false when it had none. */
  withdraw(prefix: IpPrefix, edgeId: string): boolean {
    const trie = this.trie(prefix.family);
    const slot = trie.get(prefix.words, prefix.length);
    if (slot === undefined) return false;
    const { removed, next } = without(slot, edgeId);
    if (!removed) return false;
    if (next === undefined) trie.delete(prefix.words, prefix.length);
    else if (next !== slot) trie.set(prefix.words, prefix.length, next);
    return true;
  }

  /** Whether the edge has a route for exactly this prefix. */
  has(prefix: IpPrefix, edgeId: string): boolean {
    const slot = this.trie(prefix.family).get(prefix.words, prefix.length);
    return slot !== undefined && asList(slot).some((r) => r.edgeId === edgeId);
  }

  /** Removes every route of one edge (a walk over the table: for resyncs and forgotten edges). */
  removeEdge(edgeId: string): FamilyCounts {
    const removed = { ipv4: 0, ipv6: 0 };
    for (const [family, trie] of [
      ['ipv4', this.v4],
      ['ipv6', this.v6],
    ] as const) {
      trie.updateAll((slot) => {
        const out = without(slot, edgeId);
        if (out.removed) removed[family]++;
        return out.next;
      });
    }
    return removed;
  }

  /** The route(s) of the longest prefix covering the address, as stored (no allocation: the hot path). */
  longestRoutes(ip: IpAddress): EdgeRoute | readonly EdgeRoute[] | undefined {
    return this.trie(ip.family).longest(ip.words);
  }

  /** The longest prefix covering the address, with every edge's route for it. */
  lookup(ip: IpAddress): PrefixMatch | undefined {
    const trie = this.trie(ip.family);
    const n = trie.longestNode(ip.words);
    if (n < 0) return undefined;
    return this.match(ip, trie.lengthOf(n), asList(trie.valueOf(n)!));
  }

  /** Every prefix covering the address, longest first, each with every edge's route for it. */
  matches(ip: IpAddress): PrefixMatch[] {
    return this.trie(ip.family)
      .matches(ip.words)
      .map((m) => this.match(ip, m.length, asList(m.value)));
  }

  private match(ip: IpAddress, length: number, routes: readonly EdgeRoute[]): PrefixMatch {
    const words = maskWords(ip.words, length);
    return { prefix: formatPrefix({ family: ip.family, words, length }), family: ip.family, length, routes };
  }

  /** Visits every (prefix, route) pair. */
  forEach(visit: (prefix: IpPrefix, route: EdgeRoute) => void): void {
    for (const [family, trie] of [
      [4, this.v4],
      [6, this.v6],
    ] as const) {
      trie.forEach((words, length, slot) => {
        for (const r of asList(slot)) visit({ family, words, length }, r);
      });
    }
  }
}
