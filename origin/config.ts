import { join } from 'node:path';
import { z } from 'zod';
import { envValue, loadConfig, readConfigFile } from '../common/config.js';
import { qoeConfigSchema } from './qoe/config.js';
import { steeringConfigSchema } from './steering/config.js';

const GIB = 1024 * 1024 * 1024;

/** Tokens are compared as SHA-256 digests; at least 16 characters so that guessing is hopeless. */
const token = z.string().min(16, 'must be at least 16 characters').max(4096);

export const originConfigSchema = z
  .object({
    /** Address to listen on: 127.0.0.1 by default; `0.0.0.0` or `::` for every interface. */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port; 0 picks a free one. */
    port: z.number().int().min(0).max(65535).default(8080),
    /** Titles, versions, jobs, staging and job work directories live here (one filesystem). */
    dataDir: z.string().min(1),
    /**
     * Sources named by `POST /v1/titles` must resolve (after symlinks) inside this directory; uploads
     * land in its `uploads/`. Default: `<dataDir>/ingest`.
     */
    ingestDir: z.string().min(1),
    /** Bearer token of the `/v1` API (from ORIGIN_API_TOKEN). Required unless `authDisabled`. */
    apiToken: token.optional(),
    /** A second token that may only read `GET /v1/popularity` (for edges; from ORIGIN_READ_TOKEN). */
    readToken: token.optional(),
    /** Bearer token players must send with QoE events (from ORIGIN_QOE_INGEST_TOKEN); ingest is open without one. */
    qoeIngestToken: token.optional(),
    /** The QoE collector (`/v1/qoe`): sink, limits, metric labels. */
    qoe: qoeConfigSchema.prefault({}),
    /** Serve `/v1` without authentication: for a loopback-only development origin, never in production. */
    authDisabled: z.boolean().default(false),
    /** Encode jobs running at once: each encode already uses every core, so one by default. */
    jobConcurrency: z.number().int().min(1).max(64).default(1),
    /** Queued (not yet running) jobs accepted before `POST /v1/titles` answers 503. */
    maxQueuedJobs: z.number().int().min(1).max(100_000).default(100),
    /** Finished jobs kept on disk and listed by `GET /v1/jobs`; older ones are deleted. */
    jobRetention: z.number().int().min(1).max(1_000_000).default(500),
    /** Encoder concurrency inside one job (default: the encoder's own, cores / 2). */
    encodeConcurrency: z.number().int().min(1).max(64).optional(),
    /** Versions kept per title, newest first; the current version is never deleted. */
    versionRetention: z.number().int().min(1).max(1000).default(3),
    /** Largest multipart upload, in bytes (2 GiB). */
    uploadMaxBytes: z
      .number()
      .int()
      .min(1)
      .max(1024 * GIB)
      .default(2 * GIB),
    /** Largest JSON body on the API, in bytes: job requests are small. */
    jsonBodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(64 * 1024),
    /** Half-life of the per-title request counter, in s (one hour: fill planning sees the last few hours). */
    popularityHalfLifeS: z
      .number()
      .positive()
      .max(30 * 86_400)
      .default(3600),
    /** Titles tracked by the popularity counter; the coldest are dropped beyond this (bounds memory). */
    popularityMaxTitles: z.number().int().min(10).max(10_000_000).default(100_000),
    /**
     * `max-age` of manifests and other files under the unversioned path, in s. Short, because that is
     * how long an edge may keep serving the previous version after a publish.
     */
    manifestMaxAgeS: z.number().int().min(0).max(86_400).default(2),
    /**
     * `stale-while-revalidate` of those files, in s (RFC 5861 §3): edges answer from cache at once
     * while refreshing in the background, so a popular manifest never waits on the origin.
     */
    manifestStaleWhileRevalidateS: z.number().int().min(0).max(86_400).default(30),
    /** `Access-Control-Allow-Origin` for players: `*` or a list of origins. */
    corsOrigins: z.union([z.literal('*'), z.array(z.string().min(1)).min(1)]).default('*'),
    /** The steering control plane: edge registry, selection, content steering (see origin/steering/config.ts). */
    steering: steeringConfigSchema,
    /** Least severe level logged (pino); `silent` logs nothing. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.authDisabled && c.apiToken === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiToken'],
        message: 'required (set ORIGIN_API_TOKEN, or authDisabled / --no-auth for a development origin)',
      });
    }
  });

export type OriginConfigInput = z.input<typeof originConfigSchema>;
export type OriginConfig = Readonly<z.output<typeof originConfigSchema>>;

/** Validates an origin configuration object (defaults filled, frozen). */
export function originConfigFromInput(input: unknown, sourceName = 'origin config'): OriginConfig {
  let withDefaults = input;
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const o = input as Record<string, unknown>;
    if (o.ingestDir === undefined && typeof o.dataDir === 'string' && o.dataDir !== '') {
      withDefaults = { ...o, ingestDir: join(o.dataDir, 'ingest') };
    }
  }
  return loadConfig(originConfigSchema, withDefaults, sourceName);
}

/** The origin settings the environment may carry. */
export function originEnvInput(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Partial<OriginConfigInput> {
  const out: Partial<OriginConfigInput> = {};
  const apiToken = envValue(env, 'ORIGIN_API_TOKEN');
  if (apiToken !== undefined) out.apiToken = apiToken;
  const readToken = envValue(env, 'ORIGIN_READ_TOKEN');
  if (readToken !== undefined) out.readToken = readToken;
  const qoeIngestToken = envValue(env, 'ORIGIN_QOE_INGEST_TOKEN');
  if (qoeIngestToken !== undefined) out.qoeIngestToken = qoeIngestToken;
  const dataDir = envValue(env, 'ORIGIN_DATA_DIR');
  if (dataDir !== undefined) out.dataDir = dataDir;
  const ingestDir = envValue(env, 'ORIGIN_INGEST_DIR');
  if (ingestDir !== undefined) out.ingestDir = ingestDir;
  const host = envValue(env, 'ORIGIN_HOST');
  if (host !== undefined) out.host = host;
  const port = envValue(env, 'ORIGIN_PORT');
  // A non-numeric port stays a string so that validation names the key.
  if (port !== undefined) (out as Record<string, unknown>).port = /^\d+$/.test(port) ? Number(port) : port;
  const logLevel = envValue(env, 'ORIGIN_LOG_LEVEL');
  if (logLevel !== undefined) (out as Record<string, unknown>).logLevel = logLevel;
  return out;
}

/**
 * The origin configuration from its three sources, later ones winning: the JSON config file (if
 * any), the environment (ORIGIN_API_TOKEN, ORIGIN_READ_TOKEN, ORIGIN_QOE_INGEST_TOKEN, ORIGIN_DATA_DIR, ORIGIN_INGEST_DIR,
 * ORIGIN_HOST, ORIGIN_PORT, ORIGIN_LOG_LEVEL), then command-line flags.
 */
export async function loadOriginConfig(sources: {
  configPath?: string;
  flags?: Partial<OriginConfigInput>;
  env?: Readonly<Record<string, string | undefined>>;
}): Promise<OriginConfig> {
  const file = sources.configPath === undefined ? {} : await readConfigFile(sources.configPath);
  return originConfigFromInput(
    { ...file, ...originEnvInput(sources.env ?? process.env), ...(sources.flags ?? {}) },
    sources.configPath ?? 'origin config',
  );
}
