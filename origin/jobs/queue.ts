import { randomUUID } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { toCdnError } from '../../common/errors.js';
import type { Logger } from '../../common/logging.js';
import { OriginErrorCode, originError } from '../errors.js';
import { JobFiles } from './persistence.js';
import type { JobPipeline } from './pipeline.js';
import { canTransition, isFinalState } from './states.js';
import {
  JOB_STATES,
  type JobError,
  type JobRecord,
  type JobSpec,
  type JobState,
  type RunningState,
} from './types.js';

/**
 * Where encode jobs wait and run. The in-process queue is the default; a distributed queue comes
 * later behind the same interface.
 */
export interface JobQueue {
  /** Loads persisted jobs (see the implementation for what happens to unfinished ones) and starts. */
  open(): Promise<void>;
  /** Queues a job; fails with ORIGIN_ERR_QUEUE_FULL when too many wait. */
  submit(spec: JobSpec): Promise<JobRecord>;
  get(id: string): JobRecord | undefined;
  /** Jobs, newest first. */
  list(options?: { limit?: number; state?: JobState }): JobRecord[];
  /** Cancels a queued or running job; ORIGIN_ERR_JOB_NOT_FOUND, ORIGIN_ERR_JOB_FINISHED otherwise. */
  cancel(id: string): Promise<JobRecord>;
  /** Jobs waiting for a slot. */
  depth(): number;
  counts(): Record<JobState, number>;
  /** True between open() and close(). */
  readonly running: boolean;
  /** Stops: no new jobs, running jobs aborted and recorded as failed (interrupted); queued ones stay queued. */
  close(): Promise<void>;
}

export interface JobQueueHooks {
  /** A phase ended after `durationMs` (also `queued`: the wait for a slot). */
  onPhaseEnd?: (phase: 'queued' | RunningState, durationMs: number) => void;
  onStateChange?: (job: Readonly<JobRecord>, from: JobState | undefined) => void;
}

export interface InProcessJobQueueOptions {
  /** The data directory: `jobs/` and `work/` are created in it. */
  dataDir: string;
  pipeline: JobPipeline;
  /** Jobs running at once. */
  concurrency: number;
  /** Jobs waiting at most. */
  maxQueued: number;
  /** Finished jobs kept (memory and disk); the oldest are deleted beyond it. */
  retention: number;
  logger: Logger;
  hooks?: JobQueueHooks;
  now?: () => Date;
  /** Progress is persisted at most this often per job, in ms (state changes always at once). */
  progressPersistIntervalMs?: number;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

type AbortReason = 'cancel' | 'shutdown';

/**
 * The in-process job queue: a FIFO with a concurrency limit, every job persisted as
 * `jobs/<id>.json` on each state change (progress at most once a second).
 *
 * On open, persisted jobs are reloaded: `queued` ones are queued again (nothing of them had
 * started), jobs that were running are marked `failed` with ORIGIN_ERR_JOB_INTERRUPTED. They are not
 * resumed: the encoder's intermediate files (samples, probes, partial renditions) lived in temporary
 * directories that died with the process, so resuming would mean starting over anyway, and an
 * explicit failure lets the client decide. Their work directories are removed.
 */
export class InProcessJobQueue implements JobQueue {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly waiting: string[] = [];
  private readonly active = new Map<string, Running>();
  private readonly files: JobFiles;
  private readonly workRoot: string;
  private readonly now: () => Date;
  private readonly persistEveryMs: number;
  private readonly lastPersistMs = new Map<string, number>();
  private readonly phaseStartedMs = new Map<string, number>();
  private isOpen = false;
  private closing = false;

  constructor(private readonly options: InProcessJobQueueOptions) {
    this.files = new JobFiles(join(options.dataDir, 'jobs'));
    this.workRoot = join(options.dataDir, 'work');
    this.now = options.now ?? (() => new Date());
    this.persistEveryMs = options.progressPersistIntervalMs ?? 1000;
  }

  get running(): boolean {
    return this.isOpen && !this.closing;
  }

