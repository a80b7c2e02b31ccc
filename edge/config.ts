import { hostname } from 'node:os';
import { z } from 'zod';
import { envValue, loadConfig, readConfigFile } from '../common/config.js';
import { EDGE_ID_PATTERN } from '../common/steeringProtocol.js';
import { bgpConfigSchema } from './bgp/config.js';
import { DISK_REVERIFY_INTERVAL_MS } from './cache/diskStore.js';
import { OPEN_FILES_DEFAULT_MAX } from './cache/openFiles.js';
import { controlConfigFromInput, controlConfigSchema, type ControlConfig } from './control/config.js';
import { staticRoutes } from './control/staticFeed.js';
import { prefetchConfigSchema } from './fill/prefetchConfig.js';
import { proactiveFillConfigSchema } from './fill/proactiveConfig.js';
import { MIN_TOKEN_KEY_BYTES } from './tokens/token.js';
import { WORKER_IDENTITY_ENV, type WorkerIdentity } from './workerIdentity.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** Admin tokens are compared as SHA-256 digests; at least 16 characters so that guessing is hopeless. */
const adminToken = z.string().min(16, 'must be at least 16 characters').max(4096);

/** A token signing key: base64 (standard or url-safe) of at least MIN_TOKEN_KEY_BYTES bytes. */
const tokenKey = z
  .string()
  .regex(/^[A-Za-z0-9+/_-]+={0,2}$/, 'must be base64')
  .refine((text) => Buffer.from(text, 'base64').length >= MIN_TOKEN_KEY_BYTES, {
    message: `must decode to at least ${MIN_TOKEN_KEY_BYTES} bytes (RFC 2104 §3)`,
  });

/** A node id: an sf-token (RFC 8941 §3.3.4), so letters, digits and `-._:` only. */
const nodeIdSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9._:-]{0,62}$/, 'must be a token: a letter, then letters, digits, -._:');

/** A key id of a keyring (URL tokens, fill tokens): travels inside tokens. */
const keyIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 of A-Z a-z 0-9 _ -');

/**
 * Another edge this node fills from (a peer of its cluster, or a parent). The id is the input of
 * rendezvous hashing, so it must be the same on every node and survive a change of address.
 */
const upstreamEdgeSchema = z
  .object({
    id: nodeIdSchema,
    /** Base URL: `/content/...` is appended to its path, as for the origin. */
    url: z.url({ protocol: /^https?$/ }),
    /** Relative capacity in the rendezvous ranking (edge/placement/hrw.ts); 1 when absent. */
    weight: z.number().positive().max(1_000_000).optional(),
  })
  .strict();

/**
 * The control-plane client section of the edge config (edge/control/config.ts), where what the
 * edge knows already may be left out: `edgeId` defaults to `nodeId`, `originUrl` to the edge's,
 * `cluster` to `cluster.id`, and `publicUrl` to the URL the edge listens on (see controlConfigOf).
 */
const edgeControlSchema = controlConfigSchema.extend({
  edgeId: controlConfigSchema.shape.edgeId.optional(),
  originUrl: controlConfigSchema.shape.originUrl.optional(),
  cluster: controlConfigSchema.shape.cluster.optional(),
  publicUrl: controlConfigSchema.shape.publicUrl.optional(),
});

/** Listen addresses that name no one address, so no URL a player could use. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);

/** No two members of a list share an id. */
function checkUniqueIds(
  list: readonly { id: string }[],
  path: (string | number)[],
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    if (seen.has(item.id))
      ctx.addIssue({ code: 'custom', path: [...path, i, 'id'], message: 'duplicate id' });
    seen.add(item.id);
  });
}

