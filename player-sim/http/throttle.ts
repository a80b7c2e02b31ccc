/**
 * Reading a response at a trace's rate (pure): a token bucket whose refill rate is the trace's
 * bandwidth at each instant (NetworkModel.capacityBits), in session milliseconds.
 *
 * Bytes taken from the socket spend tokens; once the bucket is in debt the reader pauses the body
 * (backpressure reaches the server through TCP) until the trace has carried the debt. The bucket
 * holds at most BUCKET_DEPTH_MS of bandwidth, so a server that falls silent cannot later burst past
 * the link (a real link does not save unused capacity), while a resume timer that fires a little
 * late loses no capacity. Nothing flows before the request's first-byte time (request + the
 * trace's latency).
 */
import type { NetworkModel } from '../network.js';

/**
 * Capacity a bucket may save, in ms of the current bandwidth: above Node's timer granularity and a
 * busy event loop's lag (tens of ms), so late resumes are credited, and short enough that an idle
 * server cannot burst noticeably.
 */
export const BUCKET_DEPTH_MS = 50;
/** Smallest bucket, bytes: one 16 KiB TLS record / socket read, so a slow trace still moves whole reads. */
export const MIN_BUCKET_DEPTH_BYTES = 16 * 1024;

export class LinkThrottle {
  /** Bytes available (negative: debt to be carried before reading on). */
  private tokens = 0;
  /** Session time the bucket is filled up to. */
  private lastMs: number;
  private taken = 0;

  /** `firstByteMs`: session time at which the first byte may arrive. */
  constructor(
    private readonly network: NetworkModel,
    readonly firstByteMs: number,
  ) {
    this.lastMs = firstByteMs;
  }

  /** Bytes taken from the socket so far. */
  get takenBytes(): number {
    return this.taken;
  }

  /**
   * Records `bytes` read at session time `nowMs`. Returns undefined when reading may go on, else the
   * session time until which it must pause.
   */
  take(bytes: number, nowMs: number): number | undefined {
    this.refill(nowMs);
    this.tokens -= bytes;
    this.taken += bytes;
    return this.tokens < 0 ? this.readyAtMs(nowMs) : undefined;
  }

  /** When the debt is carried (session ms); `nowMs` or the first-byte time when there is none. */
  readyAtMs(nowMs: number): number {
    this.refill(nowMs);
    const from = Math.max(nowMs, this.lastMs);
    return this.tokens >= 0 ? from : this.network.timeToCarry(from, -this.tokens * 8);
  }

  /** Bytes the link has delivered to the player by `nowMs`: those read, less the debt still in the link. */
  deliveredBytes(nowMs: number): number {
    this.refill(nowMs);
    return this.taken - Math.max(0, -this.tokens);
  }

  private refill(nowMs: number): void {
    if (nowMs <= this.lastMs) return;
    const depthBytes = Math.max(
      MIN_BUCKET_DEPTH_BYTES,
      (this.network.bandwidthKbpsAt(nowMs) * BUCKET_DEPTH_MS) / 8,
    );
    this.tokens = Math.min(depthBytes, this.tokens + this.network.capacityBits(this.lastMs, nowMs) / 8);
    this.lastMs = nowMs;
  }
}
