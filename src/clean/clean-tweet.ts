import type { CleanTweet } from '../tiers/tier.js';
import { isCannedReply } from './canned.js';
import { decodeEntities } from './entities.js';
import { foldText } from './fold.js';
import { repairNewlines } from './newlines.js';
import { needsUnicodePass, normalizeUnicode } from './unicode.js';

export interface CleanOptions {
  /** Keep the word of a hashtag ("#panne" -> "panne", the default) or drop it. */
  readonly keepHashtags?: boolean;
}

// Everything is compiled once here: cleanTweet runs on each row of the hot path, so each
// pass is skipped when a cheap test shows it has nothing to do.
const RETWEET = /^\s*rt(?:\s+@[\w.]+)?\s*(?::|\s|$)/i;
const URL = /\b(?:https?:\/\/|www\.)\S+|\b(?:pic\.twitter\.com|t\.co)\/\S+/gi;
// "@handle" but not the @ of an e-mail address (a word character right before it).
const MENTION = /(^|[^\w@])@\w+/g;
const HASHTAG = /#([\p{L}\p{N}_]+)/gu;
// Only runs of whitespace and non-space whitespace: replacing every single space is slower.
// Exotic spaces (U+00A0, U+2000...) became plain spaces in the NFKC pass, so a double
// space or a control/line separator is the only reason to run it.
const SPACES = /[^\S ]\s*| \s+/g;
const NEEDS_SPACES = /[\t-\r\u2028\u2029]/;

/**
 * Raw tweet -> what every tier sees. Pure; it runs once per row.
 * `text` keeps accents and case; `folded` is the lower-case, accent-free copy for matching.
 */
export function cleanTweet(raw: string, options?: CleanOptions): CleanTweet {
  const isRetweet = RETWEET.test(raw);
  let text = raw.includes('&') ? decodeEntities(raw) : raw;
  if (needsUnicodePass(text)) text = normalizeUnicode(text);
  if (text.includes('/')) text = text.replace(URL, ' ');
  if (text.includes('@')) text = text.replace(MENTION, '$1 ');
  if (text.includes('#')) text = text.replace(HASHTAG, options?.keepHashtags === false ? ' ' : '$1');
  text = repairNewlines(text);
  if (text.includes('  ') || NEEDS_SPACES.test(text)) text = text.replace(SPACES, ' ');
  text = text.trim();
  const folded = foldText(text);
  return { text, folded, isRetweet, isCanned: isCannedReply(folded) };
}
