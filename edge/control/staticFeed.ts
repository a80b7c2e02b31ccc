/**
 * A route source from configuration or a JSON file, for nodes without a BGP session (the demo when
 * BIRD is absent, labs): the same deltas a BGP speaker emits, so everything after it is the same.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { formatPrefix, parsePrefix } from '../../common/ip.js';
import { checkRoute } from './advertised.js';
import { EdgeControlErrorCode, edgeControlError } from './errors.js';
import type { Route, RouteDelta, RouteSource } from './types.js';

/** One static route: a prefix alone, or a prefix with the attributes a BGP peer would have sent. */
export const staticRouteSchema = z.union([
  z.string(),
  z
    .object({
      /** The client prefix, host bits zero: `198.51.100.0/24`, `2001:db8::/32`. */
      prefix: z.string(),
      /** Next hop; this node (the unspecified address) when absent. */
      nextHop: z.string().optional(),
      /** AS path, nearest AS first; steering prefers shorter paths. */
      asPath: z.array(z.number().int().min(0).max(4294967295)).max(255).default([]),
      /** LOCAL_PREF; steering prefers higher values. */
      localPref: z.number().int().min(0).max(4294967295).optional(),
      /** MULTI_EXIT_DISC; steering prefers lower values. */
      med: z.number().int().min(0).max(4294967295).optional(),
      /** Communities as `asn:value` or `global:local1:local2`. */
      communities: z.array(z.string()).optional(),
    })
    .strict(),
]);

export type StaticRouteInput = z.input<typeof staticRouteSchema>;

/** A file holds an array of routes, or `{ "routes": [...] }`. */
const fileSchema = z.union([
  z.array(staticRouteSchema),
  z.object({ routes: z.array(staticRouteSchema) }).strict(),
]);

/** Next hop of a static route without one: the unspecified address, meaning this node. */
function selfNextHop(prefix: string): string {
  return prefix.includes(':') ? '::' : '0.0.0.0';
}

/** Validated routes from static inputs; EDGE_ERR_ROUTE_FEED_INVALID naming the first bad one. */
export function staticRoutes(inputs: readonly StaticRouteInput[], sourceName = 'static routes'): Route[] {
  const parsed = z.array(staticRouteSchema).safeParse(inputs);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw edgeControlError(
      EdgeControlErrorCode.RouteFeedInvalid,
      `${sourceName}[${issue.path.join('.')}]: ${issue.message}`,
    );
  }
  return parsed.data.map((input, i) => {
    const raw = typeof input === 'string' ? { prefix: input, asPath: [] } : input;
    const route: Route = {
      prefix: raw.prefix,
      nextHop: raw.nextHop ?? selfNextHop(raw.prefix),
      asPath: raw.asPath,
      ...(raw.localPref !== undefined ? { localPref: raw.localPref } : {}),
      ...(raw.med !== undefined ? { med: raw.med } : {}),
      ...(raw.communities !== undefined ? { communities: raw.communities } : {}),
    };
    const checked = checkRoute(route);
    if (!checked.ok)
      throw edgeControlError(EdgeControlErrorCode.RouteFeedInvalid, `${sourceName}[${i}]: ${checked.reason}`);
    return checked.route;
  });
}

export class StaticRouteFeed implements RouteSource {
  private table = new Map<string, Route>();
  private readonly listeners = new Set<(delta: RouteDelta) => void>();

  constructor(routes: readonly StaticRouteInput[] = [], sourceName?: string) {
    for (const r of staticRoutes(routes, sourceName)) this.table.set(r.prefix, r);
  }

  /** Reads a JSON file of routes (an array, or `{routes: [...]}`). */
  static async fromFile(path: string): Promise<StaticRouteFeed> {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      throw edgeControlError(
        EdgeControlErrorCode.RouteFeedInvalid,
        `cannot read routes from ${path}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success)
      throw edgeControlError(
        EdgeControlErrorCode.RouteFeedInvalid,
        `${path}: expected an array of routes or {"routes": [...]}`,
      );
    return new StaticRouteFeed(Array.isArray(parsed.data) ? parsed.data : parsed.data.routes, path);
  }

  get routes(): Route[] {
    return [...this.table.values()];
  }

  subscribe(listener: (delta: RouteDelta) => void): () => void {
    this.listeners.add(listener);
    // The current table first, on the next tick so that the subscriber has finished subscribing.
    queueMicrotask(() => {
      if (this.listeners.has(listener) && this.table.size > 0)
        listener({ announce: this.routes, withdraw: [] });
    });
    return () => this.listeners.delete(listener);
  }

  /** Replaces the table; subscribers get the difference (new or changed routes, removed prefixes). */
  set(inputs: readonly StaticRouteInput[]): RouteDelta {
    const next = new Map(staticRoutes(inputs).map((r) => [r.prefix, r]));
    const delta: RouteDelta = { announce: [], withdraw: [] };
    for (const [prefix, route] of next) {
      const prior = this.table.get(prefix);
      if (!prior || JSON.stringify(prior) !== JSON.stringify(route)) delta.announce.push(route);
    }
    for (const prefix of this.table.keys()) if (!next.has(prefix)) delta.withdraw.push(prefix);
    this.table = next;
    if (delta.announce.length > 0 || delta.withdraw.length > 0) for (const l of this.listeners) l(delta);
    return delta;
  }

  /** Adds or replaces routes. */
  announce(inputs: readonly StaticRouteInput[]): void {
    const routes = staticRoutes(inputs);
    for (const r of routes) this.table.set(r.prefix, r);
    for (const l of this.listeners) l({ announce: routes, withdraw: [] });
  }

  /** Removes prefixes. */
  withdraw(prefixes: readonly string[]): void {
    const removed: string[] = [];
    for (const text of prefixes) {
      const p = parsePrefix(text);
      if (!p.ok)
        throw edgeControlError(
          EdgeControlErrorCode.RouteFeedInvalid,
          `withdraw ${JSON.stringify(text)}: ${p.reason}`,
        );
      const key = formatPrefix(p.prefix);
      if (this.table.delete(key)) removed.push(key);
    }
    if (removed.length > 0) for (const l of this.listeners) l({ announce: [], withdraw: removed });
  }
}