  async open(): Promise<void> {
    await mkdir(join(this.options.dataDir, 'jobs'), { recursive: true });
    await mkdir(this.workRoot, { recursive: true });
    const { jobs, unreadable } = await this.files.loadAll();
    for (const name of unreadable)
      this.options.logger.warn({ file: name }, 'skipping an unreadable job file');
    const requeue: JobRecord[] = [];
    for (const job of jobs.sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
      this.jobs.set(job.id, job);
      if (job.state === 'queued') {
        requeue.push(job);
      } else if (!isFinalState(job.state)) {
        this.finish(job, 'failed', {
          code: OriginErrorCode.JobInterrupted,
          message: `the origin stopped while the job was ${job.state}; it was not resumed (its intermediate files are gone): submit it again`,
        });
        if (job.source.uploaded) await rm(job.source.path, { force: true });
      }
    }
    // Work directories of jobs that are not running now are leftovers.
    await rm(this.workRoot, { recursive: true, force: true });
    await mkdir(this.workRoot, { recursive: true });
    this.isOpen = true;
    for (const job of requeue) {
      this.phaseStartedMs.set(job.id, this.now().getTime());
      this.waiting.push(job.id);
    }
    await this.enforceRetention();
    this.pump();
  }

  async submit(spec: JobSpec): Promise<JobRecord> {
    if (!this.running) throw originError(OriginErrorCode.NotReady, 'the job queue is not running');
    if (this.waiting.length >= this.options.maxQueued) {
      throw originError(
        OriginErrorCode.QueueFull,
        `${this.waiting.length} jobs are already waiting; try again later`,
      );
    }
    const job: JobRecord = {
      id: randomUUID(),
      titleId: spec.titleId,
      state: 'queued',
      progressPercent: 0,
      message: 'waiting for a slot',
      source: { path: spec.sourcePath, uploaded: spec.uploaded },
      encode: spec.encode,
      createdAt: this.now().toISOString(),
      timings: {},
    };
    this.jobs.set(job.id, job);
    await this.files.save(job);
    this.phaseStartedMs.set(job.id, this.now().getTime());
    this.waiting.push(job.id);
    this.options.hooks?.onStateChange?.(job, undefined);
    this.pump();
    return { ...job };
  }

  get(id: string): JobRecord | undefined {
    const job = this.jobs.get(id);
    return job ? structuredClone(job) : undefined;
  }

  list(options: { limit?: number; state?: JobState } = {}): JobRecord[] {
    return [...this.jobs.values()]
      .filter((j) => options.state === undefined || j.state === options.state)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || (a.id < b.id ? -1 : 1))
      .slice(0, options.limit ?? 100)
      .map((j) => structuredClone(j));
  }

  async cancel(id: string): Promise<JobRecord> {
    const job = this.jobs.get(id);
    if (!job) throw originError(OriginErrorCode.JobNotFound, `no job ${id}`);
    if (isFinalState(job.state))
      throw originError(OriginErrorCode.JobFinished, `job ${id} is already ${job.state}`);
    const waitingAt = this.waiting.indexOf(id);
    if (waitingAt !== -1) {
      this.waiting.splice(waitingAt, 1);
      this.finish(job, 'cancelled', {
        code: OriginErrorCode.JobCancelled,
        message: 'cancelled before it started',
      });
      if (job.source.uploaded) await rm(job.source.path, { force: true });
      await this.files.flush();
      return structuredClone(job);
    }
    const running = this.active.get(id);
    if (running) {
      running.controller.abort('cancel' satisfies AbortReason);
      await running.done;
    }
    return structuredClone(this.jobs.get(id) ?? job);
  }

  depth(): number {
    return this.waiting.length;
  }

  counts(): Record<JobState, number> {
    const out = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (const job of this.jobs.values()) out[job.state]++;
    return out;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // Queued jobs stay queued on disk: the next start runs them.
    this.waiting.length = 0;
    for (const running of this.active.values()) running.controller.abort('shutdown' satisfies AbortReason);
    await Promise.all([...this.active.values()].map((r) => r.done));
    await this.files.flush();
    this.isOpen = false;
  }

  private pump(): void {
    while (this.running && this.active.size < this.options.concurrency && this.waiting.length > 0) {
      const id = this.waiting.shift()!;
      const job = this.jobs.get(id);
      if (!job || job.state !== 'queued') continue;
      const controller = new AbortController();
      const running: Running = { controller, done: Promise.resolve() };
      this.active.set(id, running);
      running.done = this.run(job, controller).finally(() => {
        this.active.delete(id);
        this.pump();
      });
    }
  }

