import type { FastifyPluginAsync } from 'fastify';
import { TOPICS, URGENCIES } from '../../labels.js';
import { isStaff, type UserStore } from '../../store/users.js';
import type { ConversationFilter } from '../console/filter.js';
import type { SlaTargets } from '../console/sla.js';
import { errorSchema } from '../errors.js';
import type { Relay } from '../relay/relay.js';
import { CONVERSATION_STATES, type ConversationState } from '../relay/store.js';
import { idParams, summary } from './conversations.js';

export interface ConsoleRouteOptions {
  readonly relay: Relay;
  readonly users: UserStore;
  readonly sla: SlaTargets;
}

const staffUser = { type: 'object', properties: { id: { type: 'integer' }, username: { type: 'string' }, displayName: { type: 'string' } } } as const;
const urgencyNumbers = { type: 'object', properties: Object.fromEntries(URGENCIES.map((u) => [u, { type: 'number' }])) } as const;
const dateBound = { type: 'string', anyOf: [{ format: 'date' }, { format: 'date-time' }] } as const;

const searchQuery = {
  type: 'object',
  properties: {
    q: { type: 'string', maxLength: 200, default: '' },
    status: { type: 'string', enum: CONVERSATION_STATES },
    owner: { type: 'string', minLength: 1, maxLength: 64 },
    urgency: { type: 'string', enum: [...URGENCIES, 'none'] },
    topic: { type: 'string', enum: TOPICS },
    claim: { type: 'boolean' },
    from: dateBound,
    to: dateBound,
  },
  additionalProperties: false,
} as const;

const searchResult = {
  type: 'object',
  properties: {
    conversations: {
      type: 'array',
      items: { ...summary, properties: { ...summary.properties, hits: { type: 'array', items: { type: 'object', properties: { seq: { type: 'integer' }, excerpt: { type: 'string' } } } } } },
    },
    scanned: { type: 'integer' },
    truncated: { type: 'boolean' },
  },
} as const;

/**
 * The agent console's routes: what the page needs to start (SLA targets, read marks, the
 * agents one may assign to), read marks, assignment, status, search and filters.
 */
export const consoleRoutes: FastifyPluginAsync<ConsoleRouteOptions> = async (app, { relay, users, sla }) => {
  app.get(
    '/api/console',
    {
      config: { access: 'user' },
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              slaMinutes: urgencyNumbers,
              reads: { type: 'object', additionalProperties: { type: 'integer' } },
              agents: { type: 'array', items: staffUser },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request) => {
      const user = request.user!;
      const staff = isStaff(user);
      return {
        slaMinutes: sla,
        reads: await relay.reads(user),
        // Customers are given no staff logins.
        agents: staff ? (await users.list()).filter(isStaff) : [],
      };
    },
  );

  app.post<{ Params: { id: string }; Body: { seq: number } }>(
    '/api/conversations/:id/read',
    {
      config: { access: 'user' },
      schema: {
        params: idParams,
        body: { type: 'object', properties: { seq: { type: 'integer', minimum: 0 } }, required: ['seq'] },
        response: { 204: { type: 'null' }, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      await relay.markRead(request.user!, request.params.id, request.body.seq);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { id: string }; Body: { assignee: string | null } }>(
    '/api/conversations/:id/assign',
    {
      config: { access: ['agent', 'admin'] },
      schema: {
        params: idParams,
        body: { type: 'object', properties: { assignee: { type: ['string', 'null'], minLength: 1, maxLength: 64 } }, required: ['assignee'] },
        response: { 200: summary, '4xx': errorSchema },
      },
    },
    async (request) => relay.assign(request.user!, request.params.id, request.body.assignee),
  );

  app.post<{ Params: { id: string }; Body: { status: ConversationState } }>(
    '/api/conversations/:id/status',
    {
      config: { access: ['agent', 'admin'] },
      schema: {
        params: idParams,
        body: { type: 'object', properties: { status: { type: 'string', enum: CONVERSATION_STATES } }, required: ['status'] },
        response: { 200: summary, '4xx': errorSchema },
      },
    },
    async (request) => relay.setState(request.user!, request.params.id, request.body.status),
  );

  app.post<{ Params: { id: string } }>(
    '/api/conversations/:id/reopen',
    { config: { access: ['agent', 'admin'] }, schema: { params: idParams, response: { 200: summary, '4xx': errorSchema } } },
    async (request) => relay.setState(request.user!, request.params.id, 'open'),
  );

  app.get<{ Querystring: ConversationFilter & { q: string } }>(
    '/api/conversations/search',
    { config: { access: 'user' }, schema: { querystring: searchQuery, response: { 200: searchResult, '4xx': errorSchema } } },
    async (request) => {
      const { q, ...filter } = request.query;
      return relay.search(request.user!, filter, q);
    },
  );
};
