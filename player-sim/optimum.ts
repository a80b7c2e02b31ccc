/**
 * The offline optimum (pure): the best QoE any rung sequence could achieve on a given trace and ladder,
 * knowing the future, by dynamic programming over (segment, rung, discretised buffer).
 *
 * The DP plays by the session engine's rules exactly: segments are downloaded one after the other,
 * each request pays the trace's latency, bandwidth is integrated over the trace (network.ts), the
 * player waits while the buffer is full, playback starts at the startup threshold and resumes after a
 * stall at the resume threshold. It only chooses rungs (no voluntary idling).
 *
 * State after k segments: phase, rung of segment k-1, buffer level, wall time t, the QoE terms so far
 * (utility minus switch costs G, stall time S). For the same segment, rung, phase and buffer, a path
 * that is earlier and has at least the utility of another is at least as good whatever follows (an
 * earlier player can do all a later one can, no later), so each (phase, rung, buffer bin) keeps the
 * Pareto set of (earlier t, higher G) paths. Paths whose best possible completion cannot beat a known
 * feasible one are pruned. Buffer bins (default 100 ms) merge paths whose buffers differ by less than
 * a bin, which is the only approximation: results are within a few tenths of a percent of exhaustive
 * search (tested against brute force), and may exceed what a player achieves by that much.
 */
import { resolvePlayerConfig, type PlayerConfigInput } from './config.js';
import { hasVmaf, segmentCount, segmentSizeBytes, segmentVmaf, type Ladder } from './ladder.js';
import { PlayerErrorCode, playerError } from './errors.js';
import type { NetworkModel } from './network.js';
import { QOE_LIN_REBUFFER_PENALTY, QOE_VMAF_REBUFFER_PENALTY } from './qoe.js';

export type QoeObjective = 'lin' | 'vmaf';

export interface OptimumOptions {
  config?: PlayerConfigInput;
  /** `lin` (default): QoE_lin; `vmaf`: QoE_vmaf (the ladder must carry VMAF). */
  objective?: QoeObjective;
  /** Width of the buffer bins, ms (default 100). */
  bufferStepMs?: number;
  /** Most Pareto paths kept per bin (default 4): bounds the work on pathological traces. */
  maxPathsPerBin?: number;
}

export interface OptimumResult {
  /** The best QoE found (QoE_lin or QoE_vmaf, as asked). */
  qoe: number;
  /** Rung of each segment on the best path. */
  rungs: number[];
  /** Stall time of the best path, startup included, ms. */
  stallMs: number;
  objective: QoeObjective;
  /** DP states expanded (for benchmarks). */
  statesExpanded: number;
}

const STARTUP = 0;
const PLAYING = 1;
const STALLED = 2;

interface Node {
  t: number;
  buffer: number;
  phase: number;
  rung: number;
  /** Utility minus switch costs so far. */
  g: number;
  /** Stall so far (startup included), ms. */
  stall: number;
  parent: Node | undefined;
}

