/**
 * The edges of one session (pure): the ranked list steering gave, which one is in use, which have
 * failed, and where a title object is on each. Failover moves to the next edge that has not failed;
 * content steering reorders the list; a new steering answer replaces it (failures forgotten).
 *
 * Objects are addressed relative to the title version's directory (`SteeredEdge.baseUrl`, which
 * carries the URL token), so that the segment a session needs next is found on any edge.
 */
import type { SteeredEdge } from '../../common/steeringProtocol.js';

export class EdgeRoster {
  private edges: SteeredEdge[];
  private failed = new Set<string>();
  private currentIndex = 0;

  /** `version`: the title version the session plays (edges from a later answer are pinned to it). */
  constructor(
    edges: readonly SteeredEdge[],
    private readonly version: string,
  ) {
    if (edges.length === 0) throw new RangeError('EdgeRoster needs at least one edge');
    this.edges = [...edges];
  }

  get current(): SteeredEdge {
    return this.edges[this.currentIndex]!;
  }

  /** Edge ids, in the order they are tried. */
  get ids(): string[] {
    return this.edges.map((e) => e.id);
  }

  /** The session version's directory on `edge` (ends in `/`). */
  baseOf(edge: SteeredEdge = this.current): string {
    return edge.baseUrl.replace(/\/v\/[^/]+\/$/, `/v/${this.version}/`);
  }

  /** Marks the current edge failed; the next one to try, or undefined when every edge has failed. */
  fail(): SteeredEdge | undefined {
    this.failed.add(this.current.id);
    const next = this.edges.findIndex((e) => !this.failed.has(e.id));
    if (next < 0) return undefined;
    this.currentIndex = next;
    return this.current;
  }

  /** A new steering answer: its order, no failures remembered, its first edge in use. */
  replace(edges: readonly SteeredEdge[]): void {
    if (edges.length === 0) return;
    this.edges = [...edges];
    this.failed = new Set();
    this.currentIndex = 0;
  }

  /**
   * Follows a content steering priority (edge ids, best first): listed edges first in that order,
   * the others after them as last resorts. Returns the edge now in use when it changed.
   */
  prefer(priority: readonly string[]): SteeredEdge | undefined {
    const before = this.current.id;
    const rank = (e: SteeredEdge) => {
      const i = priority.indexOf(e.id);
      return i < 0 ? priority.length : i;
    };
    this.edges = this.edges
      .map((e, order) => ({ e, order }))
      .sort((a, b) => rank(a.e) - rank(b.e) || a.order - b.order)
      .map((x) => x.e);
    const usable = this.edges.findIndex((e) => !this.failed.has(e.id));
    this.currentIndex = usable < 0 ? 0 : usable;
    return this.current.id === before ? undefined : this.current;
  }
}

/**
 * Maps URLs of the ladder (made from the manifests of one edge) to any edge: a URL under the
 * ladder's base becomes the same path under the other edge's base; other URLs stay as they are.
 */
export function relocate(url: string, ladderBase: string, edgeBase: string): string {
  return url.startsWith(ladderBase) ? `${edgeBase}${url.slice(ladderBase.length)}` : url;
}
