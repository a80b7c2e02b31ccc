/**
 * Exact look-ahead optimisation for model-predictive strategies (pure): over the next few segments,
 * the rung sequence maximising
 *
 *   sum utility[k][r_k] - switchWeight * sum |switchValue[k][r_k] - switchValue[k-1][r_{k-1}]|
 *                       - rebufferPenaltyPerS * predicted rebuffer seconds (+ terminal value)
 *
 * under a buffer model: each download drains the buffer by its predicted time (rebuffering when it
 * runs dry), then adds the segment's duration; with `maxBufferMs` the player first waits for room, as
 * the session engine does. Searched depth-first with branch and bound (the bound: the best utility
 * each remaining segment could add), so the answer equals exhaustive enumeration of all
 * rungs^horizon sequences (Yin et al. enumerate them) at a fraction of the cost.
 */

export interface HorizonProblem {
  startBufferMs: number;
  /** Predicted download time of position p (0 = next segment) at rung r, ms: `downloadMs[p][r]`. */
  downloadMs: readonly (readonly number[])[];
  utility: readonly (readonly number[])[];
  switchValue: readonly (readonly number[])[];
  /** Switch value of the segment before the horizon; undefined: no switch cost for the first. */
  previousSwitchValue: number | undefined;
  switchWeight: number;
  rebufferPenaltyPerS: number;
  segmentDurationMs: readonly number[];
  /** Wait for room before each download when set (the engine's full-buffer rule). */
  maxBufferMs?: number;
  /** Value of the buffer left at the end of the horizon (non-decreasing), e.g. to avoid draining it. */
  terminalValue?: (bufferMs: number) => number;
}

export interface HorizonPlan {
  /** Rung of each position of the best sequence. */
  rungs: number[];
  value: number;
}

export function solveHorizon(problem: HorizonProblem): HorizonPlan {
  const depth = problem.downloadMs.length;
  const rungCount = problem.downloadMs[0]?.length ?? 0;
  if (depth === 0 || rungCount === 0) return { rungs: [], value: 0 };
  // bound[p]: the most utility positions p.. could add (penalties are never negative).
  const bound = new Float64Array(depth + 1);
  for (let p = depth - 1; p >= 0; p--) bound[p] = bound[p + 1]! + Math.max(...problem.utility[p]!);
  const terminal = problem.terminalValue;
  const highestBufferMs =
    problem.maxBufferMs ?? problem.startBufferMs + problem.segmentDurationMs.reduce((sum, d) => sum + d, 0);
  const terminalMax = terminal ? terminal(highestBufferMs) : 0;
  const rebufferPerMs = problem.rebufferPenaltyPerS / 1000;
  const path = new Int32Array(depth);
  const best = { value: -Infinity, rungs: new Int32Array(depth) };

  const visit = (p: number, bufferMs: number, value: number, previousSwitch: number | undefined): void => {
    if (p === depth) {
      const total = value + (terminal ? terminal(bufferMs) : 0);
      if (total > best.value) {
        best.value = total;
        best.rungs.set(path);
      }
      return;
    }
    if (value + bound[p]! + terminalMax <= best.value) return;
    const durationMs = problem.segmentDurationMs[p]!;
    let buffer = bufferMs;
    if (problem.maxBufferMs !== undefined && buffer + durationMs > problem.maxBufferMs) {
      buffer = Math.max(0, problem.maxBufferMs - durationMs);
    }
    const downloads = problem.downloadMs[p]!;
    const utilities = problem.utility[p]!;
    const switches = problem.switchValue[p]!;
    for (let r = rungCount - 1; r >= 0; r--) {
      const dl = downloads[r]!;
      const stallMs = dl > buffer ? dl - buffer : 0;
      const nextBuffer = (dl > buffer ? 0 : buffer - dl) + durationMs;
      const switchCost =
        previousSwitch === undefined ? 0 : problem.switchWeight * Math.abs(switches[r]! - previousSwitch);
      path[p] = r;
      visit(p + 1, nextBuffer, value + utilities[r]! - switchCost - stallMs * rebufferPerMs, switches[r]);
    }
  };
  visit(0, problem.startBufferMs, 0, problem.previousSwitchValue);
  return { rungs: Array.from(best.rungs), value: best.value };
}
