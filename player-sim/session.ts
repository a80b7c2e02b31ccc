/**
 * The session engine: the ABR loop of one playback session, the same in virtual and real time.
 *
 * The engine does no I/O and reads no time of its own. It is given:
 * - a `Clock` (clock.ts): `VirtualClock` for simulations, `SystemClock` for real sessions;
 * - a `SegmentFetcher`: gets one segment at one rung. The virtual fetcher (virtual.ts) computes the
 *   transfer from a network trace and advances the virtual clock; a real fetcher (HTTP) downloads it;
 * - an `AbrStrategy` (abr/), the ladder and the player settings.
 *
 * For each segment in order: wait while the buffer is full (maxBufferMs), ask the strategy for a rung
 * (and an optional idle delay), fetch, and while bytes arrive let the strategy abandon the download
 * for a lower rung (the engine then requests the same segment again at that rung). Completed segments
 * go into the playback buffer (playback.ts), which tracks startup, stalls and the playhead. After the
 * last segment the engine waits for the buffer to play out. QoE is computed at the end (qoe.ts).
 *
 * Contract for fetchers (what a real HTTP fetcher must do):
 * - `fetch` resolves when the last byte arrived, with times on the engine's clock;
 * - it calls `onProgress` as bytes arrive (as often as it likes; about every 50-100 ms is plenty);
 *   the engine may abort `signal` from inside `onProgress` (abandonment) or at any time (stop): the
 *   fetcher then stops reading, cancels the request and resolves with `aborted: true` and the bytes
 *   received so far (rejecting with CDN_ERR_ABORTED is accepted too);
 * - it rejects with a CdnError when the segment cannot be had (after its own retries and failover):
 *   the session then ends with outcome `failed`.
 */
import { CommonErrorCode, isCdnError, toCdnError } from '../common/errors.js';
import type { AbrContext, AbrStrategy, ProgressDecision } from './abr/types.js';
import type { Clock } from './clock.js';
import { resolvePlayerConfig, type PlayerConfig, type PlayerConfigInput } from './config.js';
import { PlayerErrorCode, playerError } from './errors.js';
import {
  segmentCount,
  segmentSizeBytes,
  segmentVmaf,
  validateLadder,
  type Ladder,
  type LadderRung,
} from './ladder.js';
import { PlaybackBuffer, type PlaybackEvent, type PlaybackPhase, type Rebuffer } from './playback.js';
import { computeQoe, type PlayedSegment, type QoeSummary } from './qoe.js';
import {
  EMPTY_EWMA,
  ewmaLatencyMs,
  ewmaThroughputKbps,
  MAX_SAMPLES,
  updateEwma,
  type DownloadSample,
  type EwmaState,
} from './throughput.js';

/** What the engine asks a fetcher for. The fields after `attempt` are there for CMCD (CTA-5004). */
export interface SegmentRequest {
  segmentIndex: number;
  rungIndex: number;
  rung: LadderRung;
  /** Media duration of the segment, ms (CMCD `d`). */
  durationMs: number;
  /** Its size when the ladder knows it, else bitrate x duration: bytes. */
  expectedBytes: number;
  /** 0 for the first request of this segment, 1+ after abandonments. */
  attempt: number;
  /** Buffer level when the request is sent, ms (CMCD `bl`). */
  bufferMs: number;
  /** Current throughput estimate, kbit/s (CMCD `mtp`), undefined before the first download. */
  throughputKbps: number | undefined;
  /** Playback phase: `startup` or `stalled` mean CMCD `su` (startup) is true. */
  phase: PlaybackPhase;
  /** A stall happened since the previous request (CMCD `bs`). */
  bufferStarved: boolean;
  /** The segment after this one, if any (CMCD `nor` names its URL). */
  nextSegmentIndex: number | undefined;
}

/** What a fetcher reports while bytes arrive. */
export interface FetchProgress {
  loadedBytes: number;
  /** Size of the whole response when known (Content-Length), else undefined. */
  totalBytes: number | undefined;
  /** When the first byte arrived (engine clock, ms); undefined before. */
  firstByteMs: number | undefined;
}

export interface FetchOptions {
  signal: AbortSignal;
  onProgress: (progress: FetchProgress) => void;
}

