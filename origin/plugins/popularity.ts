import type { FastifyInstance } from 'fastify';
import type { DecayedCounter } from '../popularity.js';
import { errorResponses } from './schemas.js';

/** `GET /v1/popularity`: per-title decayed request counts, hottest first (edges plan proactive fill with it). */
export function popularityPlugin(
  app: FastifyInstance,
  opts: { popularity: DecayedCounter; halfLifeS: number; nowMs: () => number },
): Promise<void> {
  app.get(
    '/popularity',
    {
      config: { readScope: true },
      schema: {
        summary: 'Title popularity: requests per title, exponentially decayed',
        description:
          'Each content GET adds 1 to its title; scores halve every `halfLifeS` seconds. Accepts the API token or the read-only token.',
        tags: ['popularity'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 100_000, default: 1000 } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              halfLifeS: { type: 'number' },
              generatedAt: { type: 'string' },
              titles: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { titleId: { type: 'string' }, score: { type: 'number' } },
                },
              },
            },
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    (request, reply) => {
      const { limit } = request.query as { limit: number };
      const nowMs = opts.nowMs();
      return reply.send({
        halfLifeS: opts.halfLifeS,
        generatedAt: new Date(nowMs).toISOString(),
        titles: opts.popularity
          .top(nowMs, limit, 1e-6)
          .map((e) => ({ titleId: e.key, score: Math.round(e.score * 1000) / 1000 })),
      });
    },
  );
  return Promise.resolve();
}
