import { z } from 'zod';

/** `prefetch` in the edge config: CMCD next-object prefetch (see edge/fill/prefetch.ts). */
export const prefetchConfigSchema = z
  .object({
    /** Act on CMCD `nor`/`nrr` hints (CTA-5004 §3.3.2). */
    enabled: z.boolean().default(true),
    /**
     * Prefetches fetching at once: 8 of the 32 default upstream connections, so that client misses
     * always find most of the pool free.
     */
    concurrency: z.number().int().min(1).max(256).default(8),
    /**
     * Hints waiting for a free slot; newer ones are dropped beyond it. 64 hints are about two
     * seconds of next-segment hints from 100 sessions with 4 s segments (a hint older than that is
     * usually overtaken by the client's own request).
     */
    queueMax: z.number().int().min(0).max(100_000).default(64),
    /**
     * Client requests in flight above which hints are dropped: the node is busy serving, and a
     * prefetch would compete with requests someone is waiting for.
     */
    maxInflightRequests: z.number().int().min(0).max(10_000_000).default(2000),
    /**
     * Event-loop lag above which hints are dropped, in ms (p99 over the last second). 50 ms is
     * where a memory hit's latency is dominated by the wait for the loop, not by the send.
     */
    maxEventLoopLagMs: z.number().min(0).max(60_000).default(50),
    /**
     * How long after a prefetch a client request for the object counts it as used, in ms. A player
     * asks for the next segment within one segment duration (2–10 s) unless its buffer is full;
     * 60 s covers a full 30 s buffer plus a stall.
     */
    usedWindowMs: z.number().int().min(1).max(3_600_000).default(60_000),
    /** Prefetched keys remembered for the used/wasted count (about 100 bytes each). */
    maxTracked: z.number().int().min(1).max(1_000_000).default(10_000),
  })
  .strict();

export type PrefetchConfig = z.output<typeof prefetchConfigSchema>;
