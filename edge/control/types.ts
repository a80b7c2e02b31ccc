import type { EdgeHealth } from '../../common/steeringProtocol.js';

/** A client prefix the edge serves, with the BGP path attributes it was learned with. */
export interface Route {
  /** `address/length`, host bits zero. */
  prefix: string;
  /** NEXT_HOP as text (`0.0.0.0` / `::` for a static route: this node itself). */
  nextHop: string;
  /** AS numbers of AS_PATH, nearest first. */
  asPath: number[];
  localPref?: number;
  med?: number;
  /** `asn:value` (RFC 1997) or `a:b:c` (RFC 8092). */
  communities?: string[];
}

export type Prefix = string;

/** Route changes, as a BGP speaker or a static feed reports them. */
export interface RouteDelta {
  announce: Route[];
  withdraw: Prefix[];
}

/**
 * Where learned routes come from: the BGP speaker (edge/bgp) or a static feed. A new subscriber
 * first receives the source's current routes, then every change; the returned function unsubscribes.
 */
export interface RouteSource {
  subscribe(listener: (delta: RouteDelta) => void): () => void;
}

/** What every heartbeat reports besides routes (read from the edge when the heartbeat is built). */
export interface EdgeStatusReport {
  health: EdgeHealth;
  /** Current egress, in Gbit/s. */
  loadGbps: number;
  draining: boolean;
  /** Titles with content in the cache; omitted: the origin keeps the last summary. */
  cachedTitles?: string[];
  /** A changed capacity, in Gbit/s. */
  capacityGbps?: number;
}
