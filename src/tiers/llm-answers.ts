import { z } from 'zod';
import { toScoredLabels } from '../labels.js';
import { SCORED_LABELS_SCHEMA } from '../scored-labels-schema.js';
import type { TierAnswer, TierItem } from './tier.js';

// What an LLM tier must answer for a batch, derived from the one schema in labels.ts, so the
// schema sent to the model, the validation of what comes back and the rest of fmc can never
// disagree.

const Envelope = z.object({ answers: z.array(z.object({ id: z.string() }).extend(SCORED_LABELS_SCHEMA.shape)) });

type JsonSchema = { [key: string]: unknown };

/** JSON Schema of the answer (Ollama's `format`, OpenAI's `response_format`), without `$schema`. */
export const ANSWER_JSON_SCHEMA: JsonSchema = (() => {
  const { $schema: _, ...schema } = z.toJSONSchema(Envelope) as JsonSchema;
  return schema;
})();

/**
 * The same schema in Gemini's OpenAPI subset (`responseSchema`): upper-case type names, no
 * `additionalProperties`, and `propertyOrdering` so the id comes first in every item.
 */
export function toGeminiSchema(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'additionalProperties' || key === '$schema') continue;
    if (key === 'type' && typeof value === 'string') out.type = value.toUpperCase();
    else if (key === 'properties') out.properties = Object.fromEntries(Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, toGeminiSchema(v)]));
    else if (key === 'items') out.items = toGeminiSchema(value as JsonSchema);
    else out[key] = value;
  }
  if (schema.type === 'object' && schema.properties) out.propertyOrdering = Object.keys(schema.properties);
  return out;
}

export const ANSWER_GEMINI_SCHEMA: JsonSchema = toGeminiSchema(ANSWER_JSON_SCHEMA);

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
    const id = (raw as { id?: unknown } | null)?.id;
    const labels = typeof id === 'string' ? toScoredLabels(raw) : undefined;
    if (!labels) {
      rejected++;
      continue;
    }
    if (wanted.has(id as string) && !answers.has(id as string)) answers.set(id as string, labels);
  }
  return { answers, rejected };
}