export const edgeConfigSchema = z
  .object({
    /**
     * This node's name: first parameter of every `Cache-Status` (RFC 9211 §2) and the `node` label.
     * An sf-token, so letters, digits and `-._:` only.
     */
    nodeId: nodeIdSchema.default('edge'),
    /** Where the HTTP server listens (players, peers, child edges, admin, metrics). */
    listen: z
      .object({
        /** Address to listen on: 127.0.0.1 by default; `0.0.0.0` or `::` for every interface. */
        host: z.string().min(1).default('127.0.0.1'),
        /** TCP port; 0 picks a free one. */
        port: z.number().int().min(0).max(65535).default(8081),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8081 }),
    /** Where fills go: the origin's base URL (`/content/...` is appended to its path). */
    originUrl: z.url({ protocol: /^https?$/ }),
    /** The memory tier (always present): the hot set, answered straight from the request callback. */
    memory: z
      .object({
        /** Bound of the memory tier in bytes (bodies plus per-entry overhead). 256 MiB by default. */
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .default(256 * MIB),
      })
      .strict()
      .default({ maxBytes: 256 * MIB }),
    /** The disk tier; none when absent (memory only). */
    disk: z
      .object({
        /** Directory of the disk tier (created if missing); with `--workers`, one `worker-<i>` per worker. */
        dir: z.string().min(1),
        /** Bound of the disk tier in bytes. 10 GiB by default. */
        maxBytes: z
          .number()
          .int()
          .min(1024 * 1024)
          .default(10 * GIB),
        /**
         * How long a body's SHA-256 check holds, in ms: an object read again after that is hashed
         * again (sizes are checked on every read). 0 hashes every read, at 35-44% of a disk hit's CPU.
         */
        reverifyIntervalMs: z
          .number()
          .int()
          .min(0)
          .max(7 * 24 * 3_600_000)
          .default(DISK_REVERIFY_INTERVAL_MS),
        /** Object files kept open between reads, per worker: the hot set served from disk without an open per hit. */
        openFilesMax: z.number().int().min(0).max(1_000_000).default(OPEN_FILES_DEFAULT_MAX),
      })
      .strict()
      .optional(),
    /** URL tokens (HMAC-SHA256 signed URLs) checked on `/content` requests. */
    tokens: z
      .object({
        /** Whether every `/content` request must carry a valid URL token (`token` query parameter). */
        required: z.boolean().default(false),
        /** Signing keys by key id, base64; several while keys rotate. */
        keys: z.record(keyIdSchema, tokenKey).default({}),
      })
      .strict()
      .default({ required: false, keys: {} }),
    /**
     * The cluster this node belongs to: edges of one site that share their caches. A miss asks the
     * key's owner among them first (rendezvous hashing on the cache key; see edge/fill/sources.ts),
     * so the site stores each object once. Absent: a lone node.
     */
    cluster: z
      .object({
        /** The cluster's name, this node's cdn-id in `CDN-Loop` (RFC 8586); the same on every member. */
        id: z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9._-]{0,62}$/, 'must be a token: a letter, then letters, digits, -._'),
        /** Every member, this node included or not (the same list on every member is simplest). */
        peers: z.array(upstreamEdgeSchema).max(1024).default([]),
      })
      .strict()
      .optional(),
    /** The parent tier, asked after the peers and before the origin (rendezvous-ordered per key). */
    parents: z.array(upstreamEdgeSchema).max(64).default([]),
    /**
     * Fill tokens: how peers and child edges are let in when `tokens.required` (see
     * edge/fill/fillAuth.ts). `keys` are accepted on requests that carry `CDN-Fill-Token`;
     * `signingKeyId` names the key this node signs its own peer and parent requests with.
     */
    fillAuth: z
      .object({
        /** Fill token keys by key id, base64 (the same on every edge of the fleet). */
        keys: z.record(keyIdSchema, tokenKey).default({}),
        signingKeyId: keyIdSchema.optional(),
      })
      .strict()
      .prefault({}),
    /** How fills pick, retry and hold their sources' answers. */
    fill: z
      .object({
        /**
         * Back-off of a failed source after its first failure, in ms; doubled on each further one
         * (gRPC connection back-off, doc/connection-backoff.md, starts at 1 s too).
         */
        backoffMinMs: z.number().int().min(1).max(600_000).default(1000),
        /**
         * Cap of a source's back-off, in ms: a restarted peer is asked again within 30 s, and the
         * next source carries its load meanwhile.
         */
        backoffMaxMs: z.number().int().min(1).max(3_600_000).default(30_000),
        /**
         * Upstream requests one fill may make, all sources together (a stale keep-alive retry
         * included): two peers, two parents, the origin and one retry.
         */
        maxAttempts: z.number().int().min(1).max(32).default(6),
        /**
         * No further source is tried once a fill has been waiting this long for a response head,
         * in ms: half of a player's usual request timeout (Bitmovin's default is 20 s), so the
         * answer, good or an error, comes while the player still waits for it.
         */
        attemptBudgetMs: z.number().int().min(1).max(600_000).default(10_000),
        /**
         * Largest body a fill holds in memory, in bytes. Smaller objects are assembled in memory
         * and stored in the memory tier; larger ones stream to the disk tier as they arrive and are
         * never held whole (not stored at all on a node without disk), and requests that join once
         * more than this has arrived are forwarded instead of replayed. 8 MiB: a 4 s segment at
         * 16 Mbit/s, the top of a 4K ladder.
         */
        bufferMaxBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .max(GIB)
          .default(8 * MIB),
      })
      .strict()
      .prefault({}),
    /** Bearer token of `/admin/*` (EDGE_ADMIN_TOKEN); admin endpoints answer 401 without one configured. */
    adminToken: adminToken.optional(),
    /** Query parameters that select content and so belong in the cache key (see cacheKeyFor). */
    queryWhitelist: z.array(z.string().min(1)).default([]),
    /** The connection pool to the origin. */
    upstream: z
      .object({
        /** TCP connect timeout to the origin, in ms: loopback or a LAN answers in well under 1 s. */
        connectTimeoutMs: z.number().int().min(1).max(120_000).default(2000),
        /**
         * Time until the origin's response head, in ms. The origin serves files from disk; 5 s is far
         * beyond its p99 and still below a player's segment request timeout (dash.js: 10 s).
         */
        headersTimeoutMs: z.number().int().min(1).max(600_000).default(5000),
        /** Longest idle gap between two body chunks, in ms (undici bodyTimeout). */
        bodyTimeoutMs: z.number().int().min(1).max(600_000).default(10_000),
        /** Keep-alive connections per origin: enough for the coalesced miss rate of one node. */
        connections: z.number().int().min(1).max(1024).default(32),
        /** Idle keep-alive connections are closed after this, in ms (below the origin's 72 s). */
        keepAliveTimeoutMs: z.number().int().min(1).max(600_000).default(30_000),
      })
      .strict()
      .default({
        connectTimeoutMs: 2000,
        headersTimeoutMs: 5000,
        bodyTimeoutMs: 10_000,
        connections: 32,
        keepAliveTimeoutMs: 30_000,
      }),
    /** Client-side limits: a slow or hostile client cannot hold a connection or memory for long. */
    http: z
      .object({
        /**
         * Largest request head in bytes; larger ones get 431 (node:http maxHeaderSize). 16 KiB: a
         * token-bearing segment URL plus CMCD headers is under 2 KiB; nginx allows 8 KiB per line.
         */
        maxHeaderBytes: z
          .number()
          .int()
          .min(1024)
          .max(1024 * 1024)
          .default(16 * 1024),
        /**
         * Longest time a client may take to send its request head, in ms (node:http headersTimeout;
         * nginx client_header_timeout is 60 s, 10 s is ample on any network that plays video).
         */
        headersTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
        /**
         * Longest time without any progress on a connection with a request in flight, in ms: a client
         * that stops reading a body is cut after this (nginx send_timeout, 60 s by default; a player
         * whose buffer is full stops reading for at most a segment duration or two).
         */
        sendTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
      })
      .strict()
      .default({ maxHeaderBytes: 16 * 1024, headersTimeoutMs: 10_000, sendTimeoutMs: 30_000 }),
    /** Overrides of DEFAULT_FRESHNESS_POLICY (edge/policy/freshness.ts). */
    freshness: z
      .object({
        /** Freshness of a 404 or 410 without explicit freshness, in s (default 10). */
        negativeTtlS: z.number().min(0).max(86_400).optional(),
        /** How long past staleness a response may be served when upstream fails, in s (default 10). */
        staleIfErrorDefaultS: z.number().min(0).max(86_400).optional(),
        /** Honour clients' request directives (`no-cache`, `max-age`, ...); off by default. */
        honourRequestCacheControl: z.boolean().optional(),
      })
      .strict()
      .default({}),
    /** CMCD next-object prefetch (edge/fill/prefetchConfig.ts). */
    prefetch: prefetchConfigSchema.prefault({}),
    /** Popularity-driven proactive fill (edge/fill/proactiveConfig.ts). */
    proactiveFill: proactiveFillConfigSchema.prefault({}),
    /** Least severe level logged (pino); `silent` logs nothing. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * Worker processes sharing the port and the cache (edge/cluster.ts): a number, or `auto` for
     * one per core (os.availableParallelism). 1 runs the node in a single process.
     */
    workers: z.union([z.number().int().min(1).max(256), z.literal('auto')]).default(1),
    /**
     * One log line per /content request (method, path, status, bytes, duration, cache status).
     * Off by default: at tens of thousands of hits per second the log costs more than the hit.
     */
    accessLog: z.boolean().default(false),
    /**
     * The BGP speaker (edge/bgp/config.ts): sessions with the ISP's routers, which announce the
     * client prefixes this node serves. With `control`, those routes go to the steering control
     * plane. With `--workers`, worker 0 runs it.
     */
    bgp: bgpConfigSchema.optional(),
    /**
     * The steering control plane client (edge/control/config.ts): registration and heartbeats with
     * health, load, drain state, cached titles and routes (from `bgp`, else `staticRoutes` or
     * `staticRoutesFile`). With `--workers`, worker 0 runs it.
     */
    control: edgeControlSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.tokens.required && Object.keys(c.tokens.keys).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['tokens', 'keys'], message: 'required when tokens.required' });
    }
    const signing = c.fillAuth.signingKeyId;
    if (signing !== undefined && !Object.hasOwn(c.fillAuth.keys, signing)) {
      ctx.addIssue({
        code: 'custom',
        path: ['fillAuth', 'signingKeyId'],
        message: 'not a key of fillAuth.keys',
      });
    }
    if (c.fill.backoffMinMs > c.fill.backoffMaxMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['fill', 'backoffMinMs'],
        message: 'must not exceed backoffMaxMs',
      });
    }
    if (c.cluster !== undefined) checkUniqueIds(c.cluster.peers, ['cluster', 'peers'], ctx);
    checkUniqueIds(c.parents, ['parents'], ctx);
    if (c.parents.some((p) => p.id === c.nodeId)) {
      ctx.addIssue({ code: 'custom', path: ['parents'], message: 'a node cannot be its own parent' });
    }
    checkSteeringSections(c, ctx);
  });

