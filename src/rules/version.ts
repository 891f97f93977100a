import { createHash } from 'node:crypto';
import { LEXICON_LAYERS } from './lexicon.js';

// Bump when decide-from-cues.ts or the matcher change what the same lexicon produces: the version is
// part of every cache key, and cached answers of older rules must not be served.
const DECISION_REVISION = 2;

/**
 * A short hash of the lexicon and the decision revision: editing a single term changes it,
 * so the rules tier's cache keys change with it.
 */
export const RULES_HASH: string = createHash('sha256')
  .update(JSON.stringify({ DECISION_REVISION, LEXICON_LAYERS }))
  .digest('hex')
  .slice(0, 12);
