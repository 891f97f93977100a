import type { FastifyPluginAsync } from 'fastify';
import type { UserStore } from '../../store/users.js';
import { errorSchema } from '../errors.js';
import { userSchema } from './auth.js';

export interface UserRouteOptions {
  readonly users: UserStore;
}

/** `GET /api/users`: admins only (the CLI's `fmc users list`, over HTTP). */
export const userRoutes: FastifyPluginAsync<UserRouteOptions> = async (app, { users }) => {
  app.get(
    '/api/users',
    { config: { access: ['admin'] }, schema: { response: { 200: { type: 'object', properties: { users: { type: 'array', items: userSchema } } }, '4xx': errorSchema } } },
    async () => ({ users: await users.list() }),
  );
};