/** What `bgp` and `control` need from each other and from the rest of the edge config. */
function checkSteeringSections(
  c: {
    nodeId: string;
    listen: { host: string; port: number };
    cluster?: { id: string } | undefined;
    bgp?: { listen: { host: string; port: number } } | undefined;
    control?: z.output<typeof edgeControlSchema> | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  const issue = (path: (string | number)[], message: string): void =>
    ctx.addIssue({ code: 'custom', path, message });
  const { bgp, control } = c;
  if (bgp !== undefined && bgp.listen.port !== 0 && bgp.listen.port === c.listen.port) {
    const sameHost =
      bgp.listen.host === c.listen.host ||
      WILDCARD_HOSTS.has(bgp.listen.host) ||
      WILDCARD_HOSTS.has(c.listen.host);
    if (sameHost)
      issue(['bgp', 'listen', 'port'], `the HTTP server listens on port ${c.listen.port} already`);
  }
  if (control === undefined) return;
  if (control.edgeId === undefined && !EDGE_ID_PATTERN.test(c.nodeId)) {
    // Edge ids are HLS pathway and DASH serviceLocation ids: no ':' (which node ids may have).
    issue(
      ['control', 'edgeId'],
      `required: nodeId ${JSON.stringify(c.nodeId)} is not a valid edge id (a letter, then letters, digits, ".", "_", "-"; no ":")`,
    );
  }
  if (control.cluster === undefined && c.cluster === undefined)
    issue(['control', 'cluster'], 'required when the edge has no cluster.id');
  if (control.publicUrl === undefined && WILDCARD_HOSTS.has(c.listen.host)) {
    issue(
      ['control', 'publicUrl'],
      `required when listen.host is ${JSON.stringify(c.listen.host)} (players need an address)`,
    );
  }
  const hasStatic = control.staticRoutes !== undefined || control.staticRoutesFile !== undefined;
  if (bgp !== undefined && hasStatic) {
    issue(
      ['control', control.staticRoutes !== undefined ? 'staticRoutes' : 'staticRoutesFile'],
      'not used with bgp: the BGP speaker is the route source',
    );
  }
  if (control.staticRoutes !== undefined && control.staticRoutesFile !== undefined)
    issue(['control', 'staticRoutesFile'], 'give staticRoutes or staticRoutesFile, not both');
  if (control.staticRoutes !== undefined) {
    try {
      staticRoutes(control.staticRoutes, 'route');
    } catch (err) {
      issue(['control', 'staticRoutes'], (err as Error).message);
    }
  }
}

export type EdgeConfigInput = z.input<typeof edgeConfigSchema>;
export type EdgeConfig = Readonly<z.output<typeof edgeConfigSchema>>;

/** Validates an edge configuration object (defaults filled, frozen). */
export function edgeConfigFromInput(input: unknown, sourceName = 'edge config'): EdgeConfig {
  return loadConfig(edgeConfigSchema, input, sourceName);
}

/**
 * The control client's settings with the defaults the edge supplies (see edgeControlSchema):
 * `listeningUrl` is what the edge answers at (app.listen), used as `publicUrl` when none is set.
 * Undefined without a `control` section.
 */
export function controlConfigOf(config: EdgeConfig, listeningUrl: string): ControlConfig | undefined {
  const control = config.control;
  if (control === undefined) return undefined;
  return controlConfigFromInput(
    {
      ...control,
      edgeId: control.edgeId ?? config.nodeId,
      originUrl: control.originUrl ?? config.originUrl,
      cluster: control.cluster ?? config.cluster?.id,
      publicUrl: control.publicUrl ?? listeningUrl,
    },
    'edge config control',
  );
}

function keyringOf(keys: Readonly<Record<string, string>>): ReadonlyMap<string, Uint8Array> {
  return new Map(Object.entries(keys).map(([kid, key]) => [kid, Buffer.from(key, 'base64')]));
}

/** The keyring of verifyToken from the configured base64 keys. */
export function tokenKeyring(config: EdgeConfig): ReadonlyMap<string, Uint8Array> {
  return keyringOf(config.tokens.keys);
}

/** The keyring fill tokens are verified with (`fillAuth.keys`). */
export function fillKeyring(config: EdgeConfig): ReadonlyMap<string, Uint8Array> {
  return keyringOf(config.fillAuth.keys);
}

/**
 * This process's worker identity when the `cdn edge --workers` primary started it (the
 * CDN_EDGE_WORKER variable, JSON); undefined otherwise. Malformed values are a bug, so they throw.
 */
export function workerIdentityFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): WorkerIdentity | undefined {
  const text = env[WORKER_IDENTITY_ENV];
  if (text === undefined) return undefined;
  return loadConfig(
    z
      .object({
        index: z.number().int().min(0),
        internalPorts: z.array(z.number().int().min(1).max(65535)).min(1),
        secret: z.string().min(16),
      })
      .strict()
      .refine((w) => w.index < w.internalPorts.length, { message: 'index beyond the worker count' }),
    JSON.parse(text),
    WORKER_IDENTITY_ENV,
  );
}

