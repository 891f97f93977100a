// Which texts a model was trained on, kept in its manifest as short hashes so `fmc eval`
// can say when the file it scores overlaps the training data (an optimistic figure). The
// key is of the cleaned, folded text, so a re-exported copy with other casing, URLs or
// mentions still counts as the same tweet.

import { createHash } from 'node:crypto';
import { cleanTweet } from '../clean/clean-tweet.js';

/** Names the key's recipe in the manifest: a change of recipe is detectable, not silent. */
export const TRAINED_TEXT_KEY = 'sha256-64:folded-clean-text';

export interface TrainedTexts {
  readonly key: string;
  /** Sorted, distinct: equal training data gives an equal manifest. */
  readonly hashes: readonly string[];
}

export function trainedTextKey(text: string): string {
  return createHash('sha256').update(cleanTweet(text).folded).digest('hex').slice(0, 16);
}

export function trainedTextsOf(texts: readonly string[]): TrainedTexts {
  return { key: TRAINED_TEXT_KEY, hashes: [...new Set(texts.map(trainedTextKey))].sort() };
}

/** The set in a parsed manifest, if present and made with today's recipe. */
export function trainedTextSetOf(manifest: Readonly<Record<string, unknown>>): ReadonlySet<string> | undefined {
  const t = manifest.trainedTexts as Partial<TrainedTexts> | undefined;
  if (typeof t !== 'object' || t === null || t.key !== TRAINED_TEXT_KEY || !Array.isArray(t.hashes)) return undefined;
  return new Set(t.hashes.filter((h): h is string => typeof h === 'string'));
}
