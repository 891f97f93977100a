import type { FastifyPluginAsync } from 'fastify';
import { isSessionId, type SessionStore } from '../../auth/sessions.js';
import type { TokenService } from '../../auth/tokens.js';
import type { UserStore } from '../../store/users.js';
import { FmcError } from '../../errors.js';
import { errorSchema } from '../errors.js';
import { clearRefreshCookie, refreshSecret, setRefreshCookie } from '../refresh-cookie.js';
import { userSchema } from './auth.js';

export interface SessionRouteOptions {
  readonly users: UserStore;
  readonly tokens: TokenService;
  readonly sessions: SessionStore;
}

const sessionBody = { type: 'object', properties: { session: { type: 'string', maxLength: 64 } }, required: ['session'] } as const;

export const renewedSchema = {
  type: 'object',
  properties: { token: { type: 'string' }, expiresAt: { type: 'string' }, session: { type: 'string' }, sessionExpiresAt: { type: 'string' }, user: userSchema },
} as const;

// A session that cannot continue also loses its cookie: the browser stops sending a dead secret.
const ENDED = new Set(['FMC_ERR_SESSION_EXPIRED', 'FMC_ERR_SESSION_REVOKED', 'FMC_ERR_REFRESH_REUSED']);

/**
 * `POST /api/auth/refresh`: a new access token for the session's cookie, and a new cookie
 * (the old secret is spent). `POST /api/auth/logout`: ends the session. Both are public
 * routes: the access token has usually expired by the time they are called.
 */
export const sessionRoutes: FastifyPluginAsync<SessionRouteOptions> = async (app, { users, tokens, sessions }) => {
  app.post<{ Body: { session: string } }>(
    '/api/auth/refresh',
    { config: { access: 'public' }, schema: { body: sessionBody, response: { 200: renewedSchema, '4xx': errorSchema } } },
    async (request, reply) => {
      const { session } = request.body;
      const secret = refreshSecret(request, session);
      if (secret === undefined) throw new FmcError('FMC_ERR_UNAUTHORIZED', 'no refresh cookie for this session (cookies blocked, or another browser); log in again');
      let grant;
      try {
        grant = await sessions.rotate(session, secret);
      } catch (err) {
        if (err instanceof FmcError && ENDED.has(err.code)) {
          clearRefreshCookie(request, reply, session);
          request.log.info({ session, code: err.code }, 'refresh refused');
        }
        throw err;
      }
      const user = await users.byToken(grant.subject);
      if (!user) throw new FmcError('FMC_ERR_SESSION_REVOKED', 'the account of this session no longer exists; log in again');
      setRefreshCookie(request, reply, grant);
      const access = await tokens.issue(grant.subject);
      return { ...access, session: grant.id, sessionExpiresAt: grant.expiresAt, user };
    },
  );

  app.post<{ Body: { session: string } }>(
    '/api/auth/logout',
    { config: { access: 'public' }, schema: { body: sessionBody, response: { 200: { type: 'object', properties: { ended: { type: 'boolean' } } }, '4xx': errorSchema } } },
    async (request, reply) => {
      const { session } = request.body;
      if (!isSessionId(session)) throw new FmcError('FMC_ERR_BAD_REQUEST', 'session: not a session id');
      // The cookie proves the caller holds the session; a valid access token of its owner also does.
      const holder = refreshSecret(request, session) !== undefined || (request.user !== null && (await sessions.ownedBy(session, request.user.id)));
      if (!holder) throw new FmcError('FMC_ERR_UNAUTHORIZED', 'log out needs the session cookie or its owner\'s token');
      clearRefreshCookie(request, reply, session);
      const ended = await sessions.revoke(session, 'logged out');
      request.log.info({ session }, 'logout');
      return { ended };
    },
  );
};
