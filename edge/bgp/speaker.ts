/**
 * The BGP speaker of an edge appliance: one listener for passive neighbors, one session per
 * configured neighbor, and a Loc-RIB whose best-route deltas are what the edge reports to the
 * steering control plane. It only receives routes; it announces none.
 */
import { EventEmitter } from 'node:events';
import { type Server, type Socket, createServer } from 'node:net';
import { Registry } from 'prom-client';
import { type Logger, silentLogger } from '../../common/logging.js';
import { formatAddress, parseAddress } from './codec/address.js';
import { CeaseSubcode, ErrorCode } from './codec/constants.js';
import { encodeNotification } from './codec/notification.js';
import type { BgpConfig } from './config.js';
import { BgpErrorCode, bgpError } from './errors.js';
import { type BgpMetrics, createBgpMetrics } from './metrics.js';
import { compileImportPolicy } from './policy.js';
import { LocRib, type RouteDelta } from './rib.js';
import type { Route } from './route.js';
import { BgpSession, type SessionInfo, type SessionStateEvent } from './session.js';

export interface BgpSpeakerDeps {
  config: BgpConfig;
  /** Where the `cdn_bgp_*` series go; a private registry when absent. */
  registry?: Registry;
  logger?: Logger;
}

export interface RejectedConnection {
  code: typeof BgpErrorCode.UnknownPeer;
  address: string;
}

export interface BgpSpeakerEvents {
  /** Changes of the best route per prefix, one batch per TCP read or session event. */
  delta: [RouteDelta];
  /** A session changed state; `reason` says why when it went down. */
  session: [SessionStateEvent];
  /** A connection from an address that is not a configured neighbor was refused. */
  rejected: [RejectedConnection];
}

/** Canonical text of an address, IPv4-mapped IPv6 (`::ffff:a.b.c.d`) read as IPv4. */
function canonicalAddress(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  const parsed = parseAddress(v4mapped ? v4mapped[1]! : text);
  return parsed && formatAddress(parsed.afi, parsed.bytes);
}

export class BgpSpeaker extends EventEmitter<BgpSpeakerEvents> {
  readonly #config: BgpConfig;
  readonly #log: Logger;
  readonly #metrics: BgpMetrics;
  readonly #sessions = new Map<string, BgpSession>();
  readonly #byAddress = new Map<string, BgpSession>();
  readonly #locRib = new LocRib();
  readonly #rejected = new Set<Socket>();
  #server: Server | undefined;
  #started = false;

  constructor(deps: BgpSpeakerDeps) {
    super();
    this.#config = deps.config;
    this.#log = (deps.logger ?? silentLogger()).child({ component: 'bgp' });
    this.#metrics = createBgpMetrics(
      deps.registry ?? new Registry(),
      deps.config.neighbors.map((n) => n.name),
    );
    const defaultPolicy = compileImportPolicy(deps.config.importPolicy);
    for (const neighbor of deps.config.neighbors) {
      const session = new BgpSession({
        neighbor,
        config: deps.config,
        policy: neighbor.importPolicy ? compileImportPolicy(neighbor.importPolicy) : defaultPolicy,
        metrics: this.#metrics,
        logger: this.#log,
        hooks: {
          routes: (announced, removed) => this.#onRoutes(announced, removed),
          state: (event) => this.emit('session', event),
        },
      });
      this.#sessions.set(neighbor.name, session);
      this.#byAddress.set(canonicalAddress(neighbor.address)!, session);
    }
  }

  /** Binds the listener (when a neighbor is passive) and starts every session. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    if (this.#config.neighbors.some((n) => n.passive)) {
      const server = createServer((socket) => this.#onConnection(socket));
      const { host, port } = this.#config.listen;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err) =>
          reject(
            bgpError(BgpErrorCode.Listen, `cannot listen on ${host}:${port}: ${err.message}`, { cause: err }),
          ),
        );
        // Exclusive: in a `--workers` node (node:cluster) the one worker that runs BGP binds the
        // port itself instead of sharing it through the primary.
        server.listen({ host, port, exclusive: true }, () => resolve());
      });
      server.on('error', (err) => this.#log.error({ err: err.message }, 'bgp listener error'));
      this.#server = server;
      this.#log.info({ address: this.address() }, 'bgp listening');
    }
    for (const session of this.#sessions.values()) session.start();
  }

  /** Closes every session with an Administrative Shutdown carrying `shutdownMessage` (RFC 8203), then the listener. */
  async stop(shutdownMessage = 'edge shutting down'): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await Promise.all([...this.#sessions.values()].map((s) => s.stop(shutdownMessage)));
    for (const socket of this.#rejected) socket.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The listener's address, once started with a passive neighbor. */
  address(): { host: string; port: number } | undefined {
    const address = this.#server?.address();
    if (!address || typeof address === 'string') return undefined;
    return { host: address.address, port: address.port };
  }

  sessions(): SessionInfo[] {
    return [...this.#sessions.values()].map((s) => s.info());
  }

  /** The best route of every prefix learned (the Loc-RIB): a full snapshot for a control plane that missed deltas. */
  routes(): Route[] {
    return this.#locRib.best();
  }

  /** Every route one neighbor's session holds after policy (all ADD-PATH paths), or undefined for an unknown name. */
  peerRoutes(peer: string): Route[] | undefined {
    return this.#sessions.get(peer)?.routes();
  }

  #onRoutes(announced: Route[], removed: Route[]): void {
    const delta = this.#locRib.apply(announced, removed);
    if (delta.announce.length > 0 || delta.withdraw.length > 0) this.emit('delta', delta);
  }

  #onConnection(socket: Socket): void {
    socket.on('error', (err) => this.#log.debug({ err: err.message }, 'bgp connection error'));
    const address = canonicalAddress(socket.remoteAddress);
    const session = address === undefined ? undefined : this.#byAddress.get(address);
    if (!this.#started) {
      socket.destroy();
      return;
    }
    if (session?.acceptIncoming(socket)) return;
    // RFC 4486 §4: Connection Rejected for strangers and stopped sessions, Collision Resolution otherwise.
    const subcode =
      session && session.state !== 'Idle'
        ? CeaseSubcode.ConnectionCollisionResolution
        : CeaseSubcode.ConnectionRejected;
    if (!session) {
      this.#log.warn(
        { code: BgpErrorCode.UnknownPeer, address: socket.remoteAddress },
        'connection from an unknown peer refused',
      );
      this.emit('rejected', {
        code: BgpErrorCode.UnknownPeer,
        address: address ?? String(socket.remoteAddress),
      });
    }
    this.#metrics.notification('sent', ErrorCode.Cease);
    this.#rejected.add(socket);
    socket.once('close', () => this.#rejected.delete(socket));
    socket.end(encodeNotification({ code: ErrorCode.Cease, subcode, data: new Uint8Array(0) }));
    setTimeout(() => socket.destroy(), 1000).unref();
  }
}