  private async run(job: JobRecord, controller: AbortController): Promise<void> {
    const workDir = join(this.workRoot, job.id);
    const log = this.options.logger.child({ jobId: job.id, titleId: job.titleId });
    job.startedAt = this.now().toISOString();
    // The final state is recorded only after the work dir and an uploaded source are gone, so a
    // client that sees `done`/`failed` never finds leftovers.
    let settle: () => void;
    try {
      await rm(workDir, { recursive: true, force: true });
      await mkdir(workDir, { recursive: true });
      await stat(job.source.path).catch((err: unknown) => {
        throw originError(OriginErrorCode.SourceNotFound, `the source ${job.source.path} is gone`, {
          cause: err,
        });
      });
      const result = await this.options.pipeline(structuredClone(job), {
        signal: controller.signal,
        workDir,
        report: (state, percent, message) => this.progress(job, state, percent, message),
      });
      settle = () => {
        if (isFinalState(job.state)) return;
        job.result = result;
        this.transition(job, 'publishing');
        this.finish(job, 'done', undefined, 'published');
        log.info({ version: result.version }, 'job done');
      };
    } catch (err) {
      const reason = controller.signal.aborted ? (controller.signal.reason as AbortReason) : undefined;
      settle = () => {
        if (reason === 'cancel') {
          this.finish(job, 'cancelled', {
            code: OriginErrorCode.JobCancelled,
            message: 'cancelled; nothing was published',
          });
          log.info('job cancelled');
        } else if (reason === 'shutdown') {
          this.finish(job, 'failed', {
            code: OriginErrorCode.JobInterrupted,
            message: `the origin stopped while the job was ${job.state}; nothing was published: submit it again`,
          });
          log.warn('job interrupted by shutdown');
        } else {
          const error = toCdnError(err);
          this.finish(job, 'failed', { code: error.code, message: error.message });
          log.warn({ code: error.code, err: error.message }, 'job failed');
        }
      };
    }
    await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    if (job.source.uploaded) await rm(job.source.path, { force: true }).catch(() => undefined);
    settle();
    await this.files.flush();
    await this.enforceRetention();
  }

  private progress(job: JobRecord, state: RunningState, percent: number, message: string): void {
    if (isFinalState(job.state)) return;
    const changed = state !== job.state && canTransition(job.state, state);
    if (changed) this.transition(job, state);
    else if (state !== job.state) return; // a late report from an earlier phase
    job.progressPercent = Math.max(job.progressPercent, Math.min(100, Math.round(percent * 10) / 10));
    job.message = message;
    const nowMs = this.now().getTime();
    if (changed || nowMs - (this.lastPersistMs.get(job.id) ?? 0) >= this.persistEveryMs)
      this.persist(job, nowMs);
  }

  /** Moves to a new phase, recording how long the previous one took. */
  private transition(job: JobRecord, to: JobState): void {
    if (!canTransition(job.state, to)) return;
    const from = job.state;
    const nowMs = this.now().getTime();
    this.endPhase(job, nowMs);
    job.state = to;
    if (!isFinalState(to)) this.phaseStartedMs.set(job.id, nowMs);
    this.persist(job, nowMs);
    this.options.hooks?.onStateChange?.(job, from);
  }

  private endPhase(job: JobRecord, nowMs: number): void {
    const started = this.phaseStartedMs.get(job.id);
    if (started === undefined || isFinalState(job.state)) return;
    const phase = job.state;
    const durationMs = Math.max(0, nowMs - started);
    job.timings[phase] = (job.timings[phase] ?? 0) + durationMs;
    this.options.hooks?.onPhaseEnd?.(phase, durationMs);
    this.phaseStartedMs.delete(job.id);
  }

  private finish(
    job: JobRecord,
    state: 'done' | 'failed' | 'cancelled',
    error: JobError | undefined,
    message?: string,
  ): void {
    if (isFinalState(job.state)) return;
    const from = job.state;
    const nowMs = this.now().getTime();
    this.endPhase(job, nowMs);
    job.state = state;
    job.finishedAt = new Date(nowMs).toISOString();
    if (state === 'done') job.progressPercent = 100;
    if (error) {
      job.error = error;
      job.message = error.message;
    } else if (message !== undefined) job.message = message;
    job.timings.totalMs = Math.max(0, nowMs - Date.parse(job.createdAt));
    this.persist(job, nowMs);
    this.lastPersistMs.delete(job.id);
    this.options.hooks?.onStateChange?.(job, from);
  }

  private persist(job: JobRecord, nowMs: number): void {
    this.lastPersistMs.set(job.id, nowMs);
    this.files.save(job).catch((err: unknown) => {
      this.options.logger.error({ jobId: job.id, err: (err as Error).message }, 'cannot persist a job');
    });
  }

  private async enforceRetention(): Promise<void> {
    const finished = [...this.jobs.values()]
      .filter((j) => isFinalState(j.state))
      .sort((a, b) => (b.finishedAt ?? '').localeCompare(a.finishedAt ?? ''));
    for (const job of finished.slice(this.options.retention)) {
      this.jobs.delete(job.id);
      await this.files.remove(job.id);
    }
  }
}
