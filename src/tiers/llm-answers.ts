import { z } from 'zod';
import { INCIDENTS, SENTIMENTS, TOPICS, URGENCIES } from '../labels.js';
import type { TierAnswer, TierItem } from './tier.js';

// What an LLM tier must answer for a batch, built from labels.ts so the schema sent to the
// model, the validation of what comes back and the rest of fmc can never disagree.

const FIELDS = {
  is_claim: { type: 'boolean' },
  sentiment: { type: 'string', enum: [...SENTIMENTS] },
  topic: { type: 'string', enum: [...TOPICS] },
  incident: { type: 'string', enum: [...INCIDENTS] },
  urgency: { type: 'string', enum: [...URGENCIES] },
  confidence: { type: 'number', minimum: 0, maximum: 1 },
} as const;

const ITEM_KEYS = ['id', ...Object.keys(FIELDS)];

/** JSON Schema of the answer (Ollama's `format`). */
export const ANSWER_JSON_SCHEMA = {
  type: 'object',
  properties: {
    answers: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'string' }, ...FIELDS },
        required: ITEM_KEYS,
        additionalProperties: false,
      },
    },
  },
  required: ['answers'],
  additionalProperties: false,
} as const;

/**
 * The same schema in Gemini's OpenAPI subset (`responseSchema`): upper-case type names, no
 * `additionalProperties`, and `propertyOrdering` so the id comes first in every item.
 */
export const ANSWER_GEMINI_SCHEMA = {
  type: 'OBJECT',
  properties: {
    answers: {
      type: 'ARRAY',
      items: {
        type: 'OBJECT',
        properties: {
          id: { type: 'STRING' },
          ...Object.fromEntries(
            Object.entries(FIELDS).map(([k, v]) => [k, { ...v, type: v.type.toUpperCase() }]),
          ),
        },
        required: ITEM_KEYS,
        propertyOrdering: ITEM_KEYS,
      },
    },
  },
  required: ['answers'],
};

const AnswerItem = z.object({
  id: z.string(),
  is_claim: z.boolean(),
  sentiment: z.enum(SENTIMENTS),
  topic: z.enum(TOPICS),
  incident: z.enum(INCIDENTS),
  urgency: z.enum(URGENCIES),
  confidence: z.number().min(0).max(1),
});

const AnswerEnvelope = z.object({ answers: z.array(z.unknown()) });

export interface ParsedAnswers {
  readonly answers: Map<string, TierAnswer>;
  /** Items that came back but failed validation, or the whole batch when the JSON is malformed. */
  readonly rejected: number;
}

/**
 * Validates a model's reply item by item: one bad item costs that item only. Items for ids
 * outside the batch, and second answers for an id, are ignored. A reply that is not JSON
 * answers nothing; the caller re-asks for whatever is missing.
 */
export function parseAnswers(text: string | undefined, batch: readonly TierItem[]): ParsedAnswers {
  const answers = new Map<string, TierAnswer>();
  let envelope: z.infer<typeof AnswerEnvelope>;
  try {
    envelope = AnswerEnvelope.parse(JSON.parse(text ?? ''));
  } catch {
    return { answers, rejected: batch.length };
  }
  const wanted = new Set(batch.map((item) => item.id));
  let rejected = 0;
  for (const raw of envelope.answers) {
    const item = AnswerItem.safeParse(raw);
    if (!item.success) {
      rejected++;
      continue;
    }
    const { id, ...labels } = item.data;
    if (wanted.has(id) && !answers.has(id)) answers.set(id, labels);
  }
  return { answers, rejected };
}
