import type { EncodePhase } from '../../encoder/index.js';
import type { PackagePhase } from '../../manifests/index.js';
import type { FinalState, JobState, RunningState } from './types.js';

/** True for done, failed and cancelled: nothing changes a job after that. */
export function isFinalState(state: JobState): state is FinalState {
  return state === 'done' || state === 'failed' || state === 'cancelled';
}

const ORDER: Readonly<Record<JobState, number>> = {
  queued: 0,
  probing: 1,
  searching: 2,
  encoding: 3,
  packaging: 4,
  publishing: 5,
  done: 6,
  failed: 6,
  cancelled: 6,
};

/**
 * Whether a job may move from `from` to `to`: forward through the phases only (a phase may be
 * skipped), any non-final state may end, and a final state never changes.
 */
export function canTransition(from: JobState, to: JobState): boolean {
  if (isFinalState(from)) return false;
  if (isFinalState(to)) return to !== 'done' || from === 'publishing';
  return ORDER[to] > ORDER[from];
}

/** The job state during an encoder phase: measuring, comparing and writing belong to encoding. */
export function jobStateForEncodePhase(phase: EncodePhase): RunningState {
  switch (phase) {
    case 'probing':
      return 'probing';
    case 'searching':
      return 'searching';
    case 'encoding':
    case 'measuring':
    case 'comparing':
    case 'writing':
    case 'done':
      return 'encoding';
  }
}

/**
 * Where each stage sits in the job's overall percentage: encoding dominates (minutes of FFmpeg),
 * packaging takes seconds, publishing is a copy.
 */
export const STAGE_SPAN = { encode: [0, 85], package: [85, 97], publish: [97, 100] } as const;

/** Overall job percent from a stage's own 0..100 progress. */
export function overallPercent(stage: keyof typeof STAGE_SPAN, stagePercent: number): number {
  const [from, to] = STAGE_SPAN[stage];
  const clamped = Math.min(100, Math.max(0, stagePercent));
  return Math.round((from + ((to - from) * clamped) / 100) * 10) / 10;
}

/** The packaging phases all map to the packaging state. */
export function jobStateForPackagePhase(_phase: PackagePhase): RunningState {
  return 'packaging';
}
