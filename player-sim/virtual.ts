/**
 * Virtual time: a SegmentFetcher whose transfer times come from a network trace (network.ts) and which
 * advances a VirtualClock instead of waiting. A 10-minute session runs in milliseconds and always the
 * same way.
 *
 * By default nothing is requested: the segment's size is the ladder's (`--sizes-only`, exact with a
 * Sabre ladder or a title.json, estimated from bitrates otherwise). A `sizeOf` hook lets a caller get
 * the real size by requesting the segment (at full speed: the clock only moves by the trace).
 */
import { type Clock, VirtualClock } from './clock.js';
import type { NetworkModel } from './network.js';
import type { FetchOptions, FetchResult, SegmentFetcher, SegmentRequest } from './session.js';

/** Virtual time between progress reports during a download, ms (Sabre's `min_progress_time = 50`). */
export const VIRTUAL_PROGRESS_INTERVAL_MS = 50;

export interface VirtualFetcherOptions {
  network: NetworkModel;
  clock: VirtualClock;
  /** Default 50 ms. */
  progressIntervalMs?: number;
  /**
   * Bytes of a segment, e.g. by downloading it for real; default: `request.expectedBytes`. Runs outside
   * virtual time. Rejections end the session as `failed` (like a real fetch error).
   */
  sizeOf?: (request: SegmentRequest, signal: AbortSignal) => Promise<number>;
}

export class VirtualFetcher implements SegmentFetcher {
  private readonly network: NetworkModel;
  private readonly clock: VirtualClock;
  private readonly intervalMs: number;
  private readonly sizeOf: VirtualFetcherOptions['sizeOf'];

  constructor(options: VirtualFetcherOptions) {
    this.network = options.network;
    this.clock = options.clock;
    this.intervalMs = Math.max(1, options.progressIntervalMs ?? VIRTUAL_PROGRESS_INTERVAL_MS);
    this.sizeOf = options.sizeOf;
  }

  async fetch(request: SegmentRequest, options: FetchOptions): Promise<FetchResult> {
    const sizeBytes = this.sizeOf ? await this.sizeOf(request, options.signal) : request.expectedBytes;
    const timing = this.network.download(this.clock.nowMs(), sizeBytes);
    const partial = (atMs: number, loadedBytes: number, aborted: boolean): FetchResult => ({
      receivedBytes: loadedBytes,
      totalBytes: sizeBytes,
      requestMs: timing.requestMs,
      firstByteMs: Math.min(timing.firstByteMs, atMs),
      endMs: atMs,
      aborted,
    });
    if (options.signal.aborted) return partial(timing.requestMs, 0, true);
    for (let t = timing.requestMs + this.intervalMs; t < timing.endMs; t += this.intervalMs) {
      this.clock.advanceTo(t);
      const started = t >= timing.firstByteMs;
      const loaded = started ? this.network.bytesReceived(timing.firstByteMs, sizeBytes, t) : 0;
      options.onProgress({
        loadedBytes: loaded,
        totalBytes: sizeBytes,
        firstByteMs: started ? timing.firstByteMs : undefined,
      });
      if (options.signal.aborted) return partial(t, loaded, true);
    }
    this.clock.advanceTo(timing.endMs);
    return partial(timing.endMs, sizeBytes, false);
  }
}

/** A clock and a trace fetcher sharing it, ready for `runSession`. */
export function virtualSetup(
  network: NetworkModel,
  options: Omit<VirtualFetcherOptions, 'network' | 'clock'> = {},
): { clock: Clock; fetcher: SegmentFetcher } {
  const clock = new VirtualClock();
  return { clock, fetcher: new VirtualFetcher({ ...options, network, clock }) };
}
