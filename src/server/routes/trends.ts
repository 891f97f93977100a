import type { FastifyPluginAsync } from 'fastify';
import type { LiveTrends } from '../../report/live.js';
import { LANGS, type Lang } from '../../report/i18n.js';
import { errorSchema } from '../errors.js';

export interface TrendsRouteOptions {
  readonly trends: LiveTrends;
}

/**
 * `GET /api/trends`: the report's figures over the server's own traffic and its charts as
 * SVG, rendered here by the same chart code as `fmc report` (the page inserts them as is).
 */
export const trendsRoutes: FastifyPluginAsync<TrendsRouteOptions> = async (app, { trends }) => {
  app.get<{ Querystring: { lang?: Lang } }>(
    '/api/trends',
    {
      config: { access: ['agent', 'admin'] },
      schema: {
        querystring: { type: 'object', properties: { lang: { type: 'string', enum: [...LANGS] } } },
        response: { '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const view = trends.view(request.query.lang ?? 'en');
      return reply.header('cache-control', 'no-store').send(view);
    },
  );
};
