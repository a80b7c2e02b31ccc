import { z } from 'zod';

/** `proactiveFill` in the edge config: popularity-driven fill (see edge/fill/proactive.ts). */
export const proactiveFillConfigSchema = z
  .object({
    /** Start runs on a schedule, from the origin's `GET /v1/popularity` (POST /admin/fill works either way). */
    enabled: z.boolean().default(false),
    /** How often the schedule looks whether a run should start, in s (a run starts only inside the window). */
    intervalS: z.number().int().min(1).max(86_400).default(3600),
    /**
     * The daily fill window, [start, end) in whole UTC hours; it may wrap midnight, equal hours mean
     * all day. 02–06 is the trough of residential streaming traffic, where Open Connect fills too.
     * Scheduled runs stop when it closes; runs started by POST /admin/fill ignore it.
     */
    windowStartHourUtc: z.number().int().min(0).max(23).default(2),
    /** End of the daily fill window, in whole UTC hours (exclusive; 24 is midnight). */
    windowEndHourUtc: z.number().int().min(0).max(24).default(6),
    /**
     * Fill bandwidth cap, in bit/s (token bucket over object sizes). 200 Mbit/s fills ~90 GB in a
     * 4 h window and leaves most of a 10 Gbit/s uplink to clients.
     */
    bandwidthBps: z.number().int().min(8000).max(1e12).default(200_000_000),
    /** Bytes one run may fill at most; absent: no cap besides the window, bandwidth and room. */
    maxBytesPerRun: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    /** Titles a popularity run takes from the origin's list, hottest first. */
    popularityLimit: z.number().int().min(1).max(1000).default(200),
    /** Objects fetched at once (the bucket paces them): enough to hide per-object round trips. */
    concurrency: z.number().int().min(1).max(64).default(4),
    /**
     * A title served to a client from this node within this many seconds is never displaced to
     * make room: it is this node's own working set, whatever the fleet-wide popularity says. A day
     * covers the last evening peak.
     */
    protectServedWithinS: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400)
      .default(86_400),
    /** The origin's read-only token for `GET /v1/popularity` (EDGE_ORIGIN_READ_TOKEN). */
    originReadToken: z.string().min(1).max(4096).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.enabled && c.originReadToken === undefined) {
      ctx.addIssue({ code: 'custom', path: ['originReadToken'], message: 'required when enabled' });
    }
  });

export type ProactiveFillConfig = z.output<typeof proactiveFillConfigSchema>;