export interface FetchResult {
  /** Body bytes received (all of them unless aborted). */
  receivedBytes: number;
  /** Size of the whole segment (equal to receivedBytes when complete). */
  totalBytes: number;
  /** Request sent, first byte, last byte (or abort), on the engine's clock, ms. */
  requestMs: number;
  firstByteMs: number;
  endMs: number;
  /** True when the fetch stopped because `signal` aborted. */
  aborted: boolean;
}

export interface SegmentFetcher {
  fetch(request: SegmentRequest, options: FetchOptions): Promise<FetchResult>;
}

export type SessionOutcome = 'completed' | 'stopped' | 'failed';

/** What happened, in order, with the engine clock's time. */
export type SessionEvent =
  | { type: 'session_start'; atMs: number }
  | { type: 'startup_complete'; atMs: number; startupDelayMs: number; rungIndex: number; bitrateBps: number }
  | {
      type: 'rung_switch';
      atMs: number;
      fromRung: number;
      toRung: number;
      fromBitrateBps: number;
      toBitrateBps: number;
      positionMs: number;
      bufferMs: number;
      /** `abr`: the strategy's choice; `abandon`: after an abandoned download. */
      reason: 'abr' | 'abandon';
    }
  | { type: 'rebuffer_start'; atMs: number; positionMs: number }
  | { type: 'rebuffer_end'; atMs: number; positionMs: number; durationMs: number }
  | {
      type: 'segment_loaded';
      atMs: number;
      segmentIndex: number;
      rungIndex: number;
      bytes: number;
      requestMs: number;
      firstByteMs: number;
      bufferMs: number;
    }
  | {
      type: 'download_abandoned';
      atMs: number;
      segmentIndex: number;
      fromRung: number;
      toRung: number;
      loadedBytes: number;
    }
  | { type: 'playback_ended'; atMs: number; positionMs: number }
  | { type: 'error'; atMs: number; code: string; message: string; fatal: boolean }
  | { type: 'session_end'; atMs: number; outcome: SessionOutcome; summary: QoeSummary };

/** A segment that went into the buffer. */
export interface LoadedSegment {
  segmentIndex: number;
  rungIndex: number;
  bitrateBps: number;
  durationMs: number;
  bytes: number;
  requestMs: number;
  firstByteMs: number;
  endMs: number;
  /** Media time at which it plays, ms. */
  mediaStartMs: number;
  /** Downloads of this segment abandoned before this one. */
  abandonedAttempts: number;
}

export interface SessionResult {
  outcome: SessionOutcome;
  error?: { code: string; message: string };
  strategy: string;
  /** Engine clock at start and end, ms. */
  startMs: number;
  endMs: number;
  segments: LoadedSegment[];
  /** Every download, abandoned ones included, in order. */
  downloads: DownloadSample[];
  rebuffers: Rebuffer[];
  startupDelayMs: number | undefined;
  playedMs: number;
  qoe: QoeSummary;
}

export interface SessionOptions {
  ladder: Ladder;
  strategy: AbrStrategy;
  fetcher: SegmentFetcher;
  clock: Clock;
  config?: PlayerConfigInput;
  /** Aborting stops the session (outcome `stopped`, QoE of what was played). */
  signal?: AbortSignal;
  /** Called synchronously for every event; must not throw (errors thrown are ignored). */
  onEvent?: (event: SessionEvent) => void;
}

/** Checks options that do not depend on the strategy: PLAYER_ERR_INVALID_OPTIONS / LADDER_INVALID. */
export function checkSessionSetup(ladder: Ladder, config: Readonly<PlayerConfig>): void {
  validateLadder(ladder);
  const longest = Math.max(...ladder.segmentDurationsMs);
  if (config.maxBufferMs < longest) {
    throw playerError(
      PlayerErrorCode.InvalidOptions,
      `maxBufferMs (${config.maxBufferMs}) must hold at least one segment (${longest} ms)`,
    );
  }
}

/** Plays one session to its end (or stop or failure). Never rejects for network problems: see `outcome`. */
export async function runSession(options: SessionOptions): Promise<SessionResult> {
  const config = resolvePlayerConfig(options.config);
  checkSessionSetup(options.ladder, config);
  return new SessionRun(options, config).run();
}

class SessionRun {
  private readonly ladder: Ladder;
  private readonly strategy: AbrStrategy;
  private readonly clock: Clock;
  private readonly playback: PlaybackBuffer;
  private readonly startMs: number;
  private state: unknown;
  private ewma: EwmaState = EMPTY_EWMA;
  private samples: DownloadSample[] = [];
  private readonly downloads: DownloadSample[] = [];
  private readonly loaded: LoadedSegment[] = [];
  private lastRung: number | undefined;
  private starvedSinceRequest = false;

