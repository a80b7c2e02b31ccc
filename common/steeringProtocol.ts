/**
 * The protocol between edges and the steering control plane (origin/steering), shared by both
 * sides: the edge control client's registration and heartbeats, as TypeScript types and the JSON
 * Schemas the origin validates with (and publishes in its OpenAPI document), the `/v1/steer`
 * answer, and the token-in-path form of the edge URLs steering hands out.
 *
 *   POST /v1/edges/register          Authorization: Bearer <edge token>   RegisterRequest → RegisterResponse
 *   POST /v1/edges/{id}/heartbeat    Authorization: Bearer <edge token>   HeartbeatRequest → HeartbeatResponse
 *
 * Registration starts a new epoch: the origin drops the edge's routes and keeps it out of rotation
 * until its first heartbeat, which should carry the full table (`routes.full`). Later heartbeats
 * carry the route changes since the last acknowledged one. Every attempt has a larger `seq`; the
 * origin applies a heartbeat's routes only when its seq is above the last one applied, so a delayed
 * duplicate never rolls routes back. Within one heartbeat, withdrawals apply before announcements
 * (as in a BGP UPDATE, RFC 4271 §4.3). A heartbeat is applied whole or not at all.
 * 404 STEER_ERR_EDGE_UNKNOWN or 409 STEER_ERR_EDGE_EPOCH tell the edge to register again and resync.
 */

/**
 * Edge URLs carry the URL token in the path: `/t/<token>/content/<title>/...`. Players resolve a
 * manifest's relative URIs (HLS variant and segment URIs, DASH SegmentTemplate and BaseURL) against
 * the manifest's URL, which keeps its path but not its query (RFC 3986 §5.2.2), so a token in the
 * path reaches every object of the title where `?token=` on the manifest URL would stop at the
 * manifest. The edge takes the token out before anything else: it is checked as the `token` query
 * parameter is, and the cache key is the `/content` path alone. Tokens are base64url parts joined
 * by dots (edge/tokens), so they need no escaping and hold no `/`.
 */
export const TOKEN_PATH_PREFIX = '/t/';

/** Where every content path starts. */
const CONTENT_PREFIX = '/content/';

/** A `/content/...` path (or request target) with `token` in front of it. */
export function tokenPath(token: string, contentTarget: string): string {
  return `${TOKEN_PATH_PREFIX}${token}${contentTarget}`;
}

/**
 * The token and the `/content/...` target of a `/t/<token>/content/...` request target; undefined
 * when the target does not have that form (no `/` after the token, or something other than
 * `/content/` after it). The token is returned as sent (it may be empty or malformed: the token
 * check says so).
 */
export function parseTokenPath(target: string): { token: string; target: string } | undefined {
  if (!target.startsWith(TOKEN_PATH_PREFIX)) return undefined;
  const end = target.indexOf('/', TOKEN_PATH_PREFIX.length);
  if (end < 0 || !target.startsWith(CONTENT_PREFIX, end)) return undefined;
  const token = target.slice(TOKEN_PATH_PREFIX.length, end);
  // A query or fragment inside the token segment means the path had no token segment at all.
  if (token.includes('?') || token.includes('#')) return undefined;
  return { token, target: target.slice(end) };
}

/** Edge ids are HLS pathway / DASH serviceLocation ids too, so [A-Za-z0-9._-] only. */
export const EDGE_ID_PATTERN = /^[A-Za-z][A-Za-z0-9._-]{0,62}$/;
/** Cluster (site) names. */
export const CLUSTER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export type EdgeHealth = 'ok' | 'degraded' | 'down';
export const EDGE_HEALTH: readonly EdgeHealth[] = ['ok', 'degraded', 'down'];

export interface RegisterRequest {
  id: string;
  /** Site or cluster the edge belongs to (the default cluster serves unmatched clients). */
  cluster: string;
  /** Base URL players reach the edge at (`/content/...` is appended). */
  publicUrl: string;
  /** Egress capacity, in Gbit/s. */
  capacityGbps: number;
}

export interface RegisterResponse {
  /** Names this registration; every heartbeat repeats it. */
  epoch: string;
  /** How often to send heartbeats, in ms. */
  heartbeatIntervalMs: number;
  /** Silence after which the edge leaves rotation, in ms. */
  expireAfterMs: number;
}

/** Routes sharing one set of path attributes. */
export interface AnnounceGroup {
  prefixes: string[];
  nextHop: string;
  asPath: number[];
  localPref?: number;
  med?: number;
  communities?: string[];
}

export interface RouteDeltaMessage {
  /** The announcements are the edge's whole table: every route of the edge not in it is dropped. */
  full?: boolean;
  announce?: AnnounceGroup[];
  /** Prefixes the edge no longer serves. */
  withdraw?: string[];
}

export interface HeartbeatRequest {
  epoch: string;
  /** Larger on every attempt (resends included). */
  seq: number;
  health: EdgeHealth;
  /** Current egress, in Gbit/s. */
  loadGbps: number;
  /** A draining edge keeps its sessions but gets no new clients. */
  draining: boolean;
  /** A new capacity, in Gbit/s, when it changed. */
  capacityGbps?: number;
  /** Cache summary: titles with content in the edge's cache. Replaces the previous summary. */
  cache?: { titles: string[] };
  routes?: RouteDeltaMessage;
}

