/**
 * Route tables. An Adj-RIB-In per session holds what one peer sent and policy accepted (keyed by
 * prefix and ADD-PATH path id); the speaker's Loc-RIB keeps every session's candidates per prefix
 * and the best of them, and turns changes into prefix deltas for the control plane.
 */
import { type Prefix, type Route, compareRoutes, routeKey, sameRoute } from './route.js';

/** What changed for the control plane: best routes (new or different) and prefixes no peer has anymore. */
export interface RouteDelta {
  announce: Route[];
  withdraw: Prefix[];
}

export type RouteFamily = Route['family'];

export class AdjRibIn {
  readonly #routes = new Map<string, Route>();

  get size(): number {
    return this.#routes.size;
  }

  /** Stores a route; returns the one it replaces. */
  announce(route: Route): Route | undefined {
    const key = routeKey(route.prefix, route.pathId);
    const previous = this.#routes.get(key);
    this.#routes.set(key, route);
    return previous;
  }

  withdraw(prefix: Prefix, pathId: number): Route | undefined {
    const key = routeKey(prefix, pathId);
    const previous = this.#routes.get(key);
    if (previous) this.#routes.delete(key);
    return previous;
  }

  has(prefix: Prefix, pathId: number): boolean {
    return this.#routes.has(routeKey(prefix, pathId));
  }

  /** Marks every route stale (RFC 4724 §4.2) and returns the marked copies. */
  markStale(): Route[] {
    const out: Route[] = [];
    for (const [key, route] of this.#routes) {
      const stale = { ...route, stale: true };
      this.#routes.set(key, stale);
      out.push(stale);
    }
    return out;
  }

  staleCount(family?: RouteFamily): number {
    let n = 0;
    for (const route of this.#routes.values()) if (route.stale && (!family || route.family === family)) n++;
    return n;
  }

  /** Removes the routes still stale (of one family, or all) and returns them. */
  sweepStale(family?: RouteFamily): Route[] {
    const out: Route[] = [];
    for (const [key, route] of this.#routes) {
      if (route.stale && (!family || route.family === family)) {
        this.#routes.delete(key);
        out.push(route);
      }
    }
    return out;
  }

  clear(): Route[] {
    const out = [...this.#routes.values()];
    this.#routes.clear();
    return out;
  }

  routes(): IterableIterator<Route> {
    return this.#routes.values();
  }
}

export class LocRib {
  /** prefix -> candidate routes from every session (usually one or two: an array beats a Map here). */
  readonly #candidates = new Map<Prefix, Route[]>();
  readonly #best = new Map<Prefix, Route>();

  get size(): number {
    return this.#best.size;
  }

  best(): Route[] {
    return [...this.#best.values()];
  }

  bestFor(prefix: Prefix): Route | undefined {
    return this.#best.get(prefix);
  }

  /** Applies one batch of session changes and returns the delta of best routes. */
  apply(announced: readonly Route[], removed: readonly Route[]): RouteDelta {
    const touched = new Set<Prefix>();
    for (const route of removed) {
      const candidates = this.#candidates.get(route.prefix);
      if (!candidates) continue;
      const i = candidates.findIndex((c) => c.peer === route.peer && c.pathId === route.pathId);
      if (i >= 0) candidates.splice(i, 1);
      if (candidates.length === 0) this.#candidates.delete(route.prefix);
      touched.add(route.prefix);
    }
    for (const route of announced) {
      const candidates = this.#candidates.get(route.prefix);
      if (!candidates) this.#candidates.set(route.prefix, [route]);
      else {
        const i = candidates.findIndex((c) => c.peer === route.peer && c.pathId === route.pathId);
        if (i >= 0) candidates[i] = route;
        else candidates.push(route);
      }
      touched.add(route.prefix);
    }
    const delta: RouteDelta = { announce: [], withdraw: [] };
    for (const prefix of touched) {
      const candidates = this.#candidates.get(prefix);
      const previous = this.#best.get(prefix);
      if (!candidates) {
        if (previous) {
          this.#best.delete(prefix);
          delta.withdraw.push(prefix);
        }
        continue;
      }
      let best = candidates[0]!;
      for (let i = 1; i < candidates.length; i++)
        if (compareRoutes(candidates[i]!, best) < 0) best = candidates[i]!;
      this.#best.set(prefix, best);
      if (!previous || !sameRoute(previous, best)) delta.announce.push(best);
    }
    return delta;
  }
}
