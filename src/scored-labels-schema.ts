// The zod schema of one answer, derived from the label table (labels.ts). Its own module:
// zod costs ~14 MB in each thread that loads it, and only the LLM tiers and the server
// need a schema; a rules or model run validates with labels.ts's table alone.
import { z } from 'zod';
import { LABEL_TABLE, type FieldSpec } from './labels.js';

/**
 * The zod schema of one answer (labels and confidence), from the table: the JSON Schemas
 * sent to the LLMs (llm-answers.ts) and served by Fastify (server/label-schema.ts) come
 * from it through z.toJSONSchema, so none can disagree with the validator in labels.ts.
 */
export const SCORED_LABELS_SCHEMA = z.object({
  ...Object.fromEntries(
    LABEL_TABLE.map((f: FieldSpec) => [f.name, f.kind === 'boolean' ? z.boolean() : z.enum(f.values as [string, ...string[]])]),
  ),
  confidence: z.number().min(0).max(1),
});
