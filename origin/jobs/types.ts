/** Every state of an encode job, in the order a successful job passes through them. */
export const JOB_STATES = [
  'queued',
  'probing',
  'searching',
  'encoding',
  'packaging',
  'publishing',
  'done',
  'failed',
  'cancelled',
] as const;

export type JobState = (typeof JOB_STATES)[number];

/** The states in which the pipeline is working (a phase). */
export type RunningState = 'probing' | 'searching' | 'encoding' | 'packaging' | 'publishing';
export const RUNNING_STATES: readonly RunningState[] = [
  'probing',
  'searching',
  'encoding',
  'packaging',
  'publishing',
];

export type FinalState = 'done' | 'failed' | 'cancelled';

/** Encode options a job may carry: a safe subset of the encoder's options (no paths, no overwrite). */
export interface JobEncodeOptions {
  metric?: 'vmaf' | 'psnr' | 'ssim';
  targetQuality?: number;
  floorQuality?: number;
  qualityStep?: number;
  floorBitrateKbps?: number;
  maxBitrateKbps?: number;
  minBitrateRatio?: number;
  maxRungs?: number;
  resolutions?: { width: number; height: number }[];
  sampleCount?: number;
  sampleDurationS?: number;
  segmentDurationS?: number;
  gopDurationS?: number;
  preset?: string;
  searchPreset?: string;
  vmafSubsample?: number;
  audioBitrateKbps?: number;
  verifyRungs?: boolean;
}

/** What a job is asked to do. */
export interface JobSpec {
  titleId: string;
  /** Absolute, resolved path of the source, inside the ingest directory. */
  sourcePath: string;
  /** True when the source was uploaded for this job: it is deleted when the job ends. */
  uploaded: boolean;
  encode: JobEncodeOptions;
}

export interface JobError {
  code: string;
  message: string;
}

/** A job as `GET /v1/jobs/{id}` shows it and `jobs/<id>.json` stores it. */
export interface JobRecord {
  id: string;
  titleId: string;
  state: JobState;
  /** Overall completion, 0..100. */
  progressPercent: number;
  /** The last progress message. */
  message: string;
  source: { path: string; uploaded: boolean };
  encode: JobEncodeOptions;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Time spent in each phase, in ms (queued: waiting for a slot). */
  timings: Partial<Record<'queued' | RunningState, number>> & { totalMs?: number };
  result?: { version: string; publishedAt: string };
  error?: JobError;
}
