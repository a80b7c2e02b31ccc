/**
 * The trace-driven network model (pure): piecewise-constant bandwidth integrated across intervals,
 * a per-request latency, the trace looping at its end.
 *
 * Times are session milliseconds (0 = the session's start), mapped to trace time by an offset so that
 * sessions may start anywhere in a trace. Sizes inside are bits: with bandwidth in kbit/s, one
 * millisecond at B kbit/s carries exactly B bits.
 *
 * Every query is O(log n) in the number of intervals (binary search over cumulative capacity), so a
 * zero-bandwidth period costs nothing to cross and cannot loop forever; a trace whose bandwidth is zero
 * everywhere is refused when parsed (PLAYER_ERR_TRACE_ALL_ZERO), which is the one case where a download
 * would never end.
 */
import { PlayerErrorCode, playerError } from './errors.js';
import type { Trace } from './trace.js';

/** When a download of some bytes started at some time delivers its first and last byte. */
export interface DownloadTiming {
  /** When the request was sent, session ms. */
  requestMs: number;
  /** Request to first byte, ms: the latency of the trace period the request starts in. */
  latencyMs: number;
  firstByteMs: number;
  /** When the last byte arrives (equal to firstByteMs for 0 bytes). */
  endMs: number;
}

export class NetworkModel {
  readonly trace: Trace;
  /** Session time 0 is this far into the trace, ms (taken modulo the trace duration). */
  readonly offsetMs: number;
  private readonly startsMs: Float64Array;
  /** cumBits[i]: bits the trace carries before interval i within one loop; cumBits[n] is one loop. */
  private readonly cumBits: Float64Array;
  private readonly bandwidths: Float64Array;
  private readonly latencies: Float64Array;
  private readonly loopMs: number;
  private readonly loopBits: number;
  private readonly offsetBits: number;

  constructor(trace: Trace, options: { offsetMs?: number } = {}) {
    const n = trace.intervals.length;
    if (n === 0 || !trace.intervals.some((i) => i.bandwidthKbps > 0)) {
      throw playerError(
        PlayerErrorCode.TraceAllZero,
        `trace ${trace.name}: no bandwidth to carry a download`,
      );
    }
    const offsetMs = options.offsetMs ?? 0;
    if (!Number.isFinite(offsetMs) || offsetMs < 0) {
      throw playerError(PlayerErrorCode.InvalidOptions, `trace offset must be a finite number >= 0 ms`);
    }
    this.trace = trace;
    this.startsMs = new Float64Array(n);
    this.cumBits = new Float64Array(n + 1);
    this.bandwidths = new Float64Array(n);
    this.latencies = new Float64Array(n);
    let t = 0;
    trace.intervals.forEach((interval, i) => {
      this.startsMs[i] = t;
      this.bandwidths[i] = interval.bandwidthKbps;
      this.latencies[i] = interval.latencyMs;
      this.cumBits[i + 1] = this.cumBits[i]! + interval.durationMs * interval.bandwidthKbps;
      t += interval.durationMs;
    });
    this.loopMs = t;
    this.loopBits = this.cumBits[n]!;
    this.offsetMs = offsetMs % this.loopMs;
    this.offsetBits = this.traceCapacity(this.offsetMs);
  }

  /** Bandwidth in effect at a session time, kbit/s. */
  bandwidthKbpsAt(atMs: number): number {
    return this.bandwidths[this.intervalAt(this.loopTime(atMs + this.offsetMs))]!;
  }

  /** Latency of a request sent at a session time, ms. */
  latencyMsAt(atMs: number): number {
    return this.latencies[this.intervalAt(this.loopTime(atMs + this.offsetMs))]!;
  }

  /** Bits the link can carry between session times `fromMs` and `toMs` (0 when to <= from). */
  capacityBits(fromMs: number, toMs: number): number {
    if (toMs <= fromMs) return 0;
    return this.traceCapacity(toMs + this.offsetMs) - this.traceCapacity(fromMs + this.offsetMs);
  }

  /** The earliest session time by which `bits` bits sent from `fromMs` on have arrived. */
  timeToCarry(fromMs: number, bits: number): number {
    if (!(bits > 0)) return fromMs;
    return Math.max(fromMs, this.timeAtCumulativeBits(this.cumulativeBits(fromMs) + bits));
  }

  /**
   * Bits the link carried from session time 0 to `atMs` (plus a constant): with `timeAtCumulativeBits`,
   * answers many downloads from the same start with one lookup of the start.
   */
  cumulativeBits(atMs: number): number {
    return this.traceCapacity(atMs + this.offsetMs) - this.offsetBits;
  }

  /** The earliest session time at which `cumulativeBits` reaches `bits` (> cumulativeBits(0)). */
  timeAtCumulativeBits(bits: number): number {
    return this.traceTimeForCapacity(bits + this.offsetBits) - this.offsetMs;
  }

  /** Timing of a download of `sizeBytes` bytes requested at `requestMs`. */
  download(requestMs: number, sizeBytes: number): DownloadTiming {
    const latencyMs = this.latencyMsAt(requestMs);
    const firstByteMs = requestMs + latencyMs;
    return { requestMs, latencyMs, firstByteMs, endMs: this.timeToCarry(firstByteMs, sizeBytes * 8) };
  }

  /** Bytes of a `sizeBytes` download (first byte at `firstByteMs`) received by `atMs`. */
  bytesReceived(firstByteMs: number, sizeBytes: number, atMs: number): number {
    return Math.min(sizeBytes, this.capacityBits(firstByteMs, atMs) / 8);
  }

  private loopTime(traceMs: number): number {
    const r = traceMs % this.loopMs;
    return r < 0 ? r + this.loopMs : r;
  }

  /** Largest i with startsMs[i] <= t (t within one loop). */
  private intervalAt(t: number): number {
    let lo = 0;
    let hi = this.startsMs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.startsMs[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Bits the trace carries from trace time 0 to `traceMs` (looping). */
  private traceCapacity(traceMs: number): number {
    const loops = Math.floor(traceMs / this.loopMs);
    const t = traceMs - loops * this.loopMs;
    const i = this.intervalAt(t);
    return loops * this.loopBits + this.cumBits[i]! + (t - this.startsMs[i]!) * this.bandwidths[i]!;
  }

  /** Earliest trace time at which the capacity from trace time 0 reaches `bits` (> 0). */
  private traceTimeForCapacity(bits: number): number {
    let loops = Math.floor(bits / this.loopBits);
    let rest = bits - loops * this.loopBits;
    if (rest <= 0) {
      // Exactly a whole number of loops: the capacity was reached during the previous loop.
      loops -= 1;
      rest = this.loopBits;
    }
    // Smallest i with cumBits[i + 1] >= rest; then cumBits[i] < rest, so interval i has bandwidth > 0.
    let lo = 0;
    let hi = this.startsMs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumBits[mid + 1]! >= rest) hi = mid;
      else lo = mid + 1;
    }
    const within = (rest - this.cumBits[lo]!) / this.bandwidths[lo]!;
    return loops * this.loopMs + this.startsMs[lo]! + within;
  }
}
