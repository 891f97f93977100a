import type { FastifyPluginAsync } from 'fastify';
import { errorSchema } from '../errors.js';
import type { Relay } from '../relay/relay.js';
import { ID_MAX_LENGTH, ID_PATTERN } from '../relay/protocol.js';
import { labelResultSchema } from '../label-schema.js';

export interface ConversationRouteOptions {
  readonly relay: Relay;
}

const staffUser = { type: 'object', properties: { id: { type: 'integer' }, username: { type: 'string' }, displayName: { type: 'string' } } } as const;

export const summary = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    customer: { type: 'object', properties: { id: { type: 'integer' }, username: { type: 'string' } } },
    status: { type: 'string' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    lastSeq: { type: 'integer' },
    version: { type: 'integer' },
    urgency: { type: ['string', 'null'] },
    claim: { type: 'boolean' },
    topics: { type: 'array', items: { type: 'string' } },
    assignee: { anyOf: [staffUser, { type: 'null' }] },
    waitingSince: { type: ['string', 'null'] },
  },
} as const;

const labels = labelResultSchema;

const message = {
  type: 'object',
  properties: {
    conversationId: { type: 'string' },
    seq: { type: 'integer' },
    id: { type: 'integer' },
    sender: { type: 'object', properties: { id: { type: 'integer' }, username: { type: 'string' }, role: { type: 'string' }, displayName: { type: 'string' } } },
    text: { type: 'string' },
    createdAt: { type: 'string' },
    labels,
    attachment: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, contentType: { type: 'string' }, size: { type: 'integer' } } },
  },
} as const;

export const idParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: ID_MAX_LENGTH, pattern: ID_PATTERN } }, required: ['id'] } as const;

/**
 * The relay's REST side: customers open and list their conversations; agents list all of
 * them, most urgent open first; anyone who may see a conversation reads and closes it.
 */
export const conversationRoutes: FastifyPluginAsync<ConversationRouteOptions> = async (app, { relay }) => {
  app.post('/api/conversations', { config: { access: ['customer'] }, schema: { response: { 201: summary, '4xx': errorSchema } } }, async (request, reply) => {
    return reply.code(201).send(await relay.openConversation(request.user!));
  });

  app.get('/api/conversations', { config: { access: 'user' }, schema: { response: { 200: { type: 'object', properties: { conversations: { type: 'array', items: summary } } }, '4xx': errorSchema } } }, async (request) => ({
    conversations: await relay.listConversations(request.user!),
  }));

  app.get<{ Params: { id: string }; Querystring: { afterSeq: number; limit: number } }>(
    '/api/conversations/:id/messages',
    {
      config: { access: 'user' },
      schema: {
        params: idParams,
        querystring: {
          type: 'object',
          properties: { afterSeq: { type: 'integer', minimum: 0, default: 0 }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
        },
        response: { 200: { type: 'object', properties: { messages: { type: 'array', items: message } } }, '4xx': errorSchema },
      },
    },
    async (request) => ({ messages: await relay.messages(request.user!, request.params.id, request.query.afterSeq, request.query.limit) }),
  );

  app.post<{ Params: { id: string } }>(
    '/api/conversations/:id/close',
    { config: { access: 'user' }, schema: { params: idParams, response: { 200: summary, '4xx': errorSchema } } },
    async (request) => relay.closeConversation(request.user!, request.params.id),
  );
};
