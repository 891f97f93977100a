import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenService } from '../auth/tokens.js';
import { ROLES, type Role, type TokenSubject, type User, type UserStore } from '../store/users.js';
import { FmcError } from '../errors.js';

/**
 * Who may call a route, declared in its `config.access`:
 * `public`: anyone; `user`: any logged-in user; `classify`: anyone, or agents and admins
 * when the server runs with --require-auth; a role list: logged in with one of them.
 */
export type Access = 'public' | 'user' | 'classify' | readonly Role[];

declare module 'fastify' {
  interface FastifyRequest {
    /** The user of a valid bearer token, read from the database (so its role is current). */
    user: User | null;
    /** Why a presented token was refused; raised after rate limiting has counted the request. */
    authError: FmcError | null;
    /** What the token (or ticket) named: a socket checks on every frame that its session key is still the account's. */
    tokenSubject: TokenSubject | null;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

// Customers talk to agents through the relay; labeling is the agents' and admins' tool.
const CLASSIFY_ROLES: readonly Role[] = ['admin', 'agent'];

export interface AuthOptions {
  readonly users: UserStore;
  readonly tokens: TokenService;
  readonly requireAuth: boolean;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new FmcError('FMC_ERR_UNAUTHORIZED', 'Authorization header must be "Bearer <token>"');
  return match[1];
}

/**
 * Installed on the root instance (not as an encapsulated plugin) because every route needs
 * it. The token is resolved at onRequest so the rate limiter can key by user; the decision
 * is taken at preParsing, before any body is read for a caller who may not send one.
 */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  const { users, tokens } = options;
  app.decorateRequest('user', null);
  app.decorateRequest('authError', null);
  app.decorateRequest('tokenSubject', null);

  app.addHook('onRoute', (route) => {
    if (route.config?.access === undefined) throw new Error(`route ${route.method} ${route.url} must declare config.access`);
  });

  app.addHook('onRequest', async (request) => {
    try {
      const token = bearer(request);
      if (token === undefined) return;
      const subject = await tokens.verify(token);
      const user = await users.byToken(subject);
      if (!user) throw new FmcError('FMC_ERR_UNAUTHORIZED', 'the user of this token no longer exists');
      request.user = user;
      request.tokenSubject = subject;
    } catch (err) {
      request.authError = err instanceof FmcError ? err : new FmcError('FMC_ERR_UNAUTHORIZED', 'invalid token');
    }
  });

  app.addHook('preParsing', async (request) => {
    if (request.authError) throw request.authError;
    const access = request.routeOptions.config.access ?? 'public';
    if (access === 'public' || (access === 'classify' && !options.requireAuth)) return;
    const roles = access === 'user' ? ROLES : access === 'classify' ? CLASSIFY_ROLES : access;
    if (!request.user) {
      throw new FmcError('FMC_ERR_UNAUTHORIZED', 'this route needs a token: POST /api/auth/login, then send "Authorization: Bearer <token>"');
    }
    if (!roles.includes(request.user.role)) {
      throw new FmcError('FMC_ERR_FORBIDDEN', `role ${request.user.role} may not use ${request.method} ${request.routeOptions.url}; it needs ${roles.join(' or ')}`);
    }
  });
}
