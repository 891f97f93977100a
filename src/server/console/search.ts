// Full-text search over chat messages, in memory. Message texts are encrypted at rest, and a
// plaintext index on disk would undo that; so a search decrypts the texts of the
// conversations the user may see, matches them here and keeps nothing. The cost is a
// decryption per message scanned (see the README, "Agent console"), bounded by the route.

/** Lower case, accents off: "Télé" finds "tele", "TÉLÉ" and "télé". */
export function foldForSearch(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

export interface SearchHit {
  readonly seq: number;
  /** The text around the first match, with an ellipsis where it was cut. */
  readonly excerpt: string;
}

const CONTEXT = 40;

/**
 * The messages whose text contains every word of the query (any order), up to `limit` hits.
 * Folding keeps one character per character for the texts people write (accents are
 * combining marks NFD splits off, then dropped), so an index in the folded text is close
 * enough to cut the excerpt from the original.
 */
export function searchMessages(messages: Iterable<{ readonly seq: number; readonly text: string }>, query: string, limit: number): SearchHit[] {
  const words = foldForSearch(query).split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return [];
  const hits: SearchHit[] = [];
  for (const m of messages) {
    const folded = foldForSearch(m.text);
    if (!words.every((w) => folded.includes(w))) continue;
    const at = folded.indexOf(words[0]!);
    const start = Math.max(0, at - CONTEXT);
    const end = Math.min(m.text.length, at + words[0]!.length + CONTEXT);
    hits.push({ seq: m.seq, excerpt: `${start > 0 ? '…' : ''}${m.text.slice(start, end)}${end < m.text.length ? '…' : ''}` });
    if (hits.length >= limit) break;
  }
  return hits;
}
