import type { JobRecord, RunningState } from './types.js';

export interface PipelineContext {
  /** Aborted when the job is cancelled or the origin stops. */
  signal: AbortSignal;
  /** A private directory for the job's intermediate files, removed when the job ends. */
  workDir: string;
  /** Reports the phase, the overall percent (0..100) and a message. */
  report: (state: RunningState, percent: number, message: string) => void;
}

export interface PipelineResult {
  version: string;
  publishedAt: string;
}

/**
 * The work of a job, from source to published version. The default one encodes, packages and
 * publishes ({@link createEncodePipeline}); tests pass their own.
 */
export type JobPipeline = (job: Readonly<JobRecord>, context: PipelineContext) => Promise<PipelineResult>;
