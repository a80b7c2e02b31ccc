/**
 * The buffer and playback model (deterministic, no clock: every call says what time it is).
 *
 * Phases: `startup` until the buffer first reaches the startup threshold, then `playing`; `stalled`
 * when the buffer runs dry before the last segment arrived (rebuffering), back to `playing` once the
 * resume threshold is buffered; `ended` when the last segment has played out. Times are on the
 * session's clock (ms); positions are media time played (ms).
 */

export type PlaybackPhase = 'startup' | 'playing' | 'stalled' | 'ended';

export type PlaybackEvent =
  | { type: 'startup'; atMs: number; startupDelayMs: number }
  | { type: 'rebuffer_start'; atMs: number; positionMs: number }
  | { type: 'rebuffer_end'; atMs: number; positionMs: number; durationMs: number }
  | { type: 'ended'; atMs: number; positionMs: number };

/** A segment in the buffer, as the engine appended it. */
export interface BufferedSegment {
  segmentIndex: number;
  rungIndex: number;
  durationMs: number;
}

/** A finished stall (rebuffering after startup). */
export interface Rebuffer {
  /** When the buffer ran dry, session ms. */
  startMs: number;
  durationMs: number;
  /** Media position where playback froze, ms. */
  positionMs: number;
}

export interface PlaybackOptions {
  /** Session time at which the session started (startup delay counts from here). */
  startMs: number;
  /** Start playing once this much is buffered, ms (0: with the first segment). */
  startupBufferMs: number;
  /** Resume after a stall once this much is buffered, ms (0: with the next segment). */
  rebufferResumeMs: number;
}

export class PlaybackBuffer {
  private phaseValue: PlaybackPhase = 'startup';
  private lastMs: number;
  private position = 0;
  private bufferedUntil = 0;
  private stallStart: number | undefined;
  private startupDelay: number | undefined;
  private complete = false;
  private readonly segmentsValue: Array<BufferedSegment & { mediaStartMs: number }> = [];
  private readonly rebuffersValue: Rebuffer[] = [];

  constructor(private readonly options: PlaybackOptions) {
    this.lastMs = options.startMs;
  }

  get phase(): PlaybackPhase {
    return this.phaseValue;
  }

  /** Media buffered ahead of the playhead, ms. */
  get bufferMs(): number {
    return this.bufferedUntil - this.position;
  }

  /** Media played so far, ms. */
  get positionMs(): number {
    return this.position;
  }

  /** Time of the last update, session ms. */
  get nowMs(): number {
    return this.lastMs;
  }

  get startupDelayMs(): number | undefined {
    return this.startupDelay;
  }

  /** Finished stalls, in order. */
  get rebuffers(): readonly Rebuffer[] {
    return this.rebuffersValue;
  }

  /** When the current stall began (undefined when not stalled). */
  get stalledSinceMs(): number | undefined {
    return this.stallStart;
  }

  /** Every appended segment with the media time it starts at. */
  get segments(): ReadonlyArray<BufferedSegment & { mediaStartMs: number }> {
    return this.segmentsValue;
  }

  /** Plays out the time since the last update; reports a stall or the end at the exact time it began. */
  advanceTo(nowMs: number): PlaybackEvent[] {
    const elapsed = Math.max(0, nowMs - this.lastMs);
    const events: PlaybackEvent[] = [];
    if (this.phaseValue === 'playing' && elapsed > 0) {
      const buffer = this.bufferMs;
      if (elapsed < buffer || (elapsed === buffer && !this.complete)) {
        // Running dry exactly now is not yet a stall: it is one only if time passes with nothing.
        this.position += elapsed;
      } else {
        this.position = this.bufferedUntil;
        const dryAt = this.lastMs + buffer;
        if (this.complete) {
          this.phaseValue = 'ended';
          events.push({ type: 'ended', atMs: dryAt, positionMs: this.position });
        } else {
          this.phaseValue = 'stalled';
          this.stallStart = dryAt;
          events.push({ type: 'rebuffer_start', atMs: dryAt, positionMs: this.position });
        }
      }
    }
    this.lastMs = Math.max(this.lastMs, nowMs);
    return events;
  }

  /** Adds a downloaded segment at `nowMs`; may start playback or end a stall. */
  append(segment: BufferedSegment, nowMs: number): PlaybackEvent[] {
    const events = this.advanceTo(nowMs);
    this.segmentsValue.push({ ...segment, mediaStartMs: this.bufferedUntil });
    this.bufferedUntil += segment.durationMs;
    if (this.phaseValue === 'startup' && this.bufferMs >= this.options.startupBufferMs) {
      events.push(this.start());
    } else if (this.phaseValue === 'stalled' && this.bufferMs >= this.options.rebufferResumeMs) {
      events.push(this.resume());
    }
    return events;
  }

  /** No more segments will come: plays what is buffered even below the thresholds. */
  finish(nowMs: number): PlaybackEvent[] {
    const events = this.advanceTo(nowMs);
    this.complete = true;
    if (this.phaseValue === 'startup' && this.bufferMs > 0) events.push(this.start());
    if (this.phaseValue === 'stalled') events.push(this.resume());
    if (this.phaseValue === 'playing' && this.bufferMs <= 0) {
      this.phaseValue = 'ended';
      events.push({ type: 'ended', atMs: this.lastMs, positionMs: this.position });
    }
    return events;
  }

  /** Total stall time after startup, including a stall still open at `nowMs`. */
  rebufferMsAt(nowMs: number): number {
    const closed = this.rebuffersValue.reduce((sum, r) => sum + r.durationMs, 0);
    return closed + (this.stallStart === undefined ? 0 : Math.max(0, nowMs - this.stallStart));
  }

  /**
   * Ends an open stall at `nowMs` (a session stopped or failed while frozen), so that it is counted.
   * Returns the rebuffer_end event, if any.
   */
  closeStall(nowMs: number): PlaybackEvent[] {
    if (this.stallStart === undefined) return [];
    const event = this.resume(nowMs);
    this.phaseValue = 'ended';
    return [event];
  }

  private start(): PlaybackEvent {
    this.phaseValue = 'playing';
    this.startupDelay = this.lastMs - this.options.startMs;
    return { type: 'startup', atMs: this.lastMs, startupDelayMs: this.startupDelay };
  }

  private resume(atMs = this.lastMs): PlaybackEvent {
    const startMs = this.stallStart ?? atMs;
    const durationMs = Math.max(0, atMs - startMs);
    this.rebuffersValue.push({ startMs, durationMs, positionMs: this.position });
    this.stallStart = undefined;
    this.phaseValue = 'playing';
    return { type: 'rebuffer_end', atMs, positionMs: this.position, durationMs };
  }
}
