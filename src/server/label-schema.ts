import { z } from 'zod';
import { SCORED_LABELS_SCHEMA } from '../scored-labels-schema.js';

/**
 * A labeled result as the API returns it, from the one schema in labels.ts: every route that
 * answers labels (classify, conversations) serializes through this, so none can drift.
 * (Confidence bounds and closed objects are left to the validator; this only shapes output.)
 */
export const labelResultSchema = (() => {
  const { $schema: _, additionalProperties: __, required: ___, ...schema } = z.toJSONSchema(SCORED_LABELS_SCHEMA.extend({ provider: z.string() })) as {
    [key: string]: unknown;
    properties: Record<string, object>;
  };
  return schema;
})();
