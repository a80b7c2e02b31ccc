/**
 * The steering control plane's shell: the edge registry and route table, per-edge authentication,
 * selection with metrics, URL tokens, session memory for the content steering server, and the
 * sweeper that forgets silent edges. The HTTP routes (plugin.ts) call into it.
 */
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Registry } from 'prom-client';
import { signToken, titleKeyPrefix } from '../../edge/index.js';
import { bearerChecker, type AuthDecision } from '../http/auth.js';
import type { SteeringConfig } from './config.js';
import { parsePrefix, type IpAddress, type IpPrefix } from '../../common/ip.js';
import { createSteeringMetrics, type SteeringMetrics } from './metrics.js';
import type { SessionMemory } from './pathways.js';
import type { HeartbeatRequest, RegisterRequest } from '../../common/steeringProtocol.js';
import {
  EdgeRegistry,
  type EdgeRecord,
  type EdgeState,
  type HeartbeatOutcome,
  type RegisterOutcome,
} from './registry.js';
import { selectEdges, type CandidateEdge, type Selection } from './select.js';

export interface SteeringServiceOptions {
  config: SteeringConfig;
  /** The origin runs without authentication: any edge id may register without a token. */
  authDisabled: boolean;
  /** Where the steering series are registered. */
  registry: Registry;
  /** Clock, in ms since the epoch. */
  nowMs?: () => number;
  /** New registration epochs (default: random UUIDs). */
  newEpoch?: () => string;
}

export interface EdgeStatus {
  id: string;
  cluster: string;
  publicUrl: string;
  state: EdgeState;
  health: EdgeRecord['health'];
  draining: boolean;
  capacityGbps: number;
  loadGbps: number;
  utilisation: number;
  registeredAt: string;
  lastHeartbeatAt?: string;
  heartbeatAgeS: number;
  prefixes: { ipv4: number; ipv6: number };
  cachedTitles: number;
}

export interface SignedToken {
  token: string;
  expiresAtS: number;
}

export class SteeringService {
  readonly config: SteeringConfig;
  readonly edges: EdgeRegistry;
  readonly metrics: SteeringMetrics;
  readonly trustedProxies: readonly IpPrefix[];
  readonly nowMs: () => number;
  private readonly newEpoch: () => string;
  private readonly authDisabled: boolean;
  private readonly edgeChecks: ReadonlyMap<string, (header: string | undefined) => AuthDecision>;
  private readonly sessions: LRUCache<string, SessionMemory>;
  private readonly tokenKey: Buffer | undefined;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(options: SteeringServiceOptions) {
    const { config } = options;
    this.config = config;
    this.nowMs = options.nowMs ?? Date.now;
    this.newEpoch = options.newEpoch ?? randomUUID;
    this.authDisabled = options.authDisabled;
    this.edges = new EdgeRegistry({
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      missedHeartbeats: config.missedHeartbeats,
      forgetAfterMs: config.forgetAfterMs,
      maxEdges: config.maxEdges,
      maxPrefixesPerEdge: config.maxPrefixesPerEdge,
    });
    this.metrics = createSteeringMetrics(options.registry);
    this.metrics.bind(this.edges, this.nowMs);
    this.edgeChecks = new Map(
      Object.entries(config.edgeTokens).map(([id, token]) => [id, bearerChecker([token])]),
    );
    this.sessions = new LRUCache({ max: config.maxSessions });
    this.tokenKey = config.tokens === undefined ? undefined : Buffer.from(config.tokens.key, 'base64');
    this.trustedProxies = config.trustedProxies.map((text) => {
      const parsed = parsePrefix(text);
      if (!parsed.ok) throw new RangeError(`trustedProxies: ${text}: ${parsed.reason}`);
      return parsed.prefix;
    });
  }

