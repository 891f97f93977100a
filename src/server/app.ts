import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { SessionStore } from '../auth/sessions.js';
import { createSessionStore } from '../store/sqlite/sessions.js';
import type { TokenService } from '../auth/tokens.js';
import { isStorageError, type DataDb } from '../store/sqlite/data-db.js';
import type { UserStore } from '../store/users.js';
import { FmcError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { installAuth } from './auth.js';
import { dashboardRoutes } from './dashboard/plugin.js';
import { handleError, handleNotFound } from './errors.js';
import { createHealth } from './health.js';
import type { HealthCheck } from '../tiers/tier.js';
import { LOG_SERIALIZERS } from './log-redact.js';
import { DEFAULT_LIMITS, DEFAULT_RATE_LIMITS, type RateLimits, type ServerLimits } from './limits.js';
import { createServerMetrics, type ServerMetrics } from './metrics.js';
import { findNul } from './nul-check.js';
import type { MasterKeySource } from './relay/keyring.js';
import type { RelayOptions } from './relay/options.js';
import type { SlaTargets } from './console/sla.js';
import { registerRelay, type RelayPg } from './relay/plugin.js';
import { probePool } from '../store/pg/pool.js';
import { pgRateStore } from './relay/pg/rate-store.js';
import { authRoutes } from './routes/auth.js';
import { sessionRoutes } from './routes/sessions.js';
import { classifyRoutes } from './routes/classify-api.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { userRoutes } from './routes/users.js';
import { replyRoutes } from './routes/replies.js';
import { openSqliteReplies } from '../store/sqlite/replies.js';
import { openPgReplies } from '../store/pg/replies.js';
import { trendsRoutes } from './routes/trends.js';
import { createLiveTrends, type LiveTrends } from '../report/live.js';

export interface AppOptions {
  /** /api/classify needs an agent or admin token. */
  readonly requireAuth: boolean;
  readonly allowSignup: boolean;
  /** From FMC_CORS_ORIGINS: empty = same-origin only; ['*'] = any origin, no credentials. */
  readonly corsOrigins: readonly string[];
  readonly limits?: ServerLimits;
  readonly rateLimits?: RateLimits;
  readonly version: string;
  /**
   * Proxies (addresses, CIDRs, or `loopback`) whose X-Forwarded-For names the client; absent
   * or empty = none, and the client is the socket's peer (a header anyone can send proves nothing).
   */
  readonly trustProxy?: readonly string[];
  /** FMC_REFRESH_TTL: a refresh session unused this long ends (seconds); default 12 hours. */
  readonly refreshTtlSeconds?: number;
}

export const DEFAULT_REFRESH_TTL_SECONDS = 12 * 3600;

/** Everything the server works with is passed in: tests build it over temp dirs and fakes. */
export interface AppDeps {
  readonly pipeline: Pipeline;
  readonly data: DataDb;
  readonly users: UserStore;
  readonly tokens: TokenService;
  readonly logger: Logger;
  readonly options: AppOptions;
  readonly metrics?: ServerMetrics;
  /** The chat relay (/ws, /api/conversations); absent = classification API only. */
  readonly relay?: { readonly masterKey: MasterKeySource; readonly options?: RelayOptions; readonly sla?: SlaTargets; readonly pg?: RelayPg };
  /** The Trends view's live figures (chat and /api/classify traffic); made here when absent. */
  readonly trends?: LiveTrends;
  /** Refresh sessions (fmc serve: where the users are, server/accounts.ts); made over the data DB when absent (tests pass one with a clock). */
  readonly sessions?: SessionStore;
}

const REQUEST_ID = /^[\w.:-]{1,64}$/;

/** A caller's X-Request-Id when it is sane (so logs join up across services), else a new one. */
function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** The HTTP API over one pipeline. Never listens: `cli/serve.ts` does, tests use port 0. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { pipeline, options } = deps;
  const limits = options.limits ?? DEFAULT_LIMITS;
  const rateLimits = options.rateLimits ?? DEFAULT_RATE_LIMITS;
  const metrics = deps.metrics ?? createServerMetrics(() => pipeline.counts);
  // Our serializer wins over Fastify's own (which logs req.url as is): no query reaches a log line.
  const loggerInstance: FastifyBaseLogger = deps.logger.child({}, { serializers: LOG_SERIALIZERS });

  const app = Fastify({
    loggerInstance,
    genReqId: requestId,
    // request.ip (the rate limits' key, the logs) comes from X-Forwarded-For only through these.
    trustProxy: options.trustProxy && options.trustProxy.length > 0 ? [...options.trustProxy] : false,
    bodyLimit: limits.jsonBodyBytes,
    // Fastify's own 503 while closing is not our error shape; the preClose flag below answers instead.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // A stalled upload must not hold a socket (and the shutdown) forever.
    requestTimeout: 60_000,
    // Fastify's default also coerces a scalar into an array: `{"texts": "x"}` must be a 400, not one text.
    ajv: { customOptions: { coerceTypes: true } },
  });

  app.setErrorHandler(handleError);
  // Requests in flight when close() starts finish; a new one on a kept-alive socket is refused.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    if (closing) throw new FmcError('FMC_ERR_SHUTTING_DOWN', 'the server is shutting down; retry in a moment');
  });
  app.addHook('preValidation', async (request) => {
    // Fastify's params and query objects have prototypes of their own: their entries, copied.
    const where = findNul({ ...(request.params as object) }, 'params') ?? findNul({ ...(request.query as object) }, 'query') ?? findNul(request.body, 'body');
    if (where) throw new FmcError('FMC_ERR_BAD_REQUEST', `${where} holds a NUL character (\\u0000), which fmc does not accept`);
  });
  // A route's write refused for storage reasons (disk full) marks the data DB for health too.
  app.addHook('onError', async (_request, _reply, err) => {
    if (isStorageError(err)) deps.data.writeFailed(err);
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  await app.register(helmet, { global: true });
  if (options.corsOrigins.length > 0) {
    const anyOrigin = options.corsOrigins[0] === '*';
    // `*` with credentials is what browsers refuse and what leaks sessions: never both.
    await app.register(cors, {
      origin: anyOrigin ? '*' : [...options.corsOrigins],
      credentials: !anyOrigin,
      methods: ['GET', 'POST'],
      allowedHeaders: ['Content-Type', 'Authorization', 'X-Request-Id'],
      exposedHeaders: ['Retry-After', 'X-Request-Id'],
      maxAge: 600,
    });
  }
  installAuth(app, { users: deps.users, tokens: deps.tokens, requireAuth: options.requireAuth });
  const limiting = rateLimits.perMinute > 0 || rateLimits.loginPerMinute > 0;
  if (limiting) {
    await app.register(rateLimit, {
      // Not global with --rate-limit 0: only the login routes keep their own limit.
      global: rateLimits.perMinute > 0,
      timeWindow: 60_000,
      max: rateLimits.perMinute || Number.MAX_SAFE_INTEGER,
      // Runs after the token is resolved: a logged-in user has their own budget, wherever they connect from.
      // IPv6 clients are keyed by their /64 (the plugin's default), or one host could rotate addresses.
      // Several instances on one PostgreSQL count in one place: a client's budget is not
      // multiplied by the number of servers behind the load balancer.
      ...(deps.relay?.pg && { store: pgRateStore(deps.relay.pg.pool, deps.relay.pg.url) }),
      keyGenerator: (request) => (request.user ? `user:${request.user.id}` : `ip:${normalizeIP(request.ip)}`),
      errorResponseBuilder: (_request, context) =>
        new FmcError('FMC_ERR_RATE_LIMITED', `rate limit of ${context.max} requests a minute reached; retry in ${context.after}`),
    });
  }

  // The relay registers later; its LISTEN check is read through this once it exists.
  let listenCheck: (() => HealthCheck) | undefined;
  const pgRelay = deps.relay?.pg;
  await app.register(healthRoutes, { check: createHealth({
        data: deps.data,
        pipeline,
        version: options.version,
        listen: () => listenCheck?.(),
        ...(pgRelay && { database: () => probePool(pgRelay.pool, pgRelay.url) }),
      }).check });
  await app.register(metricsRoutes, { registry: metrics.registry });
  await app.register(cookie);
  const sessions = deps.sessions ?? createSessionStore(deps.data.db, { ttlSeconds: options.refreshTtlSeconds ?? DEFAULT_REFRESH_TTL_SECONDS });
  await app.register(authRoutes, { users: deps.users, tokens: deps.tokens, allowSignup: options.allowSignup, attemptsPerMinute: rateLimits.loginPerMinute, sessions });
  await app.register(sessionRoutes, { users: deps.users, tokens: deps.tokens, sessions });
  await app.register(userRoutes, { users: deps.users });
  // With PostgreSQL, one list for every instance on the database.
  const replies = deps.relay?.pg ? openPgReplies(deps.relay.pg.pool, deps.relay.pg.url) : openSqliteReplies(deps.data.db);
  await app.register(replyRoutes, { replies });
  const trends = deps.trends ?? createLiveTrends();
  app.addHook('onClose', async () => trends.close());
  await app.register(classifyRoutes, { pipeline, limits, metrics, onResults: trends.recordApi });
  await app.register(trendsRoutes, { trends });
  await app.register(dashboardRoutes);
  if (deps.relay) {
    const relay = await registerRelay(app, { pipeline, data: deps.data, users: deps.users, tokens: deps.tokens, metrics, logger: deps.logger, trends, ...deps.relay });
    listenCheck = relay.listen;
  }

  app.setNotFoundHandler(rateLimits.perMinute > 0 ? { preHandler: app.rateLimit() } : {}, handleNotFound);
  return app;
}
