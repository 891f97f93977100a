import type { FastifyPluginAsync } from 'fastify';
import { BODY_MAX, TITLE_MAX, type ReplyStore } from '../../replies/store.js';
import { errorSchema } from '../errors.js';

export interface ReplyRouteOptions {
  readonly replies: ReplyStore;
}

const reply = {
  type: 'object',
  properties: { shortcut: { type: 'string' }, title: { type: 'string' }, body: { type: 'string' }, createdAt: { type: 'string' }, createdBy: { type: 'string' } },
} as const;

/** `GET /api/replies` (agents, admins); `POST /api/replies`, `DELETE /api/replies/:shortcut` (admins). */
export const replyRoutes: FastifyPluginAsync<ReplyRouteOptions> = async (app, { replies }) => {
  app.get('/api/replies', { config: { access: ['admin', 'agent'] }, schema: { response: { 200: { type: 'object', properties: { replies: { type: 'array', items: reply } } }, '4xx': errorSchema } } }, async () => ({
    replies: await replies.list(),
  }));

  app.post<{ Body: { shortcut: string; title?: string; body: string } }>(
    '/api/replies',
    {
      config: { access: ['admin'] },
      schema: {
        body: {
          type: 'object',
          properties: { shortcut: { type: 'string', maxLength: 40 }, title: { type: 'string', maxLength: TITLE_MAX }, body: { type: 'string', maxLength: BODY_MAX } },
          required: ['shortcut', 'body'],
        },
        response: { 201: reply, '4xx': errorSchema },
      },
    },
    async (request, res) => res.code(201).send(await replies.add({ ...request.body, createdBy: request.user!.username })),
  );

  app.delete<{ Params: { shortcut: string } }>(
    '/api/replies/:shortcut',
    { config: { access: ['admin'] }, schema: { params: { type: 'object', properties: { shortcut: { type: 'string', maxLength: 40 } } }, response: { 200: { type: 'object', properties: { removed: { type: 'string' } } }, '4xx': errorSchema } } },
    async (request) => {
      await replies.remove(request.params.shortcut);
      return { removed: request.params.shortcut };
    },
  );
};
