import { createHash } from 'node:crypto';
import { TAXONOMY_VERSION } from '../labels.js';

// The algorithm name prefixes the digest so a change in how keys are built is detectable.
const PREFIX = 'sha256:';

/** hash(tier, tier version (model id + prompt/lexicon hash), taxonomy version, cleaned text). */
export function cacheKey(tier: string, version: string, cleanedText: string): string {
  const h = createHash('sha256');
  // NUL separators: no field can contain one, so no two tuples share a key.
  h.update(tier).update('\0').update(version).update('\0').update(TAXONOMY_VERSION).update('\0').update(cleanedText);
  return PREFIX + h.digest('base64url');
}