  constructor(
    private readonly options: SessionOptions,
    private readonly config: Readonly<PlayerConfig>,
  ) {
    this.ladder = options.ladder;
    this.strategy = options.strategy;
    this.clock = options.clock;
    this.startMs = this.clock.nowMs();
    this.playback = new PlaybackBuffer({
      startMs: this.startMs,
      startupBufferMs: config.startupBufferMs,
      rebufferResumeMs: config.rebufferResumeMs,
    });
    this.state = this.strategy.init(this.ladder, config);
  }

  async run(): Promise<SessionResult> {
    this.emit({ type: 'session_start', atMs: this.startMs });
    let outcome: SessionOutcome = 'completed';
    let error: { code: string; message: string } | undefined;
    try {
      for (let k = 0; k < segmentCount(this.ladder); k++) {
        if (this.stopped()) break;
        if (!(await this.loadSegment(k))) break;
      }
      if (!this.stopped()) {
        this.handle(this.playback.finish(this.clock.nowMs()));
        if (this.playback.phase === 'playing')
          await this.clock.sleep(this.playback.bufferMs, this.options.signal);
        this.sync();
      }
    } catch (err) {
      if (!this.stopped() || !isCdnError(err, CommonErrorCode.Aborted)) {
        const cdnError = toCdnError(err);
        error = { code: cdnError.code, message: cdnError.message };
        this.emit({
          type: 'error',
          atMs: this.clock.nowMs(),
          code: error.code,
          message: error.message,
          fatal: true,
        });
      }
    }
    if (error) outcome = 'failed';
    else if (this.stopped() && this.playback.phase !== 'ended') outcome = 'stopped';
    const endMs = this.clock.nowMs();
    if (outcome !== 'completed') {
      this.handle(this.playback.advanceTo(endMs));
      this.handle(this.playback.closeStall(endMs));
    }
    const qoe = computeQoe({
      segments: this.playedSegments(),
      startupDelayMs: this.playback.startupDelayMs,
      rebuffers: this.playback.rebuffers,
      playedMs: this.playback.positionMs,
    });
    this.emit({ type: 'session_end', atMs: endMs, outcome, summary: qoe });
    return {
      outcome,
      ...(error ? { error } : {}),
      strategy: this.strategy.name,
      startMs: this.startMs,
      endMs,
      segments: this.loaded,
      downloads: this.downloads,
      rebuffers: [...this.playback.rebuffers],
      startupDelayMs: this.playback.startupDelayMs,
      playedMs: this.playback.positionMs,
      qoe,
    };
  }

  /** Downloads segment k (retrying after abandonments); false when the session stopped meanwhile. */
  private async loadSegment(k: number): Promise<boolean> {
    const durationMs = this.ladder.segmentDurationsMs[k]!;
    this.sync();
    if (this.playback.phase === 'playing') {
      const waitMs = this.playback.bufferMs + durationMs - this.config.maxBufferMs;
      if (waitMs > 0) {
        await this.clock.sleep(waitMs, this.options.signal);
        this.sync();
        this.state = this.strategy.onWait(this.state, this.context(k), waitMs);
      }
    }
    const step = this.strategy.decide(this.state, this.context(k));
    this.state = step.state;
    let rung = this.checkRung(step.decision.rungIndex, 'decide');
    const delayMs = Math.min(Math.max(0, step.decision.delayMs ?? 0), this.config.maxAbrDelayMs);
    if (delayMs > 0) {
      await this.clock.sleep(delayMs, this.options.signal);
      this.sync();
    }
    let reason: 'abr' | 'abandon' = 'abr';
    for (let attempt = 0; ; attempt++) {
      const result = await this.fetchOnce(k, rung, attempt);
      if (result === 'stopped') return false;
      if (result.abandonTo === undefined) {
        this.append(k, rung, result.sample, attempt, reason);
        return true;
      }
      rung = result.abandonTo;
      reason = 'abandon';
    }
  }

