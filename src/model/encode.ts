// A fast encoder for the tokenizer.json that tokenizer-files.ts writes, id for id the same as
// Transformers.js (test/model/encode.test.ts checks every fixture tweet). Transformers.js'
// tokenizer re-runs WordPiece on every word and tops out near 5,000 tweets/s on one core;
// memoizing words makes encoding a Map lookup per word, which leaves room for the five
// ONNX sessions within the tier's 5,000 tweets/s budget. Training uses it too.

import { MAX_LENGTH } from './tokenizer-files.js';
import { CONTINUATION, SPECIAL_TOKENS } from './wordpiece.js';

// BertNormalizer(clean_text): NUL, U+FFFD and control/format/private/surrogate characters
// vanish (tab, CR and LF are kept as whitespace), then every whitespace becomes a space.
const DROPPED = /[\0\uFFFD]|(?![\t\n\r])\p{Cc}|\p{Cf}|\p{Co}|\p{Cs}/gu;
const WHITESPACE = /\s/g;
const MARKS = /\p{Mn}/gu;
const PUNCT = '\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E';
const WORD = new RegExp(`[^\\s${PUNCT}]+|[${PUNCT}]`, 'gu');
// Added tokens are matched in the raw text before normalizing (normalized: false).
const SPECIAL_LITERAL = new RegExp(SPECIAL_TOKENS.map((t) => t.replace(/[[\]]/g, '\\$&')).join('|'), 'g');
const MAX_WORD_CHARS = 100;
const MEMO_LIMIT = 200_000;

export interface Encoder {
  readonly vocabSize: number;
  /** [CLS] pieces... [SEP], cut to the model's max length like Transformers.js' truncation. */
  encode(text: string): number[];
}

export function createEncoder(vocab: readonly string[], maxLength = MAX_LENGTH): Encoder {
  const ids = new Map<string, number>();
  vocab.forEach((token, i) => ids.set(token, i));
  const id = (token: string): number => {
    const found = ids.get(token);
    if (found === undefined) throw new Error(`vocabulary has no ${token}`);
    return found;
  };
  const unk = id('[UNK]');
  const cls = id('[CLS]');
  const sep = id('[SEP]');
  const memo = new Map<string, readonly number[]>();

  /** Greedy longest-match-first, as WordPiece does; an unsplittable word is one [UNK]. */
  function wordPiece(word: string): readonly number[] {
    const cached = memo.get(word);
    if (cached) return cached;
    const chars = [...word];
    let out: number[] = [];
    if (chars.length > MAX_WORD_CHARS) out = [unk];
    else {
      let start = 0;
      while (start < chars.length) {
        let end = chars.length;
        let piece: number | undefined;
        while (start < end) {
          const sub = chars.slice(start, end).join('');
          piece = ids.get(start > 0 ? CONTINUATION + sub : sub);
          if (piece !== undefined) break;
          end--;
        }
        if (piece === undefined) {
          out = [unk];
          break;
        }
        out.push(piece);
        start = end;
      }
    }
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(word, out);
    return out;
  }

  function encodeSection(section: string, out: number[]): void {
    const normalized = section.replace(/’/g, "'").replace(DROPPED, '').replace(WHITESPACE, ' ').toLowerCase().normalize('NFD').replace(MARKS, '');
    const words = normalized.trim().match(WORD);
    if (words) for (const word of words) for (const piece of wordPiece(word)) out.push(piece);
  }

  return {
    vocabSize: vocab.length,
    encode(text: string): number[] {
      const out = [cls];
      if (text.includes('[')) {
        let last = 0;
        for (const m of text.matchAll(SPECIAL_LITERAL)) {
          encodeSection(text.slice(last, m.index), out);
          out.push(id(m[0]));
          last = m.index + m[0].length;
        }
        encodeSection(text.slice(last), out);
      } else encodeSection(text, out);
      out.push(sep);
      if (out.length > maxLength) out.length = maxLength;
      return out;
    },
  };
}
