/**
 * BOLA-E: BOLA (Spiteri, Urgaonkar, Sitaraman, "BOLA: Near-Optimal Bitrate Adaptation for Online
 * Videos", INFOCOM 2016) with the enhancements of "From Theory to Practice: Improving Bitrate Adaptation
 * in the DASH Reference Player" (Spiteri, Sitaraman, Sparacio, MMSys 2018 / TOMM 2019), as in Sabre's
 * `BolaEnh` (the authors' reference) and dash.js's BolaRule:
 *
 * - utilities v_m = ln(S_m / S_1) + 1, so the lowest rung has utility 1;
 * - V and gamma chosen so that BOLA picks the lowest rung up to MINIMUM_BUFFER (10 s) and the top rung
 *   from the buffer target, the larger of the player's maximum buffer and 10 s + 2 s per rung;
 * - rung m maximises (V (v_m + gamma) - Q) / S_m, where Q is the buffer plus a placeholder buffer;
 * - startup: the first decision with a throughput measurement takes the rung that throughput sustains
 *   and sets the placeholder so that BOLA would have chosen it;
 * - BOLA-O (dash.js) does not switch up above the throughput rung (BOLA-U, Sabre's default, allows one
 *   rung more);
 * - when the buffer is above what the chosen rung needs, the placeholder shrinks first, then the
 *   player idles (not at the top rung);
 * - the insufficient-buffer rule, and the BOLA abandonment rule.
 */
import { rungForThroughput } from '../throughput.js';
import { ewmaEstimate, IBR_SAFETY_INITIAL, insufficientBufferRule, segmentDurationOf } from './common.js';
import { CONTINUE, type AbrStrategy } from './types.js';

/** BOLA never idles below this buffer level, ms (dash.js and Sabre `MINIMUM_BUFFER_S = 10`). */
export const BOLA_MINIMUM_BUFFER_MS = 10_000;
/** Buffer target grows by this per rung, ms (`MINIMUM_BUFFER_PER_BITRATE_LEVEL_S = 2`). */
export const BOLA_MINIMUM_BUFFER_PER_LEVEL_MS = 2000;

export interface BolaOptions {
  /** 'O' (dash.js, default): no up-switch above the throughput rung; 'U' (Sabre default): one more. */
  variant?: 'O' | 'U';
  /** Apply the insufficient-buffer rule (default true). */
  insufficientBufferRule?: boolean;
  abandon?: boolean;
}

export interface BolaState {
  phase: 'startup' | 'steady';
  /** Utility of each rung: ln(S_m / S_1) + 1. */
  utilities: readonly number[];
  /** V x p and gamma x p of the paper, in ms and utility units. */
  vp: number;
  gp: number;
  placeholderMs: number;
  lastRung: number;
  ibrSafety: number;
  /** The rung the last abandonment switched to, until onDownload has used it. */
  abandonTo: number | undefined;
}

/** The BOLA parameters for a ladder and a buffer target (ms). */
export function bolaParameters(
  bitratesBps: readonly number[],
  maxBufferMs: number,
): { utilities: number[]; vp: number; gp: number; bufferTargetMs: number } {
  const utilities = bitratesBps.map((b) => Math.log(b / bitratesBps[0]!) + 1);
  const bufferTargetMs = Math.max(
    BOLA_MINIMUM_BUFFER_MS + BOLA_MINIMUM_BUFFER_PER_LEVEL_MS * bitratesBps.length,
    maxBufferMs,
  );
  const gp = (utilities[utilities.length - 1]! - 1) / (bufferTargetMs / BOLA_MINIMUM_BUFFER_MS - 1);
  return { utilities, vp: BOLA_MINIMUM_BUFFER_MS / gp, gp, bufferTargetMs };
}

/** The rung maximising (V (v_m + gamma) - level) / S_m; the lowest on ties (Sabre). */
export function bolaRungForLevel(state: BolaState, bitratesBps: readonly number[], levelMs: number): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let q = 0; q < bitratesBps.length; q++) {
    const score = (state.vp * (state.utilities[q]! + state.gp) - levelMs) / bitratesBps[q]!;
    if (score > bestScore) {
      bestScore = score;
      best = q;
    }
  }
  return best;
}

/** Lowest effective buffer at which BOLA prefers rung q to every lower rung, ms. */
function minLevelFor(state: BolaState, bitratesBps: readonly number[], q: number): number {
  let level = 0;
  for (let i = 0; i < q; i++) {
    if (state.utilities[i]! < state.utilities[q]!) {
      const b = bitratesBps[q]!;
      const bi = bitratesBps[i]!;
      level = Math.max(
        level,
        state.vp * (state.gp + (b * state.utilities[i]! - bi * state.utilities[q]!) / (b - bi)),
      );
    }
  }
  return level;
}

/** Highest effective buffer at which BOLA still downloads rung q rather than idle, ms. */
function maxLevelFor(state: BolaState, q: number): number {
  return state.vp * (state.utilities[q]! + state.gp);
}

