import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { FmcError } from '../../errors.js';
import type { LabelResult } from '../../labels.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import { errorSchema } from '../errors.js';
import type { ServerLimits } from '../limits.js';
import type { ServerMetrics } from '../metrics.js';
import { classifyCsv, CSV_TYPES } from './classify-csv.js';
import { labelResultSchema } from '../label-schema.js';

interface ClassifyBody {
  texts?: string[];
  items?: { id?: string; text: string }[];
}

interface CsvQuery {
  text_column?: string;
  id_column?: string;
  skip_invalid?: boolean;
  escape_formulas?: boolean;
  delimiter?: string;
  bom?: boolean;
  crlf?: boolean;
}

const jsonBody = {
  type: 'object',
  properties: {
    texts: { type: 'array', minItems: 1, items: { type: 'string' } },
    items: {
      type: 'array',
      minItems: 1,
      items: { type: 'object', properties: { id: { type: 'string', maxLength: 200 }, text: { type: 'string' } }, required: ['text'] },
    },
  },
} as const;

const result = { ...labelResultSchema, properties: { id: { type: 'string' }, ...labelResultSchema.properties } } as const;

export interface ClassifyRouteOptions {
  readonly pipeline: Pipeline;
  readonly limits: ServerLimits;
  readonly metrics: ServerMetrics;
  /** Every labeled row (JSON or CSV), for the Trends view; texts are not passed. */
  readonly onResults?: (results: readonly LabelResult[]) => void;
}

/** Client ids, checked against the limits; texts without ids are numbered from 0. */
function itemsOf(body: ClassifyBody | undefined, limits: ServerLimits): { ids: string[]; texts: string[] } {
  if (typeof body !== 'object' || body === null) {
    throw new FmcError('FMC_ERR_MEDIA_TYPE', 'send Content-Type: application/json with {"texts": [...]} or Content-Type: text/csv');
  }
  if ((body.texts === undefined) === (body.items === undefined)) {
    throw new FmcError('FMC_ERR_BAD_REQUEST', 'body must have exactly one of "texts" (an array of strings) or "items" (an array of {id, text})');
  }
  const ids = body.items ? body.items.map((item, i) => item.id ?? String(i)) : body.texts!.map((_, i) => String(i));
  const texts = body.items ? body.items.map((item) => item.text) : body.texts!;
  if (texts.length > limits.maxItems) {
    throw new FmcError('FMC_ERR_TOO_LARGE', `${texts.length} texts in one request; the limit is ${limits.maxItems}: split the batch or send text/csv`);
  }
  const field = body.items ? 'items' : 'texts';
  texts.forEach((text, i) => {
    if (text.length > limits.maxTextLength) {
      throw new FmcError('FMC_ERR_TOO_LARGE', `${field}[${i}] is ${text.length} characters; the limit is ${limits.maxTextLength}`);
    }
  });
  return { ids, texts };
}

const roundConfidence = (r: LabelResult): LabelResult => ({ ...r, confidence: Math.round(r.confidence * 1000) / 1000 });

/**
 * `POST /api/classify`: JSON `{texts}` or `{items}` -> `{results}`; a text/csv body -> the
 * same CSV back with the label columns appended, streamed.
 */
export const classifyRoutes: FastifyPluginAsync<ClassifyRouteOptions> = async (app, options) => {
  const { pipeline, limits, metrics } = options;

  // The CSV body stays a stream: the route counts its bytes and parses it as it arrives.
  app.addContentTypeParser(CSV_TYPES, (_request, payload, done) => done(null, payload));

  app.post<{ Body: ClassifyBody; Querystring: CsvQuery }>(
    '/api/classify',
    {
      bodyLimit: limits.jsonBodyBytes,
      config: { access: 'classify' },
      schema: {
        body: { content: { 'application/json': { schema: jsonBody } } },
        querystring: {
          type: 'object',
          properties: {
            text_column: { type: 'string' },
            id_column: { type: 'string' },
            skip_invalid: { type: 'boolean' },
            // CSV answers: the input's dialect is mirrored unless these say otherwise.
            escape_formulas: { type: 'boolean', default: true },
            delimiter: { type: 'string', enum: [',', ';', 'tab', '|'] },
            bom: { type: 'boolean' },
            crlf: { type: 'boolean' },
          },
        },
        response: {
          200: { type: 'object', properties: { results: { type: 'array', items: result } } },
          '4xx': errorSchema,
        },
      },
    },
    async (request: FastifyRequest<{ Body: ClassifyBody; Querystring: CsvQuery }>, reply: FastifyReply) => {
      if (CSV_TYPES.includes(request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ?? '')) {
        return classifyCsv(request, reply, { pipeline, limits, metrics, query: request.query, onResults: options.onResults });
      }
      const { ids, texts } = itemsOf(request.body as ClassifyBody | undefined, limits);
      // Internal ids are positions: a client may repeat an id, answers are matched by id.
      const results = await pipeline.classifyTexts(texts.map((text, i) => ({ id: String(i), text })));
      options.onResults?.(results);
      return { results: results.map((r, i) => ({ id: ids[i]!, ...roundConfidence(r) })) };
    },
  );
};
