/**
 * The edge's link to steering (the I/O shell that startEdge runs when `bgp` or `control` is
 * configured): the BGP speaker learning client prefixes from the ISP's routers, and the control
 * client reporting them, with the node's health, load, drain state and cached titles, to the
 * origin. The route source is the speaker when there is one, else a static route feed, so both
 * reach the control plane through the same code. On stop, the control plane hears that the edge
 * drains before the BGP sessions close with an Administrative Shutdown (RFC 8203).
 */
import type { Registry } from 'prom-client';
import { CdnError, CommonErrorCode, isCdnError } from '../../common/errors.js';
import type { Logger } from '../../common/logging.js';
import { BgpSpeaker, type BgpConfig, type SessionStateEvent } from '../bgp/index.js';
import type { CacheStoreHealth } from '../cache/types.js';
import { bgpRouteSource } from './bgpSource.js';
import { ControlClient } from './client.js';
import type { ControlConfig } from './config.js';
import { EdgeControlErrorCode } from './errors.js';
import { createControlMetrics } from './metrics.js';
import { StaticRouteFeed } from './staticFeed.js';
import { EgressMeter, cachedTitles, edgeHealth } from './status.js';
import type { EdgeStatusReport, RouteSource } from './types.js';

/**
 * Shortest time between two samples of the egress byte count, in ms. A sample is taken as each
 * heartbeat is built, so the load a heartbeat reports is the rate over about the interval before
 * the last one; while routes sync, heartbeats follow each other at once, and a rate over less than
 * a second would mostly be the noise of segment-sized bursts.
 */
const MIN_SAMPLE_MS = 1000;

/** A cache tier as the heartbeat sees it (CacheStore has these). */
export interface LinkedTier {
  readonly name: string;
  health(): CacheStoreHealth;
  keys(): Iterable<string>;
}

export interface EdgeLinkOptions {
  /** The speaker's settings; none: no BGP sessions. */
  bgp?: BgpConfig | undefined;
  /** The control client's settings with the edge's defaults filled (controlConfigOf); none: no control plane. */
  control?: ControlConfig | undefined;
  /** The edge's registry: `cdn_bgp_*` and `cdn_edge_control_*` go there. */
  registry: Registry;
  logger: Logger;
  /** The edge as heartbeats report it. */
  edge: {
    draining(): boolean;
    /** The cache tiers, memory first (health and cached titles). */
    tiers: readonly LinkedTier[];
    /** Body bytes sent to clients so far (cdn_edge_response_bytes_total), for the load. */
    responseBytes(): Promise<number>;
  };
  nowMs?: () => number;
}

export type RouteSourceKind = 'bgp' | 'static' | 'none';

/** What `cdn edge` prints at start. */
export interface EdgeLinkDescription {
  bgp?: {
    localAs: number;
    routerId: string;
    /** The BGP listener (none without passive neighbors). */
    listening: { host: string; port: number } | undefined;
    /** `state` is known once the speaker runs. */
    peers: Array<{ name: string; address: string; peerAs: number; passive: boolean; state?: string }>;
  };
  control?: {
    originUrl: string;
    edgeId: string;
    cluster: string;
    publicUrl: string;
    routeSource: RouteSourceKind;
    /** Routes of a static feed, when known. */
    staticRoutes?: number;
  };
}

/**
 * The BGP and control settings for `cdn edge` to print, with the live listener address and session
 * states when `link` runs in this process (a `--workers` primary has only the configuration).
 */
export function describeEdgeLink(
  settings: { bgp?: BgpConfig | undefined; control?: ControlConfig | undefined },
  link?: EdgeLink,
): EdgeLinkDescription {
  const out: EdgeLinkDescription = {};
  const { bgp, control } = settings;
  if (bgp !== undefined) {
    const live = new Map(link?.speaker?.sessions().map((s) => [s.peer, s.state]));
    out.bgp = {
      localAs: bgp.localAs,
      routerId: bgp.routerId,
      listening:
        link?.speaker !== undefined
          ? link.speaker.address()
          : bgp.neighbors.some((n) => n.passive)
            ? bgp.listen
            : undefined,
      peers: bgp.neighbors.map((n) => ({
        name: n.name,
        address: n.address,
        peerAs: n.peerAs,
        passive: n.passive,
        ...(live.has(n.name) ? { state: live.get(n.name)! } : {}),
      })),
    };
  }
  if (control !== undefined) {
    const staticRoutes =
      link?.feed?.routes.length ??
      (control.staticRoutesFile === undefined ? (control.staticRoutes?.length ?? 0) : undefined);
    out.control = {
      originUrl: control.originUrl,
      edgeId: control.edgeId,
      cluster: control.cluster,
      publicUrl: control.publicUrl,
      routeSource: link?.routeSource ?? (bgp !== undefined ? 'bgp' : 'static'),
      ...(bgp === undefined && staticRoutes !== undefined ? { staticRoutes } : {}),
    };
  }
  return out;
}

export class EdgeLink {
  readonly speaker: BgpSpeaker | undefined;
  readonly client: ControlClient | undefined;
  readonly routeSource: RouteSourceKind;
  readonly feed: StaticRouteFeed | undefined;
  private readonly options: EdgeLinkOptions;
  private stopped = false;

