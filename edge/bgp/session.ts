/**
 * One neighbor's session: the I/O shell around the pure FSM. It owns the TCP socket, the timers,
 * the message framer and the neighbor's Adj-RIB-In, applies import policy, keeps routes stale
 * through a peer's graceful restart (RFC 4724 §4.2) and reports route changes in batches (one per
 * TCP read) to the speaker.
 */
import { type Socket, connect } from 'node:net';
import type { Logger } from '../../common/logging.js';
import { Afi, CeaseSubcode, ErrorCode, MessageType, Safi } from './codec/constants.js';
import type { Frame } from './codec/header.js';
import { MessageFramer } from './codec/header.js';
import type { LocalSettings, Negotiated } from './codec/negotiate.js';
import { localOpen } from './codec/negotiate.js';
import { decodeNotification, encodeNotification } from './codec/notification.js';
import { decodeOpen, encodeOpen } from './codec/open.js';
import { decodeRouteRefresh, encodeKeepalive } from './codec/routeRefresh.js';
import type { ProtocolError } from './codec/result.js';
import { type UpdateMessage, allPrefixes, decodeUpdate, encodeEndOfRib, endOfRib } from './codec/update.js';
import type { BgpConfig, NeighborConfig } from './config.js';
import { BgpErrorCode } from './errors.js';
import {
  type DownReason,
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  type SessionState,
  type TimerName,
  fsmStep,
  initialFsmState,
} from './fsm.js';
import type { BgpMetrics } from './metrics.js';
import { type ImportPolicy, evaluateImport } from './policy.js';
import { AdjRibIn, type RouteFamily } from './rib.js';
import { type Route, routeKey, routesOfUpdate } from './route.js';

/** How long a closing socket may take to flush a NOTIFICATION before it is destroyed, in ms. */
const CLOSE_FLUSH_MS = 1000;

export interface SessionStateEvent {
  peer: string;
  from: SessionState;
  to: SessionState;
  /** Why the session went down, when it did. */
  reason?: DownReason;
}

export interface SessionHooks {
  /** A batch of route changes from this session: routes added or replaced, and routes removed. */
  routes(announced: Route[], removed: Route[]): void;
  state(event: SessionStateEvent): void;
}

export interface SessionInfo {
  peer: string;
  address: string;
  peerAs: number;
  passive: boolean;
  state: SessionState;
  /** When the session last reached Established (ms since the epoch). */
  establishedAtMs?: number;
  /** Routes held after policy, stale ones included. */
  routes: number;
  staleRoutes: number;
  negotiated?: Negotiated;
  lastError?: { code: string; message: string; atMs: number };
}

export interface SessionOptions {
  neighbor: NeighborConfig;
  config: BgpConfig;
  policy: ImportPolicy;
  metrics: BgpMetrics;
  logger: Logger;
  hooks: SessionHooks;
}

const FAMILY_OF_AFI: Readonly<Record<number, RouteFamily>> = { [Afi.Ipv4]: 'ipv4', [Afi.Ipv6]: 'ipv6' };

export class BgpSession {
  readonly peer: string;
  readonly #neighbor: NeighborConfig;
  readonly #config: BgpConfig;
  readonly #fsmConfig: FsmConfig;
  readonly #policy: ImportPolicy;
  readonly #metrics: BgpMetrics;
  readonly #log: Logger;
  readonly #hooks: SessionHooks;
  readonly #rib = new AdjRibIn();
  readonly #timers = new Map<TimerName, NodeJS.Timeout>();
  #fsm: FsmState = initialFsmState();
  #socket: Socket | undefined;
  #connecting: Socket | undefined;
  #framer = new MessageFramer();
  /** Route changes not yet reported, by route key: the last change per key wins. */
  #pending = new Map<string, { route: Route; removed: boolean }>();
  #restartTimer: NodeJS.Timeout | undefined;
  #staleTimer: NodeJS.Timeout | undefined;
  #establishedAtMs: number | undefined;
  #lastError: SessionInfo['lastError'];
  readonly #closing = new Set<Socket>();

