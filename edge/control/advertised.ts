/**
 * The routes this edge reports to the control plane and what the origin has not acknowledged yet
 * (pure: no I/O, no clock). The edge keeps its whole table, so it can resend any change or resync
 * the whole table without asking its route source again. Changes are tracked per prefix (the
 * latest state wins), so an announce followed by a withdraw before the next heartbeat sends only
 * the withdraw. A heartbeat takes a batch (moved to "in flight"); an acknowledgement drops it, a
 * failure puts it back.
 */
import { formatPrefix, parseIp, parsePrefix } from '../../common/ip.js';
import type { AnnounceGroup, RouteDeltaMessage } from '../../common/steeringProtocol.js';
import type { Route, RouteDelta } from './types.js';

/** AS numbers and attribute values are unsigned 32-bit (RFC 6793, RFC 4271 §4.3). */
const UINT32_MAX = 4294967295;
/** AS_PATH hops accepted (a path longer than this is a routing loop or an attack). */
const MAX_AS_PATH = 255;
const COMMUNITY = /^[0-9]{1,10}:[0-9]{1,10}(:[0-9]{1,10})?$/;

const isUint32 = (n: unknown): n is number =>
  Number.isInteger(n) && (n as number) >= 0 && (n as number) <= UINT32_MAX;

export type RouteCheck = { ok: true; route: Route } | { ok: false; reason: string };

/** Validates a route and returns it with its prefix in canonical form. */
export function checkRoute(route: Route): RouteCheck {
  const p = parsePrefix(route.prefix);
  if (!p.ok) return { ok: false, reason: `prefix ${JSON.stringify(route.prefix)}: ${p.reason}` };
  if (typeof route.nextHop !== 'string' || !parseIp(route.nextHop))
    return { ok: false, reason: `next hop ${JSON.stringify(route.nextHop)} is not an IP address` };
  if (!Array.isArray(route.asPath) || route.asPath.length > MAX_AS_PATH || !route.asPath.every(isUint32))
    return { ok: false, reason: 'AS_PATH must be up to 255 AS numbers' };
  if (route.localPref !== undefined && !isUint32(route.localPref))
    return { ok: false, reason: 'bad LOCAL_PREF' };
  if (route.med !== undefined && !isUint32(route.med)) return { ok: false, reason: 'bad MED' };
  if (
    route.communities !== undefined &&
    !(Array.isArray(route.communities) && route.communities.every((c) => COMMUNITY.test(c)))
  )
    return { ok: false, reason: 'communities must be asn:value or a:b:c' };
  return { ok: true, route: { ...route, prefix: formatPrefix(p.prefix) } };
}

export interface Batch {
  message: RouteDeltaMessage;
  /** Routes and withdrawals in the message. */
  size: number;
}

function attrKey(r: Route): string {
  return JSON.stringify([r.nextHop, r.asPath, r.localPref ?? null, r.med ?? null, r.communities ?? null]);
}

/** Announcements grouped by identical path attributes (how BGP UPDATEs carry them, RFC 4271 §4.3). */
export function groupRoutes(routes: Iterable<Route>): AnnounceGroup[] {
  const groups = new Map<string, AnnounceGroup>();
  for (const r of routes) {
    const key = attrKey(r);
    let g = groups.get(key);
    if (!g) {
      g = { prefixes: [], nextHop: r.nextHop, asPath: [...r.asPath] };
      if (r.localPref !== undefined) g.localPref = r.localPref;
      if (r.med !== undefined) g.med = r.med;
      if (r.communities !== undefined) g.communities = [...r.communities];
      groups.set(key, g);
    }
    g.prefixes.push(r.prefix);
  }
  return [...groups.values()];
}

export class AdvertisedRoutes {
  private readonly table = new Map<string, Route>();
  private dirty = new Set<string>();
  private inflight: { full: boolean; prefixes: string[] } | undefined;
  private needFull = true;

  /** Routes in the table. */
  get size(): number {
    return this.table.size;
  }

  /** Changes not yet acknowledged (the whole table while a resync is due). */
  get pending(): number {
    return (this.needFull ? this.table.size : this.dirty.size) + (this.inflight?.prefixes.length ?? 0);
  }

  /** Whether the next batch is a full resync. */
  get resyncDue(): boolean {
    return this.needFull;
  }

  routes(): IterableIterator<Route> {
    return this.table.values();
  }

  /**
   * Applies a delta from the route source (withdrawals first); returns the malformed entries, which
   * are dropped.
   */
  apply(delta: RouteDelta): string[] {
    const rejected: string[] = [];
    for (const text of delta.withdraw) {
      const p = parsePrefix(text);
      if (!p.ok) {
        rejected.push(`withdraw ${JSON.stringify(text)}: ${p.reason}`);
        continue;
      }
      const key = formatPrefix(p.prefix);
      if (this.table.delete(key)) this.dirty.add(key);
    }
    for (const route of delta.announce) {
      const checked = checkRoute(route);
      if (!checked.ok) {
        rejected.push(checked.reason);
        continue;
      }
      this.table.set(checked.route.prefix, checked.route);
      this.dirty.add(checked.route.prefix);
    }
    return rejected;
  }

  /** The next batch of at most `max` routes and withdrawals, now in flight; undefined when nothing is pending. */
  take(max: number): Batch | undefined {
    if (this.inflight) throw new Error('a batch is already in flight');
    if (this.needFull) {
      const all = [...this.table.keys()];
      const first = all.slice(0, max);
      // The rest follows as ordinary changes right after.
      this.dirty = new Set(all.slice(max));
      this.needFull = false;
      this.inflight = { full: true, prefixes: first };
      return {
        message: { full: true, announce: groupRoutes(first.map((k) => this.table.get(k)!)), withdraw: [] },
        size: first.length,
      };
    }
    if (this.dirty.size === 0) return undefined;
    const prefixes: string[] = [];
    for (const key of this.dirty) {
      if (prefixes.length >= max) break;
      prefixes.push(key);
    }
    for (const key of prefixes) this.dirty.delete(key);
    this.inflight = { full: false, prefixes };
    const announce: Route[] = [];
    const withdraw: string[] = [];
    for (const key of prefixes) {
      const route = this.table.get(key);
      if (route) announce.push(route);
      else withdraw.push(key);
    }
    return { message: { announce: groupRoutes(announce), withdraw }, size: prefixes.length };
  }

  /** The origin applied the batch in flight. */
  ack(): void {
    this.inflight = undefined;
  }

  /** The batch in flight may not have been applied: send it again (a lost full batch means a new resync). */
  nack(): void {
    const batch = this.inflight;
    this.inflight = undefined;
    if (!batch) return;
    if (batch.full) this.resync();
    else for (const key of batch.prefixes) this.dirty.add(key);
  }

  /** The origin forgot this edge's routes: the next batch carries the whole table. */
  resync(): void {
    this.inflight = undefined;
    this.dirty.clear();
    this.needFull = true;
  }
}
