import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

export interface MetricsRouteOptions {
  readonly registry: Registry;
}

/** `GET /metrics`: Prometheus text exposition. */
export const metricsRoutes: FastifyPluginAsync<MetricsRouteOptions> = async (app, { registry }) => {
  app.get('/metrics', { config: { access: 'public' } }, async (_request, reply) => {
    void reply.header('content-type', registry.contentType).header('cache-control', 'no-store');
    return registry.metrics();
  });
};
