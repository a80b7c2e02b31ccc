/**
 * A session's timeline for plots: the buffer level and the rung playing over time, reconstructed
 * from a finished session's result (pure).
 *
 * The model is the engine's own (playback.ts): the playhead stays at 0 until startup, then advances
 * 1x except during the recorded stalls; a segment adds its media duration to the buffer when its
 * download completes. The buffer at time t is the media downloaded by t minus the playhead, and
 * the rung playing is the one of the loaded segment under the playhead (during a stall: the last
 * one, frozen).
 */
import { PlayerErrorCode, playerError } from './errors.js';
import type { LoadedSegment, SessionResult } from './session.js';

export interface TimelinePoint {
  /** Ms after the session's start. */
  tMs: number;
  /** Bitrate of the rung playing at tMs, kbit/s; undefined before playback starts. */
  bitrateKbps: number | undefined;
  /** Seconds of media buffered ahead of the playhead at tMs. */
  bufferS: number;
}

export interface TimelineOptions {
  /** Regular sampling between the exact breakpoints, ms (default DEFAULT_TIMELINE_STEP_MS). */
  stepMs?: number;
}

/**
 * Default sampling step, ms: 1 s is finer than any segment (2-10 s) yet keeps a 30-minute session
 * to about 2000 points. The breakpoints where the curves change slope are always included, so the
 * step only adds intermediate points, never accuracy.
 */
export const DEFAULT_TIMELINE_STEP_MS = 1000;

/** Tolerance of time and position comparisons, ms (float sums of ms values). */
const EPSILON_MS = 1e-6;