/** glibc mmap threshold for worker processes, in bytes: below a 1 MiB segment, above small manifests. */
const MALLOC_MMAP_THRESHOLD_BYTES = 128 * 1024;

/**
 * Environment for forked workers: glibc keeps freed large blocks (cache bodies) in its heap unless
 * they are mmapped; a 128 KiB threshold brings RSS from ~1.18x to ~1.03x the cache size
 * (bench:edge). glibc reads it at process start, so the primary sets it for its workers (deploy/
 * sets it for single processes). An operator's own value wins.
 */
export function workerMallocEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  return { MALLOC_MMAP_THRESHOLD_: env.MALLOC_MMAP_THRESHOLD_ ?? String(MALLOC_MMAP_THRESHOLD_BYTES) };
}

/**
 * The edge settings the environment may carry: EDGE_NODE_ID (default: the host name when neither
 * file nor flags name one), EDGE_HOST, EDGE_PORT, EDGE_ORIGIN_URL, EDGE_ADMIN_TOKEN, EDGE_DISK_DIR,
 * EDGE_LOG_LEVEL, EDGE_ORIGIN_READ_TOKEN (proactiveFill.originReadToken). EDGE_CONTROL_TOKEN
 * (control.token) applies in loadEdgeConfig, to a `control` section from the file.
 */
