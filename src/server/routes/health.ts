import type { FastifyPluginAsync } from 'fastify';
import type { HealthReport } from '../health.js';

const check = { type: 'object', properties: { ok: { type: 'boolean' }, detail: { type: 'string' } }, required: ['ok', 'detail'] } as const;
const report = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded', 'unavailable'] },
    checks: {
      type: 'object',
      properties: {
        db: check,
        cache: check,
        listen: check,
        database: check,
        tiers: { type: 'object', additionalProperties: { ...check, properties: { ...check.properties, live: { type: 'boolean' }, configured: { type: 'boolean' } } } },
      },
    },
    version: { type: 'string' },
    uptime: { type: 'number' },
  },
} as const;

export interface HealthRouteOptions {
  readonly check: () => Promise<HealthReport>;
}

/** `GET /api/health`: 200 when ready (ok or degraded), 503 when not. */
export const healthRoutes: FastifyPluginAsync<HealthRouteOptions> = async (app, options) => {
  // Not rate limited: a load balancer polls it every few seconds from one address, and in
  // PostgreSQL mode the shared limit's store is the very database this reports on.
  app.get('/api/health', { schema: { response: { 200: report, 503: report } }, config: { access: 'public', rateLimit: false } }, async (_request, reply) => {
    const health = await options.check();
    // A load balancer polls this: a cached "ready" would hide a DB that just went read-only.
    void reply.header('cache-control', 'no-store').code(health.status === 'unavailable' ? 503 : 200);
    return health;
  });
};