export interface HeartbeatResponse {
  /** The highest seq applied. */
  ackSeq: number;
  /** What this heartbeat changed, and the edge's prefix counts after it. */
  routes: { announced: number; withdrawn: number; ipv4: number; ipv6: number };
  heartbeatIntervalMs: number;
}

/** One edge of a `GET /v1/steer` answer. */
export interface SteeredEdge {
  rank: number;
  id: string;
  cluster: string;
  /**
   * The title's directory on the edge, pinned to the current version, ending in `/`; with the URL
   * token in its path when the origin signs tokens (`.../t/<token>/content/<title>/v/<version>/`).
   */
  baseUrl: string;
  /** The DASH MPD and HLS master on the edge (under baseUrl). */
  dashUrl: string;
  hlsUrl: string;
  /** The URL token, when the origin signs tokens (already in the URLs' paths, see TOKEN_PATH_PREFIX). */
  token?: string;
  tier: 'longest_prefix' | 'less_specific_prefix' | 'default_cluster' | 'fallback';
  /** The announced prefix that made the edge a candidate. */
  prefix?: string;
  /** What put it above the next edge: tier, local_pref, as_path, med, health, load, content, hrw. */
  decidedBy?: string;
  reason: string;
  /** The route's path attributes (prefix tiers only). */
  route?: {
    nextHop: string;
    asPath: readonly number[];
    localPref?: number;
    med?: number;
    communities?: readonly string[];
  };
}

/** The `GET /v1/steer` answer: ranked edges for the client, best first, and the session's steering URLs. */
export interface SteerResponse {
  title: string;
  version: string;
  /** The session id given, or a new one: send it back on later requests to keep the same edges. */
  session: string;
  clientIp: string;
  clientIpSource: 'connection' | 'forwarded' | 'override';
  outcome: 'matched_prefix' | 'default';
  matchedPrefix?: string;
  tokenExpiresAt?: string;
  edges: SteeredEdge[];
  /** The content steering server and the steered HLS and DASH manifests for this session. */
  steering: { server: string; hls: string; dash: string };
}

const PREFIX_TEXT = { type: 'string', minLength: 3, maxLength: 64 } as const;
const ASN = { type: 'integer', minimum: 0, maximum: 4294967295 } as const;
const UINT32 = { type: 'integer', minimum: 0, maximum: 4294967295 } as const;

export const REGISTER_BODY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'cluster', 'publicUrl', 'capacityGbps'],
  properties: {
    id: { type: 'string', pattern: EDGE_ID_PATTERN.source },
    cluster: { type: 'string', pattern: CLUSTER_PATTERN.source },
    publicUrl: { type: 'string', minLength: 8, maxLength: 2048, pattern: '^https?://' },
    capacityGbps: { type: 'number', exclusiveMinimum: 0, maximum: 100_000 },
  },
} as const;

export const REGISTER_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    epoch: { type: 'string' },
    heartbeatIntervalMs: { type: 'integer' },
    expireAfterMs: { type: 'integer' },
  },
} as const;

/** The heartbeat body; `maxTitles` bounds the cache summary. */
export function heartbeatBodySchema(maxTitles: number) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['epoch', 'seq', 'health', 'loadGbps', 'draining'],
    properties: {
      epoch: { type: 'string', minLength: 1, maxLength: 64 },
      seq: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
      health: { type: 'string', enum: [...EDGE_HEALTH] },
      loadGbps: { type: 'number', minimum: 0, maximum: 100_000 },
      draining: { type: 'boolean' },
      capacityGbps: { type: 'number', exclusiveMinimum: 0, maximum: 100_000 },
      cache: {
        type: 'object',
        additionalProperties: false,
        required: ['titles'],
        properties: {
          titles: { type: 'array', maxItems: maxTitles, items: { type: 'string', maxLength: 64 } },
        },
      },
      routes: {
        type: 'object',
        additionalProperties: false,
        properties: {
          full: { type: 'boolean' },
          announce: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['prefixes', 'nextHop', 'asPath'],
              properties: {
                prefixes: { type: 'array', items: PREFIX_TEXT },
                nextHop: { type: 'string', maxLength: 64 },
                asPath: { type: 'array', maxItems: 255, items: ASN },
                localPref: UINT32,
                med: UINT32,
                communities: {
                  type: 'array',
                  maxItems: 1024,
                  items: { type: 'string', pattern: '^[0-9]{1,10}:[0-9]{1,10}(:[0-9]{1,10})?$' },
                },
              },
            },
          },
          withdraw: { type: 'array', items: PREFIX_TEXT },
        },
      },
    },
  } as const;
}

export const HEARTBEAT_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    ackSeq: { type: 'integer' },
    routes: {
      type: 'object',
      properties: {
        announced: { type: 'integer' },
        withdrawn: { type: 'integer' },
        ipv4: { type: 'integer' },
        ipv6: { type: 'integer' },
      },
    },
    heartbeatIntervalMs: { type: 'integer' },
  },
} as const;