export function edgeEnvInput(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const nodeId = envValue(env, 'EDGE_NODE_ID');
  if (nodeId !== undefined) out.nodeId = nodeId;
  const originUrl = envValue(env, 'EDGE_ORIGIN_URL');
  if (originUrl !== undefined) out.originUrl = originUrl;
  const adminTokenValue = envValue(env, 'EDGE_ADMIN_TOKEN');
  if (adminTokenValue !== undefined) out.adminToken = adminTokenValue;
  const logLevel = envValue(env, 'EDGE_LOG_LEVEL');
  if (logLevel !== undefined) out.logLevel = logLevel;
  const host = envValue(env, 'EDGE_HOST');
  const port = envValue(env, 'EDGE_PORT');
  if (host !== undefined || port !== undefined) {
    const listen: Record<string, unknown> = {};
    if (host !== undefined) listen.host = host;
    // A non-numeric port stays a string so that validation names the key.
    if (port !== undefined) listen.port = /^\d+$/.test(port) ? Number(port) : port;
    out.listen = listen;
  }
  const diskDir = envValue(env, 'EDGE_DISK_DIR');
  if (diskDir !== undefined) out.disk = { dir: diskDir };
  const readToken = envValue(env, 'EDGE_ORIGIN_READ_TOKEN');
  if (readToken !== undefined) out.proactiveFill = { originReadToken: readToken };
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Merges plain objects key by key (later wins); anything else is replaced. */
function merge(...layers: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      const prior = out[key];
      out[key] = isObject(prior) && isObject(value) ? merge(prior, value) : value;
    }
  }
  return out;
}

