/**
 * The edge registry: who is registered, their health, load, drain state and cache summary, and
 * their routes in the shared route table. Deterministic state transitions with the clock passed in
 * (no I/O, no timers, no randomness: the caller supplies `nowMs` and new epochs). Outcomes are
 * tagged unions the HTTP shell maps to answers.
 */
import { parseIp, parsePrefix, type IpPrefix } from '../../common/ip.js';
import type { EdgeHealth, HeartbeatRequest, RegisterRequest } from '../../common/steeringProtocol.js';
import { RouteTable, type FamilyCounts, type RouteAttributes } from './routeTable.js';

export interface RegistryPolicy {
  heartbeatIntervalMs: number;
  /** Heartbeat intervals without one after which an edge leaves rotation. */
  missedHeartbeats: number;
  /** Silence after which an edge is forgotten with its routes, in ms. */
  forgetAfterMs: number;
  maxEdges: number;
  maxPrefixesPerEdge: number;
}

/**
 * - `pending`: registered, no heartbeat yet (its routes and health are not known yet);
 * - `active`: in rotation;
 * - `draining`: keeps its sessions, gets no new clients;
 * - `down`: the edge reports itself unhealthy;
 * - `stale`: heartbeats missed for `missedHeartbeats` intervals; out of rotation, routes ignored.
 */
export type EdgeState = 'pending' | 'active' | 'draining' | 'down' | 'stale';
export const EDGE_STATES: readonly EdgeState[] = ['pending', 'active', 'draining', 'down', 'stale'];

export interface EdgeRecord {
  readonly id: string;
  cluster: string;
  publicUrl: string;
  capacityGbps: number;
  epoch: string;
  registeredAtMs: number;
  lastHeartbeatMs: number | undefined;
  /** Highest heartbeat seq applied (0 before the first). */
  lastSeq: number;
  health: EdgeHealth;
  loadGbps: number;
  draining: boolean;
  cachedTitles: ReadonlySet<string>;
  /** Routes of this edge in the table, per family. */
  prefixes: FamilyCounts;
}

export type RegisterOutcome =
  { kind: 'registered'; edge: EdgeRecord; replaced: boolean } | { kind: 'too_many_edges'; max: number };

export type HeartbeatOutcome =
  | { kind: 'applied'; edge: EdgeRecord; announced: number; withdrawn: number }
  /** seq not above the last applied: nothing changed (a delayed duplicate or a resend). */
  | { kind: 'duplicate'; edge: EdgeRecord }
  | { kind: 'unknown' }
  | { kind: 'epoch_mismatch'; current: string }
  | { kind: 'bad_route'; route: string; reason: string }
  | { kind: 'prefix_limit'; prefixes: number; max: number };

interface ParsedDelta {
  withdraw: IpPrefix[];
  announce: { prefix: IpPrefix; attrs: RouteAttributes }[];
}

type ParseResult = { ok: true; delta: ParsedDelta } | { ok: false; reason: HeartbeatOutcome };

/** A cheap exact key of a prefix (not for display). */
function prefixKey(prefix: IpPrefix): string {
  return `${prefix.words.join('.')}/${prefix.length}`;
}

export class EdgeRegistry {
  readonly routes = new RouteTable();
  private readonly records = new Map<string, EdgeRecord>();

  constructor(readonly policy: RegistryPolicy) {}

  /** Silence after which an edge leaves rotation, in ms. */
  get expireAfterMs(): number {
    return this.policy.heartbeatIntervalMs * this.policy.missedHeartbeats;
  }

  get size(): number {
    return this.records.size;
  }

  get(id: string): EdgeRecord | undefined {
    return this.records.get(id);
  }

  edges(): IterableIterator<EdgeRecord> {
    return this.records.values();
  }

  stateOf(edge: EdgeRecord, nowMs: number): EdgeState {
    const seenMs = edge.lastHeartbeatMs ?? edge.registeredAtMs;
    if (nowMs - seenMs > this.expireAfterMs) return 'stale';
    if (edge.lastHeartbeatMs === undefined) return 'pending';
    if (edge.health === 'down') return 'down';
    if (edge.draining) return 'draining';
    return 'active';
  }

  /**
   * Registers an edge, or re-registers it (a restart): a new epoch, its routes dropped, out of
   * rotation until its first heartbeat.
   */
  register(request: RegisterRequest, context: { epoch: string; nowMs: number }): RegisterOutcome {
    const prior = this.records.get(request.id);
    if (!prior && this.records.size >= this.policy.maxEdges)
      return { kind: 'too_many_edges', max: this.policy.maxEdges };
    if (prior) this.routes.removeEdge(prior.id);
    const edge: EdgeRecord = {
      id: request.id,
      cluster: request.cluster,
      publicUrl: request.publicUrl.replace(/\/+$/, ''),
      capacityGbps: request.capacityGbps,
      epoch: context.epoch,
      registeredAtMs: context.nowMs,
      lastHeartbeatMs: undefined,
      lastSeq: 0,
      health: 'ok',
      loadGbps: 0,
      draining: false,
      cachedTitles: new Set(),
      prefixes: { ipv4: 0, ipv6: 0 },
    };
    this.records.set(edge.id, edge);
    return { kind: 'registered', edge, replaced: prior !== undefined };
  }

