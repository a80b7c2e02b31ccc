import { z } from 'zod';
import { STRATEGY_PATTERN } from '../../player-sim/events/index.js';

const MIB = 1024 * 1024;

/** The ABR strategies the player ships (player-sim); other names are counted under `other`. */
export const DEFAULT_QOE_STRATEGIES = ['quality', 'throughput', 'bba', 'bola', 'mpc'] as const;

/**
 * The QoE collector's settings (the `qoe` object of the origin config). The ingest token is the
 * origin's top-level `qoeIngestToken`, so that it can come from the environment like the others.
 */
export const qoeConfigSchema = z
  .strictObject({
    /** `file`: the durable NDJSON log (survives restarts); `memory`: bounded, lost on restart. */
    sink: z.enum(['file', 'memory']).default('file'),
    /** Directory of the NDJSON log. Default: `<dataDir>/qoe`. */
    dir: z.string().min(1).optional(),
    /** Most events in one batch: a reporter's second of events for a few hundred sessions. */
    maxBatchEvents: z.number().int().min(1).max(10_000).default(500),
    /** Largest batch body, in bytes: 500 events of about 1 KiB (a session end with its summary). */
    maxBatchBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * MIB)
      .default(512 * 1024),
    /** A log file is rotated once it reaches this size, in bytes. */
    logMaxFileBytes: z
      .number()
      .int()
      .min(4096)
      .max(4096 * MIB)
      .default(32 * MIB),
    /**
     * Log files kept (the oldest is deleted beyond): 4 x 32 MiB hold about half a million events,
     * which the origin replays at start in a few seconds (about 100,000 events/s).
     */
    logMaxFiles: z.number().int().min(1).max(10_000).default(4),
    /** fdatasync each appended batch before answering 2xx (an acknowledged event survives a power loss). */
    fsync: z.boolean().default(true),
    /** Events kept by the memory sink (the oldest are dropped beyond). */
    memoryMaxEvents: z.number().int().min(1).max(100_000_000).default(100_000),
    /** Sessions aggregated in memory; the least recently active are forgotten beyond (bounds memory). */
    maxSessions: z.number().int().min(1).max(10_000_000).default(50_000),
    /**
     * Events per second one client address may send (token bucket refill); 0 turns the limit off.
     * A fleet of 1,000 simulated sessions in one process sends about 200 events/s.
     */
    rateLimitEventsPerS: z.number().min(0).max(1e9).default(2000),
    /** Token bucket size, in events: a client may send this many at once after being idle. */
    rateLimitBurstEvents: z.number().int().min(1).max(1e9).default(10_000),
    /** Client addresses whose buckets are tracked; the least recent are forgotten beyond. */
    rateLimitMaxClients: z.number().int().min(1).max(10_000_000).default(10_000),
    /** Strategy names that get their own metric label (anything else is `other`: labels stay bounded). */
    strategies: z
      .array(z.string().regex(STRATEGY_PATTERN))
      .max(32)
      .default([...DEFAULT_QOE_STRATEGIES]),
    /** Distinct edges that get their own metric label; later ones are counted under `other`. */
    maxEdgeLabels: z.number().int().min(0).max(1000).default(64),
    /**
     * A session counts as active from its first event until its end, or until it has been silent for
     * this long, in s. Players send no heartbeat, so this covers a feature film played without a
     * switch or a stall.
     */
    sessionIdleTimeoutS: z.number().int().min(1).max(86_400).default(3600),
  })
  .superRefine((c, ctx) => {
    if (c.rateLimitEventsPerS > 0 && c.rateLimitBurstEvents < c.maxBatchEvents) {
      ctx.addIssue({
        code: 'custom',
        path: ['rateLimitBurstEvents'],
        message: 'must be at least maxBatchEvents (a full batch must fit in the bucket)',
      });
    }
  });

export type QoeConfig = Readonly<z.output<typeof qoeConfigSchema>>;
