import { z } from 'zod';
import { MIN_TOKEN_KEY_BYTES } from '../../edge/index.js';
import { parsePrefix } from '../../common/ip.js';
import { CLUSTER_PATTERN, EDGE_ID_PATTERN } from '../../common/steeringProtocol.js';

const MIB = 1024 * 1024;

/** Edge tokens are compared as SHA-256 digests; at least 16 characters so that guessing is hopeless. */
const edgeToken = z.string().min(16, 'must be at least 16 characters').max(4096);

const prefixText = z.string().refine((text) => parsePrefix(text).ok, {
  message: 'must be an IPv4 or IPv6 prefix such as 10.0.0.0/8 (host bits zero)',
});

/**
 * The `steering` section of the origin configuration: the edge registry, selection and the content
 * steering server. Every key has a default, so an origin without one still steers (to no edges).
 */
export const steeringConfigSchema = z
  .object({
    /**
     * Bearer token of each edge allowed to register, by edge id. An edge not listed is refused (403)
     * unless the origin runs with `authDisabled`.
     */
    edgeTokens: z.record(z.string().regex(EDGE_ID_PATTERN), edgeToken).default({}),
    /** Edges registered at once; bounds memory and the `edge` label of the heartbeat-age metric. */
    maxEdges: z.number().int().min(1).max(10_000).default(256),
    /** Heartbeat period the origin asks edges for, in ms (5 s: failover within 15 s with 3 misses). */
    heartbeatIntervalMs: z.number().int().min(50).max(600_000).default(5000),
    /** Intervals without a heartbeat after which an edge leaves rotation (3: one lost packet is no outage). */
    missedHeartbeats: z.number().int().min(1).max(100).default(3),
    /** Silence after which an edge is forgotten with its routes, in ms (10 min: past any restart). */
    forgetAfterMs: z
      .number()
      .int()
      .min(1000)
      .max(7 * 86_400_000)
      .default(600_000),
    /**
     * Routes one edge may hold (a max-prefix limit, RFC 4271 §6.7 style): a full IPv4 table is about
     * a million prefixes, so 2 million leaves room for IPv6 and never lets one edge exhaust memory.
     */
    maxPrefixesPerEdge: z.number().int().min(1).max(10_000_000).default(2_000_000),
    /** Titles in one edge's cache summary. */
    maxCachedTitles: z.number().int().min(0).max(1_000_000).default(100_000),
    /** Largest heartbeat body, in bytes: a 100 000-prefix resync is about 2.5 MB of JSON. */
    heartbeatBodyLimitBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .max(1024 * MIB)
      .default(64 * MIB),
    /** Cluster that serves clients no announced prefix covers. */
    defaultCluster: z.string().regex(CLUSTER_PATTERN).optional(),
    /** Edges returned per steering answer (the first plus failover choices). */
    rankedEdges: z.number().int().min(1).max(16).default(3),
    /**
     * TTL of content steering manifests, in s: how soon players pick up a new priority. Apple's
     * example uses 300; 10 lets a failing edge be steered around within a few segments.
     */
    manifestTtlS: z.number().int().min(1).max(86_400).default(10),
    /** How long a pathway a session reported slow or left stays demoted for it, in s. */
    demoteHoldS: z.number().int().min(1).max(86_400).default(60),
    /**
     * Throughput below which a pathway counts as slow, in bit/s, when the title's lowest rung is
     * not known (otherwise the lowest rung's peak rate is the floor: below it the player stalls).
     */
    minThroughputBps: z.number().int().min(1).max(1e12).default(500_000),
    /** Sessions whose steering history is remembered (least recently seen dropped first). */
    maxSessions: z.number().int().min(1).max(10_000_000).default(100_000),
    /** Absolute URL players reach the origin at (steering server URIs); default: from the request. */
    publicUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Proxies whose X-Forwarded-For is believed, as prefixes. */
    trustedProxies: z.array(prefixText).max(1000).default([]),
    /** Accept `client_ip` on steering requests (tests and load rehearsals only). */
    allowClientIpOverride: z.boolean().default(false),
    /** URL token signing; without it steering URLs carry no token. */
    tokens: z
      .object({
        /** Key id the edges' keyrings know this key by. */
        keyId: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
        /** The signing key, base64 (the same text as in the edges' `tokens.keys`). */
        key: z
          .string()
          .regex(/^[A-Za-z0-9+/_-]+={0,2}$/, 'must be base64')
          .refine((text) => Buffer.from(text, 'base64').length >= MIN_TOKEN_KEY_BYTES, {
            message: `must decode to at least ${MIN_TOKEN_KEY_BYTES} bytes (RFC 2104 §3)`,
          }),
        /** Token lifetime, in s (6 h: longer than a feature film, short enough to limit sharing). */
        ttlS: z
          .number()
          .int()
          .min(60)
          .max(7 * 86_400)
          .default(21_600),
      })
      .strict()
      .optional(),
  })
  .strict()
  .prefault({});

export type SteeringConfig = Readonly<z.output<typeof steeringConfigSchema>>;
