import type { FastifyInstance } from 'fastify';
import { OriginErrorCode, originError } from '../errors.js';
import type { JobQueue } from '../jobs/queue.js';
import { JOB_STATES, type JobState } from '../jobs/types.js';
import { ID_PARAMS_SCHEMA, JOB_ID_SCHEMA, JOB_SCHEMA, errorResponses } from './schemas.js';

/** `/v1/jobs`: job state, progress, timings and errors; cancellation. */
export function jobsPlugin(app: FastifyInstance, opts: { queue: JobQueue }): Promise<void> {
  const { queue } = opts;

  app.get(
    '/jobs',
    {
      schema: {
        summary: 'Recent jobs, newest first',
        tags: ['jobs'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            state: { type: 'string', enum: [...JOB_STATES] },
          },
        },
        response: {
          200: { type: 'object', properties: { jobs: { type: 'array', items: JOB_SCHEMA } } },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    (request, reply) => {
      const { limit, state } = request.query as { limit: number; state?: JobState };
      return reply.send({ jobs: queue.list({ limit, ...(state !== undefined ? { state } : {}) }) });
    },
  );

  app.get(
    '/jobs/:id',
    {
      schema: {
        summary: 'One job: state, progress percent, timings, error code and message on failure',
        tags: ['jobs'],
        security: [{ bearer: [] }],
        params: ID_PARAMS_SCHEMA(JOB_ID_SCHEMA),
        response: { 200: JOB_SCHEMA, ...errorResponses(400, 401, 403, 404) },
      },
    },
    (request, reply) => {
      const { id } = request.params as { id: string };
      const job = queue.get(id);
      if (!job) throw originError(OriginErrorCode.JobNotFound, `no job ${id}`);
      return reply.send(job);
    },
  );

  app.delete(
    '/jobs/:id',
    {
      schema: {
        summary:
          'Cancel a queued or running job (its encoder and packager are stopped; nothing is published)',
        tags: ['jobs'],
        security: [{ bearer: [] }],
        params: ID_PARAMS_SCHEMA(JOB_ID_SCHEMA),
        response: { 200: JOB_SCHEMA, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      return queue.cancel(id);
    },
  );
  return Promise.resolve();
}
