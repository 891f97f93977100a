import { INCIDENTS, SENTIMENTS, TOPICS, URGENCIES } from '../labels.js';

/**
 * A labeled result as the API returns it, from the one schema in labels.ts: every route that
 * answers labels (classify, conversations) serializes through this, so none can drift.
 */
export const labelResultSchema = {
  type: 'object',
  properties: {
    is_claim: { type: 'boolean' },
    sentiment: { type: 'string', enum: SENTIMENTS },
    topic: { type: 'string', enum: TOPICS },
    incident: { type: 'string', enum: INCIDENTS },
    urgency: { type: 'string', enum: URGENCIES },
    confidence: { type: 'number' },
    provider: { type: 'string' },
  },
} as const;