/**
 * The edge configuration from its three sources, later ones winning (nested objects merged): the
 * JSON config file (if any), the environment (see edgeEnvInput), then command-line flags.
 */
export async function loadEdgeConfig(sources: {
  configPath?: string;
  flags?: Record<string, unknown>;
  env?: Readonly<Record<string, string | undefined>>;
}): Promise<EdgeConfig> {
  const file = sources.configPath === undefined ? {} : await readConfigFile(sources.configPath);
  const envVars = sources.env ?? process.env;
  const env = edgeEnvInput(envVars);
  const merged = merge(file, env, sources.flags ?? {});
  // EDGE_CONTROL_TOKEN keeps the edge's control-plane secret out of the file; it completes a
  // `control` section and makes none on its own.
  const controlToken = envValue(envVars, 'EDGE_CONTROL_TOKEN');
  if (controlToken !== undefined && isObject(merged.control))
    merged.control = { ...merged.control, token: controlToken };
  if (merged.nodeId === undefined) {
    // A node's default name is its host name, made a token.
    const name = hostname().replace(/[^A-Za-z0-9._:-]/g, '-');
    merged.nodeId = /^[A-Za-z]/.test(name) ? name.slice(0, 63) : `edge-${name}`.slice(0, 63);
  }
  return edgeConfigFromInput(merged, sources.configPath ?? 'edge config');
}
