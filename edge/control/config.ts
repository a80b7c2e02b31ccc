import { z } from 'zod';
import { loadConfig } from '../../common/config.js';
import { CLUSTER_PATTERN, EDGE_ID_PATTERN } from '../../common/steeringProtocol.js';
import { staticRouteSchema } from './staticFeed.js';

/**
 * The edge's control-plane client settings (a section of the edge configuration): where the
 * steering control plane is, who this edge is to it, and how hard to retry.
 */
export const controlConfigSchema = z
  .object({
    /** The origin's base URL (`/v1/edges/...` is appended to its path). */
    originUrl: z.url({ protocol: /^https?$/ }),
    /** This edge's id at the control plane: also its HLS pathway / DASH serviceLocation id. */
    edgeId: z
      .string()
      .regex(EDGE_ID_PATTERN, 'must be a letter, then letters, digits, ".", "_", "-" (no ":")'),
    /** The edge's bearer token (the origin's `steering.edgeTokens[edgeId]`). */
    token: z.string().min(16, 'must be at least 16 characters').max(4096).optional(),
    /** Site or cluster of the edge. */
    cluster: z.string().regex(CLUSTER_PATTERN),
    /** Base URL players reach this edge at. */
    publicUrl: z.url({ protocol: /^https?$/ }),
    /** Egress capacity, in Gbit/s. */
    capacityGbps: z.number().positive().max(100_000),
    /**
     * Connect, response-head and body timeout of each call, in ms: the origin answers a heartbeat in
     * well under a second; 5 s stays below the default heartbeat interval so a stuck call never
     * delays the next heartbeat by more than one interval.
     */
    timeoutMs: z.number().int().min(10).max(120_000).default(5000),
    /**
     * Routes and withdrawals per heartbeat: 50 000 keep a body near 1 MB (far below the origin's
     * limit) while a full IPv4 table still syncs in about 20 back-to-back heartbeats.
     */
    maxRoutesPerHeartbeat: z.number().int().min(1).max(1_000_000).default(50_000),
    /**
     * Wait after a route change before sending it, in ms: changes arriving together (one BGP
     * UPDATE burst) go in one heartbeat, as the MinRouteAdvertisementInterval batches them in BGP
     * (RFC 4271 §9.2.1.1), but far shorter since the origin is not a BGP peer.
     */
    routeFlushDelayMs: z.number().int().min(0).max(60_000).default(200),
    /** Retry backoff after a failed call: exponential from `initialMs` to `maxMs`, full jitter. */
    backoff: z
      .object({
        /** First retry delay, in ms. */
        initialMs: z.number().int().min(1).max(60_000).default(250),
        /** Longest retry delay, in ms. */
        maxMs: z.number().int().min(1).max(600_000).default(30_000),
      })
      .strict()
      .prefault({}),
    /**
     * Titles in the cache summary each heartbeat carries, at most (the most recently used first):
     * keep it at or below the origin's `steering.maxCachedTitles` (100 000 by default), which
     * refuses larger summaries. 10 000 titles is far more than one appliance holds. 0: no summary.
     */
    maxCachedTitles: z.number().int().min(0).max(1_000_000).default(10_000),
    /**
     * How often the cache summary is recomputed, in ms (a walk over the cache keys): titles enter
     * and leave a cache over minutes, so 30 s keeps the summary current for steering's content
     * tie-breaker at a negligible cost.
     */
    cacheSummaryIntervalMs: z.number().int().min(1000).max(3_600_000).default(30_000),
    /** Routes to announce when no BGP speaker feeds the client (a static route feed). */
    staticRoutes: z.array(staticRouteSchema).optional(),
    /** A JSON file of static routes (an array, or `{"routes": [...]}`). */
    staticRoutesFile: z.string().min(1).optional(),
  })
  .strict();

export type ControlConfigInput = z.input<typeof controlConfigSchema>;
export type ControlConfig = Readonly<z.output<typeof controlConfigSchema>>;

/** Validates the control client settings (defaults filled, frozen). */
export function controlConfigFromInput(input: unknown, sourceName = 'edge control config'): ControlConfig {
  return loadConfig(controlConfigSchema, input, sourceName);
}