  private constructor(
    options: EdgeLinkOptions,
    speaker: BgpSpeaker | undefined,
    feed: StaticRouteFeed | undefined,
  ) {
    this.options = options;
    this.speaker = speaker;
    this.feed = feed;
    this.routeSource = speaker !== undefined ? 'bgp' : feed !== undefined ? 'static' : 'none';
    const { control } = options;
    if (control === undefined) return;
    const nowMs = options.nowMs ?? Date.now;
    const meter = new EgressMeter();
    let sampledAtMs = -Infinity;
    /** Starts reading the byte count (async: in a `--workers` node the count is the node's, over IPC). */
    const sampleLoad = (): void => {
      const now = nowMs();
      if (this.stopped || now - sampledAtMs < MIN_SAMPLE_MS) return;
      sampledAtMs = now;
      options.edge.responseBytes().then(
        (bytes) => meter.sample(bytes, nowMs()),
        (err: unknown) => options.logger.debug({ err: (err as Error).message }, 'egress sample failed'),
      );
    };
    let summary: { titles: string[]; atMs: number } | undefined;
    const titles = (): string[] => {
      const now = nowMs();
      if (summary === undefined || now - summary.atMs >= control.cacheSummaryIntervalMs) {
        // With --workers this is worker 0's tiers: its memory tier and its slice of the disk tier,
        // which hold objects of every title the node serves much.
        const keys = options.edge.tiers.map((t) => t.keys());
        summary = { titles: cachedTitles(keys, control.maxCachedTitles), atMs: now };
      }
      return summary.titles;
    };
    const status = (): EdgeStatusReport => {
      sampleLoad();
      return {
        health: edgeHealth(options.edge.tiers.map((t) => ({ name: t.name, health: t.health() }))),
        loadGbps: meter.loadGbps,
        draining: options.edge.draining(),
        ...(control.maxCachedTitles > 0 ? { cachedTitles: titles() } : {}),
      };
    };
    const holder: { client?: ControlClient } = {};
    const metrics = createControlMetrics(options.registry, () => holder.client!.stats, nowMs);
    const client = new ControlClient({
      config: control,
      status,
      logger: options.logger,
      onEvent: (event) => metrics.event(event),
    });
    holder.client = client;
    this.client = client;
  }

  /**
   * Starts the speaker (binding its listener: BGP_ERR_LISTEN when it cannot), reads the static
   * route file when one is configured, and starts the control client.
   */
  static async start(options: EdgeLinkOptions): Promise<EdgeLink> {
    const log = options.logger;
    let speaker: BgpSpeaker | undefined;
    let feed: StaticRouteFeed | undefined;
    if (options.bgp !== undefined) {
      speaker = new BgpSpeaker({ config: options.bgp, registry: options.registry, logger: log });
      speaker.on('session', (event) => logSession(log, event));
    } else if (options.control !== undefined) {
      feed = await staticFeedOf(options.control);
    }
    const link = new EdgeLink(options, speaker, feed);
    try {
      await speaker?.start();
    } catch (err) {
      await link.stop();
      throw err;
    }
    if (link.client !== undefined) {
      const source: RouteSource | undefined = speaker !== undefined ? bgpRouteSource(speaker) : feed;
      if (source !== undefined) link.client.attach(source);
      link.client.start();
    } else if (speaker !== undefined) {
      log.warn('bgp is configured without control: learned routes are not reported to steering');
    }
    return link;
  }

  /**
   * Tells the control plane this edge drains (a last heartbeat), then closes every BGP session
   * with an Administrative Shutdown carrying `shutdownMessage` (RFC 8203). Idempotent.
   */
  async stop(shutdownMessage?: string): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.client?.stop({ drain: true });
    await this.speaker?.stop(shutdownMessage);
  }

  describe(): EdgeLinkDescription {
    return describeEdgeLink(this.options, this);
  }
}

/** The static route feed of a control section (empty without routes: the edge serves its cluster's defaults). */
async function staticFeedOf(control: ControlConfig): Promise<StaticRouteFeed> {
  if (control.staticRoutesFile === undefined)
    return new StaticRouteFeed(control.staticRoutes ?? [], 'control.staticRoutes');
  try {
    return await StaticRouteFeed.fromFile(control.staticRoutesFile);
  } catch (err) {
    // A bad route file is bad configuration: the same exit as any other.
    if (!isCdnError(err, EdgeControlErrorCode.RouteFeedInvalid)) throw err;
    throw new CdnError(
      CommonErrorCode.ConfigInvalid,
      `invalid edge config: control.staticRoutesFile: ${err.message}`,
      {
        cause: err,
      },
    );
  }
}

/** Logs a BGP session state change: Established and every drop at info, the rest at debug. */
function logSession(log: Logger, event: SessionStateEvent): void {
  const fields = {
    peer: event.peer,
    from: event.from,
    to: event.to,
    ...(event.reason !== undefined ? { code: event.reason.code, reason: event.reason.message } : {}),
  };
  if (event.to === 'Established') log.info(fields, 'bgp session established');
  else if (event.from === 'Established') log.warn(fields, 'bgp session down');
  else log.debug(fields, 'bgp session state');
}
