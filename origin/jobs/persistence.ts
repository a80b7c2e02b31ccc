import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../common/files.js';
import { JOB_STATES, type JobRecord } from './types.js';

const timings = z.record(z.string(), z.number());

/** Loose on encode options (they were validated when the job was created), strict on the rest. */
export const jobRecordSchema = z.object({
  id: z.string().regex(/^[0-9a-f-]{36}$/),
  titleId: z.string(),
  state: z.enum(JOB_STATES),
  progressPercent: z.number(),
  message: z.string(),
  source: z.object({ path: z.string(), uploaded: z.boolean() }),
  encode: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  timings,
  result: z.object({ version: z.string(), publishedAt: z.string() }).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

/**
 * Jobs on disk: one JSON file per job, `jobs/<id>.json`, each write atomic (temp + fsync + rename).
 * Writes of one job are serialised so an older snapshot never lands after a newer one.
 */
export class JobFiles {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly dir: string) {}

  save(job: JobRecord): Promise<void> {
    const snapshot = `${JSON.stringify(job, null, 2)}\n`;
    const previous = this.chains.get(job.id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => writeFileAtomic(this.path(job.id), snapshot));
    this.chains.set(job.id, next);
    void next
      .catch(() => undefined)
      .then(() => {
        if (this.chains.get(job.id) === next) this.chains.delete(job.id);
      });
    return next;
  }

  async remove(id: string): Promise<void> {
    await (this.chains.get(id) ?? Promise.resolve()).catch(() => undefined);
    await rm(this.path(id), { force: true });
  }

  /** Every readable job file; unreadable ones are returned by name so the caller can log them. */
  async loadAll(): Promise<{ jobs: JobRecord[]; unreadable: string[] }> {
    const jobs: JobRecord[] = [];
    const unreadable: string[] = [];
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return { jobs, unreadable };
    }
    for (const name of names) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      try {
        const parsed = jobRecordSchema.parse(JSON.parse(await readFile(join(this.dir, name), 'utf8')));
        jobs.push(parsed as JobRecord);
      } catch {
        unreadable.push(name);
      }
    }
    return { jobs, unreadable };
  }

  /** Waits for every pending write. */
  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()].map((p) => p.catch(() => undefined)));
  }

  private path(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}