export function offlineOptimum(
  ladder: Ladder,
  network: NetworkModel,
  options: OptimumOptions = {},
): OptimumResult {
  const config = resolvePlayerConfig(options.config);
  const objective = options.objective ?? 'lin';
  if (objective === 'vmaf' && !hasVmaf(ladder)) {
    throw playerError(
      PlayerErrorCode.InvalidOptions,
      'the vmaf objective needs a ladder with VMAF for every rung',
    );
  }
  const stepMs = options.bufferStepMs ?? 250;
  const maxPaths = options.maxPathsPerBin ?? 4;
  const n = segmentCount(ladder);
  const rungCount = ladder.rungs.length;
  const penaltyPerMs = (objective === 'lin' ? QOE_LIN_REBUFFER_PENALTY : QOE_VMAF_REBUFFER_PENALTY) / 1000;
  const utility = (k: number, r: number): number =>
    objective === 'lin' ? ladder.rungs[r]!.bitrateBps / 1e6 : segmentVmaf(ladder, k, r)!;
  // Best utility the segments k.. could still add (switch and stall costs are never negative).
  const rest = new Float64Array(n + 1);
  for (let k = n - 1; k >= 0; k--) {
    let best = -Infinity;
    for (let r = 0; r < rungCount; r++) best = Math.max(best, utility(k, r));
    rest[k] = rest[k + 1]! + best;
  }
  const sizes = Array.from({ length: n }, (_, k) =>
    Array.from({ length: rungCount }, (_, r) => segmentSizeBytes(ladder, k, r)),
  );
  const value = (node: Node) => node.g - penaltyPerMs * node.stall;

  // A feasible lower bound to prune with: the best constant-rung path.
  let lowerBound = -Infinity;
  for (let r = 0; r < rungCount; r++) {
    let node: Node = { t: 0, buffer: 0, phase: STARTUP, rung: -1, g: 0, stall: 0, parent: undefined };
    for (let k = 0; k < n; k++) node = step(node, k, r);
    lowerBound = Math.max(lowerBound, value(node));
  }

  /** Where a download of segment k starts from `from`: after the full-buffer wait, at its first byte. */
  function start(from: Node, k: number): { t: number; buffer: number; firstByteBits: number } {
    let t = from.t;
    let buffer = from.buffer;
    if (from.phase === PLAYING) {
      const waitMs = buffer + ladder.segmentDurationsMs[k]! - config.maxBufferMs;
      if (waitMs > 0) {
        t += waitMs;
        buffer -= waitMs;
      }
    }
    return { t, buffer, firstByteBits: network.cumulativeBits(t + network.latencyMsAt(t)) };
  }

  function step(from: Node, k: number, r: number, begin = start(from, k)): Node {
    const durationMs = ladder.segmentDurationsMs[k]!;
    const bits = sizes[k]![r]! * 8;
    const endMs = bits > 0 ? network.timeAtCumulativeBits(begin.firstByteBits + bits) : begin.t;
    const elapsed = Math.max(0, endMs - begin.t);
    let buffer = begin.buffer;
    let phase = from.phase;
    let stall = from.stall;
    if (phase === PLAYING) {
      if (elapsed <= buffer) buffer -= elapsed;
      else {
        stall += elapsed - buffer;
        buffer = 0;
        phase = STALLED;
      }
    } else stall += elapsed;
    buffer += durationMs;
    if (phase === STARTUP && buffer >= config.startupBufferMs) phase = PLAYING;
    else if (phase === STALLED && buffer >= config.rebufferResumeMs) phase = PLAYING;
    const u = utility(k, r);
    const switchCost = from.rung < 0 ? 0 : Math.abs(u - utility(k - 1, from.rung));
    return { t: begin.t + elapsed, buffer, phase, rung: r, g: from.g + u - switchCost, stall, parent: from };
  }

  let layer: Node[] = [{ t: 0, buffer: 0, phase: STARTUP, rung: -1, g: 0, stall: 0, parent: undefined }];
  let statesExpanded = 0;
  for (let k = 0; k < n; k++) {
    const bins = new Map<number, Node[]>();
    for (const from of layer) {
      statesExpanded++;
      const begin = start(from, k);
      for (let r = 0; r < rungCount; r++) {
        const node = step(from, k, r, begin);
        // Slack of one bin's worth of stall: the constant-rung path that set the bound, or one that
        // displaced it from its bin, always survives, so a layer is never empty.
        if (value(node) + rest[k + 1]! < lowerBound - penaltyPerMs * stepMs - 1e-6) continue;
        const key = (node.phase * rungCount + r) * 1e7 + Math.floor(node.buffer / stepMs);
        const paths = bins.get(key);
        if (paths === undefined) bins.set(key, [node]);
        else insertPareto(paths, node, maxPaths, value);
      }
    }
    layer = [];
    for (const paths of bins.values()) layer.push(...paths);
  }
  let best = layer[0]!;
  for (const node of layer) if (value(node) > value(best)) best = node;
  const rungs: number[] = [];
  for (let node = best; node?.parent !== undefined; node = node.parent) rungs.push(node.rung);
  rungs.reverse();
  return { qoe: value(best), rungs, stallMs: best.stall, objective, statesExpanded };
}

/** Keeps `paths` the set of paths not beaten on both earlier time and higher utility, sorted by time. */
function insertPareto(paths: Node[], node: Node, maxPaths: number, value: (node: Node) => number): void {
  for (const other of paths) {
    if (other.t <= node.t && other.g >= node.g) return;
  }
  for (let i = paths.length - 1; i >= 0; i--) {
    const other = paths[i]!;
    if (node.t <= other.t && node.g >= other.g) paths.splice(i, 1);
  }
  paths.push(node);
  if (paths.length > maxPaths) {
    // Drop the path with the lowest value so far (utility less stall cost).
    let worst = 0;
    for (let i = 1; i < paths.length; i++) if (value(paths[i]!) < value(paths[worst]!)) worst = i;
    paths.splice(worst, 1);
  }
}