  constructor(options: SessionOptions) {
    this.#neighbor = options.neighbor;
    this.#config = options.config;
    this.peer = options.neighbor.name;
    this.#policy = options.policy;
    this.#metrics = options.metrics;
    this.#hooks = options.hooks;
    this.#log = options.logger.child({ peer: this.peer });
    const local: LocalSettings = {
      localAs: options.config.localAs,
      routerId: options.config.routerId,
      holdTimeS: options.neighbor.holdTimeS ?? options.config.holdTimeS,
      families: options.config.families.map((f) => (f === 'ipv4' ? Afi.Ipv4 : Afi.Ipv6)),
      addPathReceive: options.config.addPath,
    };
    if (options.config.gracefulRestart.enabled)
      local.gracefulRestart = { restartTimeS: options.config.gracefulRestart.restartTimeS };
    this.#fsmConfig = {
      local,
      peerAs: options.neighbor.peerAs,
      passive: options.neighbor.passive,
      connectRetryS: options.config.connectRetryS,
      idleHoldS: options.config.idleHoldS,
    };
  }

  get state(): SessionState {
    return this.#fsm.state;
  }

  info(): SessionInfo {
    const info: SessionInfo = {
      peer: this.peer,
      address: this.#neighbor.address,
      peerAs: this.#neighbor.peerAs,
      passive: this.#neighbor.passive,
      state: this.#fsm.state,
      routes: this.#rib.size,
      staleRoutes: this.#rib.staleCount(),
    };
    if (this.#fsm.state === 'Established' && this.#establishedAtMs !== undefined)
      info.establishedAtMs = this.#establishedAtMs;
    if (this.#fsm.negotiated) info.negotiated = this.#fsm.negotiated;
    if (this.#lastError) info.lastError = this.#lastError;
    return info;
  }

  /** Routes this session holds (after policy). */
  routes(): Route[] {
    return [...this.#rib.routes()];
  }

  start(): void {
    this.#dispatch({ type: 'start' });
  }

  /** Closes the session with an Administrative Shutdown (RFC 8203 message) and drops its routes. */
  async stop(shutdownMessage?: string): Promise<void> {
    const closing = [...this.#closing];
    if (this.#socket) closing.push(this.#socket);
    this.#dispatch(shutdownMessage === undefined ? { type: 'stop' } : { type: 'stop', shutdownMessage });
    this.#clearGracefulRestart();
    for (const route of this.#rib.clear()) this.#queue(route, true);
    this.#flush();
    await Promise.all(
      [...closing, ...this.#closing].map(
        (socket) =>
          new Promise<void>((resolve) =>
            socket.destroyed ? resolve() : socket.once('close', () => resolve()),
          ),
      ),
    );
  }

  /**
   * Offers an incoming connection from this neighbor. An Established session with graceful restart
   * takes it as the peer restarting (RFC 4724 §4.2: the old connection is closed, routes kept
   * stale); otherwise it is taken only while the session waits for one (Connect or Active).
   */
  acceptIncoming(socket: Socket): boolean {
    if (this.#fsm.state === 'Established' && this.#fsm.negotiated?.gracefulRestart) {
      this.#dispatch({ type: 'tcp-failed', reason: 'the peer opened a new connection (graceful restart)' });
    }
    if (this.#fsm.state !== 'Active' && this.#fsm.state !== 'Connect') return false;
    if (this.#connecting) {
      this.#connecting.destroy();
      this.#connecting = undefined;
    }
    this.#attach(socket);
    this.#dispatch({ type: 'tcp-connected' });
    return true;
  }

  #dispatch(event: FsmEvent): void {
    const from = this.#fsm.state;
    const negotiatedBefore = this.#fsm.negotiated;
    const { next, actions } = fsmStep(this.#fsmConfig, this.#fsm, event);
    this.#fsm = next;
    let reason: DownReason | undefined;
    for (const action of actions) {
      if (action.type === 'down') {
        reason = action.reason;
        this.#onDown(action.reason, negotiatedBefore);
      } else this.#run(action);
    }
    if (from !== next.state) {
      this.#log.debug({ from, to: next.state }, 'bgp session state');
      this.#hooks.state(
        reason
          ? { peer: this.peer, from, to: next.state, reason }
          : { peer: this.peer, from, to: next.state },
      );
    }
  }

  #run(action: FsmAction): void {
    switch (action.type) {
      case 'connect':
        this.#connect();
        break;
      case 'close':
        this.#close();
        break;
      case 'send-open':
        this.#send(encodeOpen(localOpen(this.#fsmConfig.local)));
        break;
      case 'send-keepalive':
        this.#send(encodeKeepalive());
        break;
      case 'send-notification':
        this.#metrics.notification('sent', action.message.code);
        this.#send(encodeNotification(action.message));
        break;
      case 'start-timer': {
        this.#stopTimer(action.timer);
        const name = action.timer;
        this.#timers.set(
          name,
          setTimeout(() => {
            this.#timers.delete(name);
            this.#dispatch({ type: 'timer', timer: name });
          }, action.durationMs),
        );
        break;
      }
      case 'stop-timer':
        this.#stopTimer(action.timer);
        break;
      case 'established':
        this.#onEstablished(action.negotiated);
        break;
      case 'down':
        break;
    }
  }

  #stopTimer(name: TimerName): void {
    const t = this.#timers.get(name);
    if (t) clearTimeout(t);
    this.#timers.delete(name);
  }

  #connect(): void {
    const options: { host: string; port: number; localAddress?: string } = {
      host: this.#neighbor.address,
      port: this.#neighbor.port,
    };
    if (this.#neighbor.localAddress) options.localAddress = this.#neighbor.localAddress;
    const socket = connect(options);
    this.#connecting = socket;
    const failed = (err?: Error): void => {
      if (this.#connecting !== socket) return;
      this.#connecting = undefined;
      socket.destroy();
      this.#dispatch({ type: 'tcp-failed', reason: err?.message ?? 'connection closed' });
    };
    socket.once('error', failed);
    socket.once('close', () => failed());
    socket.once('connect', () => {
      if (this.#connecting !== socket) return;
      this.#connecting = undefined;
      socket.removeAllListeners('error');
      socket.removeAllListeners('close');
      this.#attach(socket);
      this.#dispatch({ type: 'tcp-connected' });
    });
  }

  #attach(socket: Socket): void {
    this.#socket = socket;
    this.#framer = new MessageFramer();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk));
    socket.on('error', (err) => this.#log.debug({ err: err.message }, 'bgp socket error'));
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#dispatch({ type: 'tcp-failed', reason: 'connection closed by the peer' });
      this.#flush();
    });
  }

  #close(): void {
    if (this.#connecting) {
      this.#connecting.destroy();
      this.#connecting = undefined;
    }
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = undefined;
    this.#closing.add(socket);
    socket.once('close', () => this.#closing.delete(socket));
    // Let a NOTIFICATION just written reach the peer, then make sure the socket goes.
    socket.end();
    setTimeout(() => socket.destroy(), CLOSE_FLUSH_MS).unref();
  }

  #send(bytes: Uint8Array): void {
    const socket = this.#socket;
    if (socket && socket.writable) socket.write(bytes);
  }

  #onData(socket: Socket, chunk: Buffer): void {
    if (this.#socket !== socket) return;
    const { frames, error } = this.#framer.push(chunk);
    for (const frame of frames) {
      if (this.#socket !== socket) break;
      this.#onFrame(frame);
    }
    if (error && this.#socket === socket) this.#protocolError(error);
    this.#flush();
  }

  #protocolError(error: ProtocolError, code: BgpErrorCode = BgpErrorCode.MalformedMessage): void {
    this.#lastError = { code, message: error.reason, atMs: Date.now() };
    this.#log.warn(
      { code, reason: error.reason, notification: `${error.code}/${error.subcode}` },
      'bgp protocol error',
    );
    this.#dispatch({ type: 'error', error, code });
  }

  #onFrame(frame: Frame): void {
    switch (frame.type) {
      case MessageType.Open: {
        const open = decodeOpen(frame.body);
        if (open.ok) this.#dispatch({ type: 'open', open: open.value });
        else this.#protocolError(open.error);
        break;
      }
      case MessageType.Update:
        if (this.#fsm.state === 'Established') {
          this.#dispatch({ type: 'update' });
          this.#onUpdate(frame.body);
        } else this.#dispatch({ type: 'update' });
        break;
      case MessageType.Notification: {
        const n = decodeNotification(frame.body);
        if (!n.ok) {
          this.#protocolError(n.error);
          break;
        }
        this.#metrics.notification('received', n.value.code);
        this.#dispatch({ type: 'notification', message: n.value });
        break;
      }
      case MessageType.Keepalive:
        this.#dispatch({ type: 'keepalive' });
        break;
      case MessageType.RouteRefresh: {
        const rr = decodeRouteRefresh(frame.body);
        // This speaker announces nothing, so a refresh request needs no answer beyond the hold timer (RFC 2918 §4).
        if (rr.ok) this.#dispatch({ type: 'route-refresh' });
        else this.#protocolError(rr.error);
        break;
      }
    }
  }

  #onUpdate(body: Uint8Array): void {
    const n = this.#fsm.negotiated!;
    const started = process.hrtime.bigint();
    const result = decodeUpdate(body, {
      fourOctetAs: n.fourOctetAs,
      addPathIpv4: n.addPathIpv4,
      addPathIpv6: n.addPathIpv6,
      ibgp: n.ibgp,
    });
    if (result.kind === 'session-reset') {
      this.#protocolError(result.error);
      return;
    }
    if (result.kind === 'treat-as-withdraw') {
      const prefixes = allPrefixes(result.update);
      this.#lastError = {
        code: BgpErrorCode.MalformedAttr,
        message: result.issues.map((i) => i.error.reason).join('; '),
        atMs: Date.now(),
      };
      this.#log.warn(
        {
          code: BgpErrorCode.MalformedAttr,
          issues: result.issues.map((i) => i.error.reason),
          prefixes: prefixes.length,
        },
        'malformed UPDATE treated as withdraw (RFC 7606)',
      );
      for (const p of prefixes) {
        const removed = this.#rib.withdraw(p.prefix, p.pathId);
        if (removed) this.#queue(removed, true);
      }
      this.#metrics.prefixes(
        this.peer,
        0,
        0,
        result.update.nlri.length + (result.update.attributes.mpReach?.nlri.length ?? 0),
      );
    } else {
      if (result.issues.length > 0) {
        this.#log.info(
          { issues: result.issues.map((i) => i.error.reason) },
          'UPDATE attributes discarded (RFC 7606)',
        );
      }
      const eor = endOfRib(result.update);
      if (eor) this.#onEndOfRib(FAMILY_OF_AFI[eor.afi]);
      else this.#applyUpdate(result.update, n);
    }
    this.#metrics.updateProcessed(Number(process.hrtime.bigint() - started) / 1e9);
  }

  #applyUpdate(update: UpdateMessage, n: Negotiated): void {
    const { announced, withdrawn } = routesOfUpdate(update, n, this.peer);
    for (const w of withdrawn) {
      const removed = this.#rib.withdraw(w.prefix, w.pathId);
      if (removed) this.#queue(removed, true);
    }
    let accepted = 0;
    for (const route of announced) {
      if (evaluateImport(route, this.#policy).kind === 'accept') {
        accepted++;
        this.#rib.announce(route);
        this.#queue(route, false);
      } else {
        // A route that no longer passes replaces one that did: the old one goes (implicit withdraw).
        const removed = this.#rib.withdraw(route.prefix, route.pathId);
        if (removed) this.#queue(removed, true);
      }
    }
    this.#metrics.prefixes(this.peer, announced.length, accepted, announced.length - accepted);
    const limit = this.#policy.maxPrefixes;
    if (limit !== undefined && this.#rib.size > limit) {
      const afi = announced.at(-1)?.family === 'ipv6' ? Afi.Ipv6 : Afi.Ipv4;
      // RFC 4486 §4: the data is AFI, SAFI and the upper bound.
      const data = Uint8Array.of(
        afi >>> 8,
        afi & 0xff,
        Safi.Unicast,
        limit >>> 24,
        (limit >>> 16) & 0xff,
        (limit >>> 8) & 0xff,
        limit & 0xff,
      );
      this.#protocolError(
        {
          code: ErrorCode.Cease,
          subcode: CeaseSubcode.MaxPrefixes,
          data,
          reason: `more than ${limit} prefixes`,
        },
        BgpErrorCode.MaxPrefix,
      );
    }
  }

  #queue(route: Route, removed: boolean): void {
    this.#pending.set(routeKey(route.prefix, route.pathId), { route, removed });
  }

  #flush(): void {
    if (this.#pending.size === 0) return;
    const announced: Route[] = [];
    const removed: Route[] = [];
    for (const change of this.#pending.values()) (change.removed ? removed : announced).push(change.route);
    this.#pending = new Map();
    this.#metrics.ribSize(this.peer, this.#rib.size);
    this.#hooks.routes(announced, removed);
  }

  #onEstablished(n: Negotiated): void {
    this.#establishedAtMs = Date.now();
    this.#metrics.sessionUp(this.peer, true);
    this.#log.info(
      {
        peerAs: n.peerAs,
        holdTimeS: n.holdTimeS,
        families: n.families,
        addPath: [n.addPathIpv4, n.addPathIpv6],
        gracefulRestart: !!n.gracefulRestart,
      },
      'bgp session established',
    );
    // RFC 4724 §2: End-of-RIB after the initial update (empty here: this speaker announces nothing).
    const ctx = { fourOctetAs: n.fourOctetAs, addPathIpv4: false, addPathIpv6: false, ibgp: n.ibgp };
    for (const afi of n.families) this.#send(encodeEndOfRib({ afi, safi: Safi.Unicast }, ctx));
    if (this.#rib.staleCount() === 0) return;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    // RFC 4724 §4.2: stale routes of a family the peer no longer preserves forwarding for go now.
    for (const family of ['ipv4', 'ipv6'] as const) {
      const afi = family === 'ipv4' ? Afi.Ipv4 : Afi.Ipv6;
      const kept = n.gracefulRestart?.families.some(
        (f) => f.afi === afi && f.safi === Safi.Unicast && f.forwardingPreserved,
      );
      if (!kept) for (const route of this.#rib.sweepStale(family)) this.#queue(route, true);
    }
    if (this.#rib.staleCount() > 0) {
      this.#staleTimer = setTimeout(() => {
        this.#staleTimer = undefined;
        this.#log.info('stale routes not refreshed before the stale path timer: removed');
        this.#sweepAllStale();
      }, this.#config.gracefulRestart.stalePathTimeS * 1000);
    }
    this.#flush();
  }

  #onEndOfRib(family: RouteFamily | undefined): void {
    if (!family) return;
    const swept = this.#rib.sweepStale(family);
    for (const route of swept) this.#queue(route, true);
    this.#log.debug({ family, swept: swept.length }, 'End-of-RIB');
    if (this.#rib.staleCount() === 0 && this.#staleTimer) {
      clearTimeout(this.#staleTimer);
      this.#staleTimer = undefined;
    }
  }

  #sweepAllStale(): void {
    for (const route of this.#rib.sweepStale()) this.#queue(route, true);
    this.#flush();
  }

  #clearGracefulRestart(): void {
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    if (this.#staleTimer) clearTimeout(this.#staleTimer);
    this.#restartTimer = undefined;
    this.#staleTimer = undefined;
  }

  #onDown(reason: DownReason, negotiated: Negotiated | undefined): void {
    this.#metrics.sessionUp(this.peer, false);
    this.#lastError = { code: reason.code, message: reason.message, atMs: Date.now() };
    const level = reason.code === BgpErrorCode.AdminShutdown ? 'info' : 'warn';
    this.#log[level](
      { code: reason.code, reason: reason.message, wasEstablished: reason.wasEstablished },
      'bgp session down',
    );
    const peerRestartS = negotiated?.gracefulRestart?.restartTimeS ?? 0;
    // RFC 4724 §4.2: on a lost TCP connection (not a NOTIFICATION) keep the routes, marked stale,
    // for the peer's restart time.
    if (
      reason.code === BgpErrorCode.ConnectionLost &&
      reason.wasEstablished &&
      peerRestartS > 0 &&
      this.#rib.size > 0
    ) {
      if (this.#staleTimer) clearTimeout(this.#staleTimer);
      this.#staleTimer = undefined;
      for (const route of this.#rib.markStale()) this.#queue(route, false);
      if (this.#restartTimer) clearTimeout(this.#restartTimer);
      this.#restartTimer = setTimeout(() => {
        this.#restartTimer = undefined;
        this.#log.info('peer did not come back within its restart time: stale routes removed');
        this.#sweepAllStale();
      }, peerRestartS * 1000);
      this.#log.info(
        { routes: this.#rib.size, restartTimeS: peerRestartS },
        'graceful restart: routes kept as stale',
      );
    } else {
      this.#clearGracefulRestart();
      for (const route of this.#rib.clear()) this.#queue(route, true);
    }
    this.#flush();
  }
}