export function bola(options: BolaOptions = {}): AbrStrategy<BolaState> {
  const variant = options.variant ?? 'O';
  const useIbr = options.insufficientBufferRule ?? true;
  const abandon = options.abandon ?? true;
  const bitratesOf = (rungs: ReadonlyArray<{ bitrateBps: number }>) => rungs.map((r) => r.bitrateBps);
  return {
    name: 'bola',
    init(ladder, config) {
      const params = bolaParameters(bitratesOf(ladder.rungs), config.maxBufferMs);
      return {
        phase: 'startup',
        utilities: params.utilities,
        vp: params.vp,
        gp: params.gp,
        placeholderMs: 0,
        lastRung: 0,
        ibrSafety: IBR_SAFETY_INITIAL,
        abandonTo: undefined,
      };
    },
    decide(state, ctx) {
      const bitrates = bitratesOf(ctx.ladder.rungs);
      const estimate = ewmaEstimate(ctx);
      const durationMs = segmentDurationOf(ctx);
      if (bitrates.length === 1) return { state, decision: { rungIndex: 0 } };
      if (state.phase === 'startup') {
        if (estimate === undefined) return { state, decision: { rungIndex: state.lastRung } };
        const rung = rungForThroughput(ctx.ladder, estimate.kbps, estimate.latencyMs, durationMs);
        const placeholderMs = Math.max(0, minLevelFor(state, bitrates, rung) - ctx.bufferMs);
        return {
          state: { ...state, phase: 'steady', placeholderMs, lastRung: rung, ibrSafety: IBR_SAFETY_INITIAL },
          decision: { rungIndex: rung },
        };
      }
      let placeholderMs = state.placeholderMs;
      let rung = bolaRungForLevel(state, bitrates, ctx.bufferMs + placeholderMs);
      const throughputRung =
        estimate === undefined
          ? 0
          : rungForThroughput(ctx.ladder, estimate.kbps, estimate.latencyMs, durationMs);
      if (rung > state.lastRung && rung > throughputRung) {
        rung = Math.max(state.lastRung, throughputRung) + (variant === 'U' ? 1 : 0);
      }
      let delayMs = ctx.bufferMs + placeholderMs - maxLevelFor(state, rung);
      if (delayMs > 0) {
        if (delayMs <= placeholderMs) {
          placeholderMs -= delayMs;
          delayMs = 0;
        } else {
          delayMs -= placeholderMs;
          placeholderMs = 0;
        }
      } else delayMs = 0;
      if (rung === bitrates.length - 1) delayMs = 0;
      let ibrSafety = state.ibrSafety;
      if (useIbr && estimate !== undefined) {
        const ibr = insufficientBufferRule(ctx, rung, ibrSafety, estimate);
        ibrSafety = ibr.safety;
        if (ibr.lowered) {
          rung = ibr.rung;
          delayMs = 0;
          placeholderMs = Math.min(
            placeholderMs,
            Math.max(0, minLevelFor(state, bitrates, rung) - ctx.bufferMs),
          );
        }
      }
      return {
        state: { ...state, placeholderMs, lastRung: rung, ibrSafety },
        decision: delayMs > 0 ? { rungIndex: rung, delayMs } : { rungIndex: rung },
      };
    },
    onProgress(state, ctx, progress) {
      if (!abandon || state.phase === 'startup' || progress.firstByteMs === undefined) {
        return { state, decision: CONTINUE };
      }
      // Sabre BolaEnh.check_abandon: a new request costs another latency, so judge the buffer after it.
      const bitrates = bitratesOf(ctx.ladder.rungs);
      const leftBits = (progress.totalBytes - progress.loadedBytes) * 8;
      const ttfbMs = progress.firstByteMs - progress.requestMs;
      const transferMs = progress.nowMs - progress.firstByteMs;
      if (progress.loadedBytes <= 0 || leftBits <= 0 || transferMs <= 0) return { state, decision: CONTINUE };
      const levelMs = Math.max(0, ctx.bufferMs + state.placeholderMs - ttfbMs);
      const kbps = (progress.loadedBytes * 8) / transferMs;
      const sizeBits = leftBits - ttfbMs * kbps;
      if (sizeBits <= 0) return { state, decision: CONTINUE };
      const current = progress.rungIndex;
      let score = (state.vp * (state.gp + state.utilities[current]!) - levelMs) / sizeBits;
      let to: number | undefined;
      for (let q = 0; q < current; q++) {
        const otherBits = (progress.totalBytes * 8 * bitrates[q]!) / bitrates[current]!;
        const otherScore = (state.vp * (state.gp + state.utilities[q]!) - levelMs) / otherBits;
        if (otherBits < sizeBits && otherScore > score) {
          score = otherScore;
          to = q;
        }
      }
      if (to === undefined) return { state, decision: CONTINUE };
      return { state: { ...state, abandonTo: to }, decision: { kind: 'abandon', rungIndex: to } };
    },
    onDownload(state, ctx, sample) {
      if (state.phase === 'startup')
        return { ...state, lastRung: sample.abandoned ? state.lastRung : sample.rungIndex };
      const bitrates = bitratesOf(ctx.ladder.rungs);
      const level = ctx.bufferMs;
      let placeholderMs = state.placeholderMs;
      if (!sample.abandoned) {
        // Sabre report_download: keep the placeholder between what the downloaded rung needs.
        const levelWas = level + (sample.endMs - sample.requestMs);
        placeholderMs = Math.min(placeholderMs, Math.max(0, maxLevelFor(state, sample.rungIndex) - levelWas));
        if (level > 0)
          placeholderMs = Math.max(placeholderMs, minLevelFor(state, bitrates, sample.rungIndex) - levelWas);
        return { ...state, placeholderMs, lastRung: sample.rungIndex, abandonTo: undefined };
      }
      // Abandoned: something went wrong, so deflate the placeholder to what the new rung needs.
      const to = state.abandonTo ?? 0;
      const want = to > 0 ? minLevelFor(state, bitrates, to) : BOLA_MINIMUM_BUFFER_MS;
      placeholderMs = Math.min(placeholderMs, Math.max(0, want - level));
      return { ...state, placeholderMs, lastRung: to, abandonTo: undefined };
    },
    onWait: (state, _ctx, waitMs) => ({ ...state, placeholderMs: state.placeholderMs + waitMs }),
  };
}