  /** Applies a heartbeat whole (status and routes), or nothing when any part of it is refused. */
  heartbeat(id: string, request: HeartbeatRequest, nowMs: number): HeartbeatOutcome {
    const edge = this.records.get(id);
    if (!edge) return { kind: 'unknown' };
    if (request.epoch !== edge.epoch) return { kind: 'epoch_mismatch', current: edge.epoch };
    if (request.seq <= edge.lastSeq) return { kind: 'duplicate', edge };
    const parsed = this.parseDelta(edge, request);
    if (!parsed.ok) return parsed.reason;

    let announced = 0;
    let withdrawn = 0;
    const count = (family: 4 | 6, delta: number): void => {
      if (family === 4) edge.prefixes.ipv4 += delta;
      else edge.prefixes.ipv6 += delta;
    };
    if (request.routes?.full === true) {
      const removed = this.routes.removeEdge(id);
      withdrawn += removed.ipv4 + removed.ipv6;
      edge.prefixes = { ipv4: 0, ipv6: 0 };
    }
    for (const prefix of parsed.delta.withdraw) {
      if (this.routes.withdraw(prefix, id)) {
        withdrawn++;
        count(prefix.family, -1);
      }
    }
    for (const { prefix, attrs } of parsed.delta.announce) {
      announced++;
      if (this.routes.announce(prefix, id, attrs)) count(prefix.family, 1);
    }
    edge.lastSeq = request.seq;
    edge.lastHeartbeatMs = nowMs;
    edge.health = request.health;
    edge.loadGbps = request.loadGbps;
    edge.draining = request.draining;
    if (request.capacityGbps !== undefined) edge.capacityGbps = request.capacityGbps;
    if (request.cache !== undefined) edge.cachedTitles = new Set(request.cache.titles);
    return { kind: 'applied', edge, announced, withdrawn };
  }

  /** Parses and checks every route of the heartbeat before anything is applied. */
  private parseDelta(edge: EdgeRecord, request: HeartbeatRequest): ParseResult {
    const routes = request.routes;
    const withdraw: IpPrefix[] = [];
    const announce: ParsedDelta['announce'] = [];
    // Net effect per canonical prefix, to check the prefix limit exactly.
    const net = new Map<string, { prefix: IpPrefix; present: boolean }>();
    const bad = (route: string, reason: string): ParseResult => ({
      ok: false,
      reason: { kind: 'bad_route', route, reason },
    });
    for (const text of routes?.withdraw ?? []) {
      const p = parsePrefix(text);
      if (!p.ok) return bad(text, p.reason);
      withdraw.push(p.prefix);
      net.set(prefixKey(p.prefix), { prefix: p.prefix, present: false });
    }
    for (const group of routes?.announce ?? []) {
      if (!parseIp(group.nextHop)) return bad(group.nextHop, 'the next hop is not an IP address');
      const attrs: RouteAttributes = Object.freeze({
        nextHop: group.nextHop,
        asPath: Object.freeze([...group.asPath]),
        ...(group.localPref !== undefined ? { localPref: group.localPref } : {}),
        ...(group.med !== undefined ? { med: group.med } : {}),
        ...(group.communities !== undefined ? { communities: Object.freeze([...group.communities]) } : {}),
      });
      for (const text of group.prefixes) {
        const p = parsePrefix(text);
        if (!p.ok) return bad(text, p.reason);
        announce.push({ prefix: p.prefix, attrs });
        net.set(prefixKey(p.prefix), { prefix: p.prefix, present: true });
      }
    }
    const full = routes?.full === true;
    let resulting = full ? 0 : edge.prefixes.ipv4 + edge.prefixes.ipv6;
    for (const { prefix, present } of net.values()) {
      const had = !full && this.routes.has(prefix, edge.id);
      if (present && !had) resulting++;
      else if (!present && had) resulting--;
    }
    if (resulting > this.policy.maxPrefixesPerEdge) {
      return {
        ok: false,
        reason: { kind: 'prefix_limit', prefixes: resulting, max: this.policy.maxPrefixesPerEdge },
      };
    }
    return { ok: true, delta: { withdraw, announce } };
  }

  /** Forgets edges silent for `forgetAfterMs` (their routes go too); returns their ids. */
  sweep(nowMs: number): string[] {
    const forgotten: string[] = [];
    for (const edge of this.records.values()) {
      if (nowMs - (edge.lastHeartbeatMs ?? edge.registeredAtMs) > this.policy.forgetAfterMs) {
        this.routes.removeEdge(edge.id);
        this.records.delete(edge.id);
        forgotten.push(edge.id);
      }
    }
    return forgotten;
  }
}