  private async fetchOnce(
    k: number,
    rung: number,
    attempt: number,
  ): Promise<'stopped' | { sample: DownloadSample; abandonTo: number | undefined }> {
    const controller = new AbortController();
    const outer = this.options.signal;
    const stop = () => controller.abort();
    outer?.addEventListener('abort', stop, { once: true });
    const expectedBytes = segmentSizeBytes(this.ladder, k, rung);
    const requestMs = this.clock.nowMs();
    let abandonTo: number | undefined;
    const request: SegmentRequest = {
      segmentIndex: k,
      rungIndex: rung,
      rung: this.ladder.rungs[rung]!,
      durationMs: this.ladder.segmentDurationsMs[k]!,
      expectedBytes,
      attempt,
      bufferMs: this.playback.bufferMs,
      throughputKbps: ewmaThroughputKbps(this.ewma),
      phase: this.playback.phase,
      bufferStarved: this.starvedSinceRequest,
      nextSegmentIndex: k + 1 < segmentCount(this.ladder) ? k + 1 : undefined,
    };
    this.starvedSinceRequest = false;
    let settled = false;
    const onProgress = (progress: FetchProgress) => {
      // Reports after an abort or after the fetch settled are late news: ignored.
      if (controller.signal.aborted || settled) return;
      this.sync();
      const step = this.strategy.onProgress(this.state, this.context(k), {
        segmentIndex: k,
        rungIndex: rung,
        loadedBytes: progress.loadedBytes,
        totalBytes: progress.totalBytes ?? expectedBytes,
        requestMs,
        firstByteMs: progress.firstByteMs,
        nowMs: this.clock.nowMs(),
      });
      this.state = step.state;
      const to = this.checkAbandon(step.decision, rung);
      if (to !== undefined) {
        abandonTo = to;
        controller.abort();
      }
    };
    let result: FetchResult;
    try {
      result = await this.options.fetcher.fetch(request, { signal: controller.signal, onProgress });
    } catch (err) {
      if (this.stopped() && isCdnError(err, CommonErrorCode.Aborted)) return 'stopped';
      throw err;
    } finally {
      settled = true;
      outer?.removeEventListener('abort', stop);
    }
    this.checkResult(result, requestMs);
    this.sync();
    if (result.aborted && abandonTo === undefined) return 'stopped';
    const abandoned = result.aborted && abandonTo !== undefined;
    const sample: DownloadSample = {
      segmentIndex: k,
      rungIndex: rung,
      bytes: result.receivedBytes,
      requestMs: result.requestMs,
      firstByteMs: result.firstByteMs,
      endMs: result.endMs,
      abandoned,
    };
    this.downloads.push(sample);
    this.samples = [...this.samples, sample].slice(-MAX_SAMPLES);
    if (!abandoned) return { sample, abandonTo: undefined };
    this.emit({
      type: 'download_abandoned',
      atMs: result.endMs,
      segmentIndex: k,
      fromRung: rung,
      toRung: abandonTo!,
      loadedBytes: result.receivedBytes,
    });
    this.state = this.strategy.onDownload(this.state, this.context(k), sample);
    return { sample, abandonTo };
  }

  private append(
    k: number,
    rung: number,
    sample: DownloadSample,
    attempts: number,
    reason: 'abr' | 'abandon',
  ): void {
    const now = this.clock.nowMs();
    const rungs = this.ladder.rungs;
    if (this.lastRung !== undefined && this.lastRung !== rung) {
      this.emit({
        type: 'rung_switch',
        atMs: now,
        fromRung: this.lastRung,
        toRung: rung,
        fromBitrateBps: rungs[this.lastRung]!.bitrateBps,
        toBitrateBps: rungs[rung]!.bitrateBps,
        positionMs: this.playback.positionMs,
        bufferMs: this.playback.bufferMs,
        reason,
      });
    }
    const mediaStartMs = this.ladder.segmentDurationsMs.slice(0, k).reduce((sum, d) => sum + d, 0);
    this.loaded.push({
      segmentIndex: k,
      rungIndex: rung,
      bitrateBps: rungs[rung]!.bitrateBps,
      durationMs: this.ladder.segmentDurationsMs[k]!,
      bytes: sample.bytes,
      requestMs: sample.requestMs,
      firstByteMs: sample.firstByteMs,
      endMs: sample.endMs,
      mediaStartMs,
      abandonedAttempts: attempts,
    });
    this.lastRung = rung;
    this.ewma = updateEwma(this.ewma, sample);
    this.handle(
      this.playback.append(
        { segmentIndex: k, rungIndex: rung, durationMs: this.ladder.segmentDurationsMs[k]! },
        now,
      ),
    );
    this.emit({
      type: 'segment_loaded',
      atMs: now,
      segmentIndex: k,
      rungIndex: rung,
      bytes: sample.bytes,
      requestMs: sample.requestMs,
      firstByteMs: sample.firstByteMs,
      bufferMs: this.playback.bufferMs,
    });
    this.state = this.strategy.onDownload(this.state, this.context(k), sample);
  }

