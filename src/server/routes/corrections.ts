import type { FastifyPluginAsync } from 'fastify';
import { applyPatch, parseLabelPatch } from '../../corrections/labels.js';
import type { CorrectionStore } from '../../corrections/store.js';
import { FmcError } from '../../errors.js';
import { LABEL_TABLE } from '../../labels.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import { errorSchema } from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';
import type { Relay } from '../relay/relay.js';

export interface CorrectionRouteOptions {
  readonly relay: Relay;
  readonly corrections: CorrectionStore;
  readonly pipeline: Pipeline;
  readonly versionOf: (provider: string) => string | null;
}

interface CorrectionBody {
  conversationId?: string;
  seq?: number;
  text?: string;
  labels: unknown;
}

// `labels` is checked by parseLabelPatch, not the schema: its errors name the field and the
// allowed values (FMC_ERR_CORRECTION) instead of a generic schema message.
const body = {
  type: 'object',
  properties: {
    conversationId: { type: 'string', minLength: 1, maxLength: 64 },
    seq: { type: 'integer', minimum: 1 },
    text: { type: 'string', minLength: 1, maxLength: DEFAULT_LIMITS.maxTextLength },
    labels: {},
  },
  required: ['labels'],
  additionalProperties: false,
} as const;

const fiveLabels = {
  type: 'object',
  properties: Object.fromEntries(LABEL_TABLE.map((f) => [f.name, { type: f.kind === 'boolean' ? 'boolean' : 'string' }])),
} as const;

const correction = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    createdAt: { type: 'string' },
    correctedBy: { type: 'string' },
    source: { type: 'string' },
    conversationId: { type: 'string' },
    seq: { type: 'integer' },
    text: { type: 'string' },
    labels: fiveLabels,
    original: { anyOf: [{ type: 'null' }, { ...fiveLabels, properties: { ...fiveLabels.properties, confidence: { type: 'number' } } }] },
    provider: { type: ['string', 'null'] },
    version: { type: ['string', 'null'] },
  },
} as const;

/**
 * `POST /api/corrections`: an agent or admin corrects the labels of a chat message
 * (`{conversationId, seq, labels}`) or of a batch row (`{text, labels}`, e.g. a row of a
 * labeled CSV). The fields and values are the label table's (GET /dashboard/labels.json).
 */
export const correctionRoutes: FastifyPluginAsync<CorrectionRouteOptions> = async (app, options) => {
  const { relay, corrections, pipeline, versionOf } = options;

  app.post<{ Body: CorrectionBody }>(
    '/api/corrections',
    { config: { access: ['agent', 'admin'] }, schema: { body, response: { 201: correction, '4xx': errorSchema } } },
    async (request, reply) => {
      const { conversationId, seq, text } = request.body;
      const chat = conversationId !== undefined || seq !== undefined;
      if (chat === (text !== undefined) || (chat && (conversationId === undefined || seq === undefined))) {
        throw new FmcError('FMC_ERR_BAD_REQUEST', 'send either {conversationId, seq, labels} (a chat message) or {text, labels} (a batch row)');
      }
      const patch = parseLabelPatch(request.body.labels);
      const user = request.user!;
      if (chat) return reply.code(201).send(await relay.correct(user, conversationId!, seq!, patch));
      // What fmc says about this text now (the cache usually has it): the original to compare with.
      const [original] = await pipeline.classifyTexts([{ id: '0', text: text! }]);
      const labels = applyPatch(original!, patch);
      return reply.code(201).send(await corrections.recordBatch({ text: text!, user, original: original!, corrected: labels, version: versionOf(original!.provider) }));
    },
  );
};