  /** Forgets silent edges every heartbeat interval (the timer does not keep the process alive). */
  start(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), this.config.heartbeatIntervalMs);
    this.sweeper.unref();
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  sweep(): string[] {
    return this.edges.sweep(this.nowMs());
  }

  /**
   * Checks an edge's bearer token (constant time, see bearerChecker). An id without a configured
   * token is refused (`wrong`) unless the origin runs without authentication.
   */
  authorizeEdge(id: string, authorization: string | undefined): AuthDecision {
    const check = this.edgeChecks.get(id);
    if (check) return check(authorization);
    if (this.authDisabled) return { kind: 'ok' };
    return authorization === undefined ? { kind: 'missing' } : { kind: 'wrong' };
  }

  register(request: RegisterRequest): RegisterOutcome {
    const outcome = this.edges.register(request, { epoch: this.newEpoch(), nowMs: this.nowMs() });
    this.metrics.heartbeats.inc({ result: outcome.kind === 'registered' ? 'applied' : 'rejected' });
    return outcome;
  }

  heartbeat(id: string, request: HeartbeatRequest): HeartbeatOutcome {
    const outcome = this.edges.heartbeat(id, request, this.nowMs());
    switch (outcome.kind) {
      case 'applied':
        this.metrics.heartbeats.inc({ result: 'applied' });
        this.metrics.routeUpdates.inc({ kind: 'announce' }, outcome.announced);
        this.metrics.routeUpdates.inc({ kind: 'withdraw' }, outcome.withdrawn);
        break;
      case 'duplicate':
      case 'unknown':
        this.metrics.heartbeats.inc({ result: outcome.kind });
        break;
      case 'epoch_mismatch':
        this.metrics.heartbeats.inc({ result: 'epoch' });
        break;
      case 'bad_route':
      case 'prefix_limit':
        this.metrics.heartbeats.inc({ result: 'rejected' });
        break;
    }
    return outcome;
  }

  /** Edges in rotation, as selection sees them for a title. */
  eligible(titleId: string | undefined): Map<string, CandidateEdge> {
    const now = this.nowMs();
    const out = new Map<string, CandidateEdge>();
    for (const edge of this.edges.edges()) {
      if (this.edges.stateOf(edge, now) !== 'active' || edge.health === 'down') continue;
      out.set(edge.id, {
        id: edge.id,
        cluster: edge.cluster,
        health: edge.health,
        utilisation: edge.loadGbps / edge.capacityGbps,
        capacityGbps: edge.capacityGbps,
        hasTitle: titleId !== undefined && edge.cachedTitles.has(titleId),
      });
    }
    return out;
  }

  /**
   * Ranks edges for a client. `count` defaults to `rankedEdges`; `all` ranks every edge in rotation
   * (the steering server orders all of a session's pathways). Counted in the decision metrics.
   */
  rank(
    ip: IpAddress,
    hrwKey: string,
    titleId: string,
    count: number | 'all' = this.config.rankedEdges,
  ): Selection {
    const started = performance.now();
    const eligible = this.eligible(titleId);
    const selection = selectEdges({
      matches: this.edges.routes.matches(ip),
      eligible,
      defaultCluster: this.config.defaultCluster,
      hrwKey,
      count: count === 'all' ? Math.max(eligible.size, 1) : count,
    });
    this.metrics.selectionDuration.observe((performance.now() - started) / 1000);
    this.metrics.decisions.inc({ outcome: selection.outcome });
    return selection;
  }

  /** A URL token for every path of the title, or undefined without a signing key. */
  token(titleId: string): SignedToken | undefined {
    const tokens = this.config.tokens;
    if (tokens === undefined || this.tokenKey === undefined) return undefined;
    const expiresAtS = Math.floor(this.nowMs() / 1000) + tokens.ttlS;
    return {
      token: signToken({
        keyId: tokens.keyId,
        key: this.tokenKey,
        pathPrefix: titleKeyPrefix(titleId),
        expiresAtS,
      }),
      expiresAtS,
    };
  }

  session(id: string): SessionMemory | undefined {
    return this.sessions.get(id);
  }

  remember(id: string, memory: SessionMemory): void {
    this.sessions.set(id, memory);
  }

  status(): EdgeStatus[] {
    const now = this.nowMs();
    return [...this.edges.edges()]
      .map((e): EdgeStatus => ({
        id: e.id,
        cluster: e.cluster,
        publicUrl: e.publicUrl,
        state: this.edges.stateOf(e, now),
        health: e.health,
        draining: e.draining,
        capacityGbps: e.capacityGbps,
        loadGbps: e.loadGbps,
        utilisation: e.loadGbps / e.capacityGbps,
        registeredAt: new Date(e.registeredAtMs).toISOString(),
        ...(e.lastHeartbeatMs !== undefined
          ? { lastHeartbeatAt: new Date(e.lastHeartbeatMs).toISOString() }
          : {}),
        heartbeatAgeS: (now - (e.lastHeartbeatMs ?? e.registeredAtMs)) / 1000,
        prefixes: { ...e.prefixes },
        cachedTitles: e.cachedTitles.size,
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