  private context(k: number): AbrContext {
    return {
      ladder: this.ladder,
      config: this.config,
      nowMs: this.clock.nowMs(),
      segmentIndex: k,
      bufferMs: this.playback.bufferMs,
      phase: this.playback.phase,
      lastRungIndex: this.lastRung,
      throughput: {
        samples: this.samples,
        ewmaKbps: ewmaThroughputKbps(this.ewma),
        latencyMs: ewmaLatencyMs(this.ewma),
      },
    };
  }

  /** Brings the playback model up to the clock's time. */
  private sync(): void {
    this.handle(this.playback.advanceTo(this.clock.nowMs()));
  }

  private handle(events: readonly PlaybackEvent[]): void {
    for (const event of events) {
      switch (event.type) {
        case 'startup': {
          const first = this.loaded[0];
          const rung = first?.rungIndex ?? 0;
          this.emit({
            type: 'startup_complete',
            atMs: event.atMs,
            startupDelayMs: event.startupDelayMs,
            rungIndex: rung,
            bitrateBps: this.ladder.rungs[rung]!.bitrateBps,
          });
          break;
        }
        case 'rebuffer_start':
          this.starvedSinceRequest = true;
          this.emit({ type: 'rebuffer_start', atMs: event.atMs, positionMs: event.positionMs });
          break;
        case 'rebuffer_end':
          this.emit({ ...event, type: 'rebuffer_end' });
          break;
        case 'ended':
          this.emit({ type: 'playback_ended', atMs: event.atMs, positionMs: event.positionMs });
          break;
      }
    }
  }

  private emit(event: SessionEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's failure must not end the session.
    }
  }

  private stopped(): boolean {
    return this.options.signal?.aborted === true;
  }

  /** Segments that started playing, each with its VMAF. */
  private playedSegments(): PlayedSegment[] {
    const position = this.playback.positionMs;
    const played: PlayedSegment[] = [];
    for (const s of this.loaded) {
      if (s.mediaStartMs >= position) break;
      const vmaf = segmentVmaf(this.ladder, s.segmentIndex, s.rungIndex);
      played.push({
        segmentIndex: s.segmentIndex,
        rungIndex: s.rungIndex,
        bitrateBps: s.bitrateBps,
        durationMs: s.durationMs,
        ...(vmaf === undefined ? {} : { vmaf }),
      });
    }
    return played;
  }

  private checkRung(rung: number, where: string): number {
    if (!Number.isInteger(rung) || rung < 0 || rung >= this.ladder.rungs.length) {
      throw playerError(
        PlayerErrorCode.Contract,
        `strategy ${this.strategy.name} (${where}) chose rung ${rung}; the ladder has rungs 0..${this.ladder.rungs.length - 1}`,
      );
    }
    return rung;
  }

  private checkAbandon(decision: ProgressDecision, current: number): number | undefined {
    if (decision.kind !== 'abandon') return undefined;
    const to = this.checkRung(decision.rungIndex, 'onProgress');
    if (to >= current) {
      throw playerError(
        PlayerErrorCode.Contract,
        `strategy ${this.strategy.name} abandoned rung ${current} for rung ${to}; abandonment must go to a lower rung`,
      );
    }
    return to;
  }

  private checkResult(result: FetchResult, requestMs: number): void {
    const times = [result.requestMs, result.firstByteMs, result.endMs];
    const ok =
      times.every(Number.isFinite) &&
      result.requestMs >= requestMs - 1e-6 &&
      result.requestMs <= result.firstByteMs + 1e-6 &&
      result.firstByteMs <= result.endMs + 1e-6 &&
      result.endMs <= this.clock.nowMs() + 1e-6 &&
      Number.isFinite(result.receivedBytes) &&
      result.receivedBytes >= 0 &&
      (result.aborted || result.receivedBytes > 0 || result.totalBytes === 0);
    if (!ok) {
      throw playerError(
        PlayerErrorCode.Contract,
        `fetcher returned an impossible result (request ${result.requestMs}, first byte ${result.firstByteMs}, end ${result.endMs}, clock ${this.clock.nowMs()}, ${result.receivedBytes} bytes)`,
      );
    }
  }
}
