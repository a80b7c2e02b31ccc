/**
 * The ABR strategy interface. A strategy is pure: it keeps no state of its own, it gets its previous
 * state and the player's situation and returns a decision with its next state. The session engine
 * (virtual or real time alike) owns the state and calls the strategy at three moments: before each
 * request (`decide`), while a segment downloads (`onProgress`, which may abandon it), and after each
 * download or engine-imposed wait (`onDownload`, `onWait`).
 */
import type { PlayerConfig } from '../config.js';
import type { Ladder } from '../ladder.js';
import type { PlaybackPhase } from '../playback.js';
import type { DownloadSample, ThroughputView } from '../throughput.js';

/** Names of the built-in strategies (`cdn play --abr NAME`). */
export const ABR_NAMES = ['quality', 'throughput', 'bba', 'bola', 'mpc'] as const;
export type AbrName = (typeof ABR_NAMES)[number];

/** The player's situation when a strategy is asked. */
export interface AbrContext {
  ladder: Ladder;
  config: Readonly<PlayerConfig>;
  /** Session clock, ms. */
  nowMs: number;
  /** The segment about to be requested (or downloading, in onProgress). */
  segmentIndex: number;
  /** Media buffered ahead of the playhead, ms. */
  bufferMs: number;
  phase: PlaybackPhase;
  /** Rung of the last segment appended to the buffer; undefined before the first. */
  lastRungIndex: number | undefined;
  throughput: ThroughputView;
}

export interface AbrDecision {
  rungIndex: number;
  /**
   * Idle time before the request, ms (BOLA waits rather than fill its buffer with a low rung); the
   * engine cuts it to `maxAbrDelayMs`. Absent or 0: request now.
   */
  delayMs?: number;
}

/** A download in progress, as `onProgress` sees it. */
export interface TransferProgress {
  segmentIndex: number;
  rungIndex: number;
  loadedBytes: number;
  /** Size of the whole segment (known, or the best estimate before headers arrive). */
  totalBytes: number;
  requestMs: number;
  /** Undefined until the first byte arrived. */
  firstByteMs: number | undefined;
  nowMs: number;
}

export type ProgressDecision = { kind: 'continue' } | { kind: 'abandon'; rungIndex: number };

export interface AbrStep<S, D> {
  state: S;
  decision: D;
}

export interface AbrStrategy<S = unknown> {
  readonly name: string;
  /** The state before the first segment. */
  init(ladder: Ladder, config: Readonly<PlayerConfig>): S;
  /** Chooses the rung of `ctx.segmentIndex`. */
  decide(state: S, ctx: AbrContext): AbrStep<S, AbrDecision>;
  /** Called as bytes arrive (virtual time: every progress interval); may abandon the download. */
  onProgress(state: S, ctx: AbrContext, progress: TransferProgress): AbrStep<S, ProgressDecision>;
  /** After a download ended (complete and appended, or abandoned): `ctx.bufferMs` is the level now. */
  onDownload(state: S, ctx: AbrContext, sample: DownloadSample): S;
  /** After the engine waited `waitMs` because the buffer was full. */
  onWait(state: S, ctx: AbrContext, waitMs: number): S;
}

/** What a strategy without an opinion on progress answers. */
export const CONTINUE: ProgressDecision = Object.freeze({ kind: 'continue' });

/** The hooks of a strategy that never abandons and keeps no state about downloads or waits. */
export function withoutHooks<S>(): Pick<AbrStrategy<S>, 'onProgress' | 'onDownload' | 'onWait'> {
  return {
    onProgress: (state) => ({ state, decision: CONTINUE }),
    onDownload: (state) => state,
    onWait: (state) => state,
  };
}
