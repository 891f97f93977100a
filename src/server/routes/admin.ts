import type { FastifyPluginAsync } from 'fastify';
import { conversationStats } from '../../admin/stats.js';
import { hashPassword, PASSWORD_MAX } from '../../auth/passwords.js';
import type { CorrectionStore } from '../../corrections/store.js';
import { FmcError } from '../../errors.js';
import { ROLES, type Role, type UserStore } from '../../store/users.js';
import type { SlaTargets } from '../console/sla.js';
import { errorSchema } from '../errors.js';
import type { RelayStore } from '../relay/relay-store.js';

export interface AdminRouteOptions {
  readonly users: UserStore;
  readonly store: Pick<RelayStore, 'list' | 'messageTimes'>;
  readonly corrections: CorrectionStore;
  readonly sla: SlaTargets;
}

const ADMIN = { access: ['admin'] as const };
const nameParams = { type: 'object', properties: { name: { type: 'string', maxLength: 64 } }, required: ['name'] } as const;
const account = {
  type: 'object',
  properties: { id: { type: 'integer' }, username: { type: 'string' }, role: { type: 'string' }, createdAt: { type: 'string' }, displayName: { type: 'string' }, disabled: { type: 'boolean' } },
} as const;
const password = { type: 'string', maxLength: PASSWORD_MAX } as const;
// Closed conversations the statistics read at most (open ones are all read): a bound on the decryption work.
const STATS_CLOSED_LIMIT = 50_000;

/**
 * The admin page's API: accounts (list with their state, add, role, disable, reset password),
 * conversation statistics, and the agents' label corrections. Admins only.
 */
export const adminRoutes: FastifyPluginAsync<AdminRouteOptions> = async (app, { users, store, corrections, sla }) => {
  const found = async (name: string) => {
    const user = await users.byName(name);
    if (!user) throw new FmcError('FMC_ERR_USER_NOT_FOUND', `no user ${JSON.stringify(name)}`);
    return user;
  };
  // An admin locking themselves out (disable, demote) would leave nobody to undo it from the page.
  const notSelf = (me: { username: string }, name: string, what: string): void => {
    if (me.username === name.trim().toLowerCase()) throw new FmcError('FMC_ERR_FORBIDDEN', `an admin may not ${what} their own account; ask another admin, or use fmc users`);
  };

  app.get('/api/admin/users', { config: ADMIN, schema: { response: { 200: { type: 'object', properties: { users: { type: 'array', items: account } } }, '4xx': errorSchema } } }, async () => ({
    users: await users.accounts(),
  }));

  app.post<{ Body: { username: string; role: Role; password: string } }>(
    '/api/admin/users',
    {
      config: ADMIN,
      schema: {
        body: { type: 'object', properties: { username: { type: 'string', maxLength: 64 }, role: { type: 'string', enum: [...ROLES] }, password }, required: ['username', 'role', 'password'] },
        response: { 201: account, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const { username, role } = request.body;
      const user = await users.add({ username, role, passwordHash: await hashPassword(request.body.password) });
      request.log.info({ user: user.username, role, by: request.user!.username }, 'user added');
      return reply.code(201).send({ id: user.id, username: user.username, role: user.role, createdAt: user.createdAt, disabled: false });
    },
  );

  app.post<{ Params: { name: string }; Body: { role: Role } }>(
    '/api/admin/users/:name/role',
    { config: ADMIN, schema: { params: nameParams, body: { type: 'object', properties: { role: { type: 'string', enum: [...ROLES] } }, required: ['role'] }, response: { 200: account, '4xx': errorSchema } } },
    async (request) => {
      notSelf(request.user!, request.params.name, 'change the role of');
      const user = await found(request.params.name);
      await users.setRole(user.username, request.body.role);
      return (await users.accounts()).find((a) => a.id === user.id);
    },
  );

  app.post<{ Params: { name: string }; Body: { disabled: boolean } }>(
    '/api/admin/users/:name/disabled',
    { config: ADMIN, schema: { params: nameParams, body: { type: 'object', properties: { disabled: { type: 'boolean' } }, required: ['disabled'] }, response: { 200: account, '4xx': errorSchema } } },
    async (request) => {
      notSelf(request.user!, request.params.name, 'disable');
      const user = await found(request.params.name);
      await users.setDisabled(user.username, request.body.disabled);
      request.log.info({ user: user.username, disabled: request.body.disabled, by: request.user!.username }, 'user disabled flag');
      return (await users.accounts()).find((a) => a.id === user.id);
    },
  );

  app.post<{ Params: { name: string }; Body: { password: string } }>(
    '/api/admin/users/:name/password',
    { config: ADMIN, schema: { params: nameParams, body: { type: 'object', properties: { password }, required: ['password'] }, response: { 200: account, '4xx': errorSchema } } },
    async (request) => {
      const user = await found(request.params.name);
      // As `fmc users passwd`: a new session key too, so every token and session of the account ends.
      await users.setPassword(user.username, await hashPassword(request.body.password));
      request.log.info({ user: user.username, by: request.user!.username }, 'password reset');
      return (await users.accounts()).find((a) => a.id === user.id);
    },
  );

  app.get<{ Querystring: { days: number } }>(
    '/api/admin/stats',
    { config: ADMIN, schema: { querystring: { type: 'object', properties: { days: { type: 'integer', minimum: 1, maximum: 90, default: 14 } } } } },
    async (request) => {
      const now = Date.now();
      const days = request.query.days;
      const since = now - (days + 1) * 86_400_000;
      const conversations = (await store.list({ closedLimit: STATS_CLOSED_LIMIT })).map((c) => ({ id: c.id, createdAt: Date.parse(c.createdAt), urgency: c.urgency, claim: c.claim }));
      const messages = await store.messageTimes(since);
      return conversationStats({ conversations, messages, days, now, sla });
    },
  );

  app.get<{ Querystring: { limit: number } }>(
    '/api/admin/corrections',
    { config: ADMIN, schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } } } },
    async (request) => ({ corrections: (await corrections.list()).slice(-request.query.limit).reverse() }),
  );
};