/** Index of the first element of ascending `values` above `x` (or at least `x` when `inclusive` is false). */
function upperBound(values: readonly number[], x: number, inclusive: boolean): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = values[mid]!;
    if (inclusive ? v <= x : v < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function prefixSums(values: readonly number[]): number[] {
  const sums = [0];
  for (const v of values) sums.push(sums.at(-1)! + v);
  return sums;
}

/** What the timeline needs of a session, pre-sorted, with prefix sums for O(log n) lookups. */
class SessionModel {
  private readonly segments: LoadedSegment[];
  private readonly segmentEnds: number[];
  private readonly bufferedAfter: number[];
  private readonly mediaStarts: number[];
  private readonly stallStarts: number[];
  private readonly stallEnds: number[];
  private readonly stalledAfter: number[];
  readonly playStartMs: number | undefined;

  constructor(private readonly result: SessionResult) {
    // The engine loads segments in media order, one after the other: completion order = media order.
    this.segments = [...result.segments].sort((a, b) => a.mediaStartMs - b.mediaStartMs);
    this.segmentEnds = this.segments.map((s) => s.endMs);
    this.bufferedAfter = prefixSums(this.segments.map((s) => s.durationMs));
    this.mediaStarts = this.segments.map((s) => s.mediaStartMs);
    const stalls = [...result.rebuffers].sort((a, b) => a.startMs - b.startMs);
    this.stallStarts = stalls.map((r) => r.startMs);
    this.stallEnds = stalls.map((r) => r.startMs + r.durationMs);
    this.stalledAfter = prefixSums(stalls.map((r) => r.durationMs));
    this.playStartMs =
      result.startupDelayMs === undefined ? undefined : result.startMs + result.startupDelayMs;
  }

  /** Segments whose download completed before `tMs` (`inclusive`: at or before). */
  loadedCount(tMs: number, inclusive: boolean): number {
    return upperBound(this.segmentEnds, tMs, inclusive);
  }

  /** Stall time before tMs, ms. */
  private stalledBefore(tMs: number): number {
    const started = upperBound(this.stallStarts, tMs, false);
    if (started === 0) return 0;
    const last = started - 1;
    return this.stalledAfter[last]! + Math.min(tMs, this.stallEnds[last]!) - this.stallStarts[last]!;
  }

  /** The playhead (media ms played) at tMs with `loaded` segments in the buffer. */
  positionAt(tMs: number, loaded: number): number {
    if (this.playStartMs === undefined || tMs <= this.playStartMs) return 0;
    const played = tMs - this.playStartMs - this.stalledBefore(tMs);
    return Math.max(0, Math.min(played, this.result.playedMs, this.bufferedAfter[loaded]!));
  }

  bufferedMs(loaded: number): number {
    return this.bufferedAfter[loaded]!;
  }

  /** The loaded segment under the playhead (the last one when the playhead is at its end). */
  segmentAt(positionMs: number, loaded: number): LoadedSegment | undefined {
    const index = Math.min(upperBound(this.mediaStarts, positionMs + EPSILON_MS, true), loaded) - 1;
    return index >= 0 ? this.segments[index] : undefined;
  }

  /** When the playhead reached media position `positionMs` (session clock), or undefined if never. */
  timeAtPosition(positionMs: number): number | undefined {
    if (this.playStartMs === undefined || positionMs > this.result.playedMs + EPSILON_MS) return undefined;
    let cursorMs = this.playStartMs;
    let cursorPosition = 0;
    for (let i = 0; i < this.stallStarts.length; i++) {
      const start = this.stallStarts[i]!;
      if (start < cursorMs) continue;
      const atStall = cursorPosition + (start - cursorMs);
      if (atStall >= positionMs - EPSILON_MS) break;
      cursorPosition = atStall;
      cursorMs = this.stallEnds[i]!;
    }
    return cursorMs + (positionMs - cursorPosition);
  }

  /** Times the session recorded at which a curve changes slope or jumps. */
  recordedBreakpoints(): number[] {
    const times = [this.result.startMs, this.result.endMs, ...this.segmentEnds];
    if (this.playStartMs !== undefined) times.push(this.playStartMs);
    for (let i = 0; i < this.stallStarts.length; i++) times.push(this.stallStarts[i]!, this.stallEnds[i]!);
    return times;
  }

  /** Times at which the playhead crossed a segment boundary (computed, so within float error). */
  crossings(): number[] {
    const times: number[] = [];
    for (const s of this.segments) {
      for (const p of [s.mediaStartMs, s.mediaStartMs + s.durationMs]) {
        const t = this.timeAtPosition(p);
        if (t !== undefined) times.push(t);
      }
    }
    return times;
  }
}

/**
 * Sorted distinct finite times; a computed time within EPSILON_MS of a recorded one gives way to it
 * (so that, e.g., the end of the title computed from the stalls is the session's recorded end).
 */
function mergeTimes(recorded: readonly number[], computed: readonly number[]): number[] {
  const tagged = [
    ...recorded.map((t) => ({ t, recorded: true })),
    ...computed.map((t) => ({ t, recorded: false })),
  ]
    .filter(({ t }) => Number.isFinite(t))
    .sort((a, b) => a.t - b.t);
  const merged: Array<{ t: number; recorded: boolean }> = [];
  for (const entry of tagged) {
    const last = merged.at(-1);
    if (last === undefined || entry.t - last.t > EPSILON_MS) merged.push(entry);
    else if (entry.recorded && !last.recorded) merged[merged.length - 1] = entry;
  }
  return merged.map(({ t }) => t);
}

/**
 * The buffer level and the rung playing at every breakpoint of the session (startup, each segment's
 * completion, each stall's start and end, the playhead crossing each segment boundary, the end)
 * and every `stepMs` between them, in time order. At a segment's completion two points share the
 * same tMs: the level just before and just after it arrived, so that straight lines between the
 * points draw the buffer exactly. Times are ms after the session's start, within [0, end - start].
 * PLAYER_ERR_INVALID_OPTIONS for a step that is not a positive finite number.
 */
export function sessionTimeline(result: SessionResult, options: TimelineOptions = {}): TimelinePoint[] {
  const stepMs = options.stepMs ?? DEFAULT_TIMELINE_STEP_MS;
  if (!(stepMs > 0) || !Number.isFinite(stepMs)) {
    throw playerError(
      PlayerErrorCode.InvalidOptions,
      `timeline step must be a positive number of ms, got ${stepMs}`,
    );
  }
  const { startMs, endMs } = result;
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs < startMs) return [];
  const model = new SessionModel(result);
  const computed = model.crossings();
  for (let t = startMs + stepMs; t < endMs; t += stepMs) computed.push(t);
  const times = mergeTimes(model.recordedBreakpoints(), computed).filter((t) => t >= startMs && t <= endMs);

  const pointAt = (tMs: number, loaded: number): TimelinePoint => {
    const position = model.positionAt(tMs, loaded);
    const playing =
      model.playStartMs !== undefined && tMs >= model.playStartMs - EPSILON_MS
        ? model.segmentAt(position, loaded)
        : undefined;
    const bufferMs = model.bufferedMs(loaded) - position;
    return {
      tMs: tMs - startMs,
      bitrateKbps: playing === undefined ? undefined : playing.bitrateBps / 1000,
      // Float sums of ms leave crumbs like 1e-11 where the buffer ran dry: that is empty.
      bufferS: bufferMs > EPSILON_MS ? bufferMs / 1000 : 0,
    };
  };

  const points: TimelinePoint[] = [];
  for (const t of times) {
    const before = model.loadedCount(t, false);
    const after = model.loadedCount(t, true);
    if (after !== before) points.push(pointAt(t, before));
    points.push(pointAt(t, after));
  }
  return points;
}
