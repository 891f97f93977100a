import type { CleanTweet } from '../tiers/tier.js';
import { isCannedReply } from './canned.js';
import { decodeEntities } from './entities.js';
import { foldText } from './fold.js';
import { repairNewlines } from './newlines.js';

export interface CleanOptions {
  /** Keep the word of a hashtag ("#panne" -> "panne", the default) or drop it. */
  readonly keepHashtags?: boolean;
}

// Every pattern is compiled once here: cleanTweet runs on each row of the hot path.
const RETWEET = /^\s*rt(?:\s+@[\w.]+)?\s*(?::|\s|$)/i;
const URL = /\b(?:https?:\/\/|www\.)\S+|\b(?:pic\.twitter\.com|t\.co)\/\S+/gi;
// "@handle" but not the @ of an e-mail address (a word character right before it).
const MENTION = /(^|[^\w@])@\w+/g;
const HASHTAG = /#([\p{L}\p{N}_]+)/gu;
// Pictographs, flags, skin tones, keycaps, joiners and the other invisible format
// characters (variation selectors, bidi isolates, zero-width spaces) that emoji leave behind.
const EMOJI = /[\p{Extended_Pictographic}\p{Cf}\u{1F1E6}-\u{1F1FF}\u{1F3FB}-\u{1F3FF}\u20e3\ufe0e\ufe0f]/gu;
// Latin text, punctuation and symbols below U+2000 cannot contain emoji: skip that pass.
const MAYBE_EMOJI = /[^\x00-\u1fff]/;
const SPACES = /\s+/g;

/**
 * Raw tweet -> what every tier sees. Pure and allocation-light: it runs once per row.
 * `text` keeps accents and case; `folded` is the lower-case, accent-free copy for matching.
 */
export function cleanTweet(raw: string, options?: CleanOptions): CleanTweet {
  const isRetweet = RETWEET.test(raw);
  let text = decodeEntities(raw).normalize('NFKC');
  if (text.includes('/')) text = text.replace(URL, ' ');
  if (text.includes('@')) text = text.replace(MENTION, '$1 ');
  if (text.includes('#')) text = text.replace(HASHTAG, options?.keepHashtags === false ? ' ' : '$1');
  if (MAYBE_EMOJI.test(text)) text = text.replace(EMOJI, ' ');
  text = repairNewlines(text).replace(SPACES, ' ').trim();
  const folded = foldText(text);
  return { text, folded, isRetweet, isCanned: isCannedReply(folded) };
}
