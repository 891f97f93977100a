import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyPluginAsync } from 'fastify';
import { hashPassword, PASSWORD_MAX, verifyDecoy, verifyPassword } from '../../auth/passwords.js';
import type { SessionStore } from '../../auth/sessions.js';
import type { TokenService } from '../../auth/tokens.js';
import { normalizeUsername, type UserStore } from '../../store/users.js';
import { FmcError } from '../../errors.js';
import { errorSchema } from '../errors.js';
import { setRefreshCookie } from '../refresh-cookie.js';

interface Credentials {
  username: string;
  password: string;
}

// No additionalProperties rule: extra fields (a `role` in a sign-up) are dropped by the
// validator (removeAdditional) and never read anyway.
const credentials = {
  type: 'object',
  properties: { username: { type: 'string', maxLength: 64 }, password: { type: 'string', maxLength: PASSWORD_MAX } },
  required: ['username', 'password'],
} as const;

export const userSchema = {
  type: 'object',
  properties: { id: { type: 'integer' }, username: { type: 'string' }, role: { type: 'string' }, createdAt: { type: 'string' } },
} as const;

// `session` names the refresh session (its secret is in the httpOnly cookie): POST /api/auth/refresh.
const tokenSchema = {
  type: 'object',
  properties: { token: { type: 'string' }, expiresAt: { type: 'string' }, session: { type: 'string' }, sessionExpiresAt: { type: 'string' } },
} as const;

export interface AuthRouteOptions {
  readonly users: UserStore;
  readonly tokens: TokenService;
  readonly allowSignup: boolean;
  /** Per-IP limit on login and sign-up, tighter than the global one; 0 = none. */
  readonly attemptsPerMinute: number;
  /** Refresh sessions: a login starts one and sets its cookie; absent = access tokens only. */
  readonly sessions?: SessionStore;
}

/** `POST /api/auth/login`, `GET /api/auth/me`, `POST /api/auth/signup` (customers only). */
export const authRoutes: FastifyPluginAsync<AuthRouteOptions> = async (app, options) => {
  const { users, tokens } = options;
  const attempts =
    options.attemptsPerMinute > 0 ? { rateLimit: { max: options.attemptsPerMinute, timeWindow: 60_000, keyGenerator: (r: { ip: string }) => `login:${normalizeIP(r.ip)}` } } : {};

  app.post<{ Body: Credentials }>(
    '/api/auth/login',
    { config: { access: 'public', ...attempts }, schema: { body: credentials, response: { 200: tokenSchema, '4xx': errorSchema } } },
    async (request, reply) => {
      const { username, password } = request.body;
      const user = await users.byName(username);
      // Same work and same answer whether the name or the password is wrong.
      const ok = user ? await verifyPassword(user.passwordHash, password) : await verifyDecoy(password);
      if (!user || !ok) throw new FmcError('FMC_ERR_UNAUTHORIZED', 'wrong user name or password');
      // Said only to someone who knows the password: it tells a stranger nothing.
      if (user.disabled) throw new FmcError('FMC_ERR_ACCOUNT_DISABLED', `the account ${user.username} is disabled; ask an admin to enable it`);
      request.log.info({ user: user.username }, 'login');
      const access = await tokens.issue(user);
      if (!options.sessions) return access;
      const grant = await options.sessions.start({ id: user.id, sessionKey: user.sessionKey });
      setRefreshCookie(request, reply, grant);
      return { ...access, session: grant.id, sessionExpiresAt: grant.expiresAt };
    },
  );

  app.get('/api/auth/me', { config: { access: 'user' }, schema: { response: { 200: userSchema, '4xx': errorSchema } } }, async (request) => request.user);

  app.post<{ Body: Credentials }>(
    '/api/auth/signup',
    { config: { access: 'public', ...attempts }, schema: { body: credentials, response: { 201: userSchema, '4xx': errorSchema } } },
    async (request, reply) => {
      if (!options.allowSignup) throw new FmcError('FMC_ERR_SIGNUP_CLOSED', 'self sign-up is disabled; ask an admin to run `fmc users add`');
      const username = normalizeUsername(request.body.username);
      const password = request.body.password;
      // The role is fixed here, whatever the body says: sign-up never grants agent or admin.
      const user = await users.add({ username, role: 'customer', passwordHash: await hashPassword(password) });
      request.log.info({ user: user.username }, 'sign-up');
      // The account as any other route shows it: never its hash or session key.
      return reply.code(201).send({ id: user.id, username: user.username, role: user.role, createdAt: user.createdAt });
    },
  );
};
