import { access, constants } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { OriginErrorCode, originError } from '../errors.js';
import type { JobQueue } from '../jobs/queue.js';
import type { ContentStore } from '../store/types.js';

/** `/healthz` (the process answers), `/readyz` (store readable, data dir writable, queue running), `/metrics`. */
export function opsPlugin(
  app: FastifyInstance,
  opts: { store: ContentStore; queue: JobQueue; dataDir: string; registry: Registry },
): Promise<void> {
  app.get(
    '/healthz',
    { schema: { summary: 'Liveness: the process answers', tags: ['ops'] } },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      return { status: 'ok' };
    },
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: store readable, data directory writable, job queue running',
        tags: ['ops'],
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      const problems: string[] = [];
      try {
        await opts.store.check();
      } catch (err) {
        problems.push(`store: ${(err as Error).message}`);
      }
      try {
        await access(opts.dataDir, constants.W_OK);
      } catch (err) {
        problems.push(`data directory: ${(err as Error).message}`);
      }
      if (!opts.queue.running) problems.push('job queue: not running');
      if (problems.length > 0)
        throw originError(OriginErrorCode.NotReady, `not ready: ${problems.join('; ')}`);
      return { status: 'ready' };
    },
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', tags: ['ops'] } },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store').type(opts.registry.contentType);
      return opts.registry.metrics();
    },
  );
  return Promise.resolve();
}
