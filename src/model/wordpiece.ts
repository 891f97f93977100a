// Learns a WordPiece vocabulary from a corpus, the way Hugging Face's WordPiece trainer does:
// byte-pair merges over word counts, with "##" marking pieces that continue a word. Only the
// vocabulary is learned here; tokenizing is left to the tokenizer.json we write, so training
// and Transformers.js always cut text the same way.

/** The special tokens, at fixed ids so every folder of a model set agrees. */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export const PAD_ID = 0;
export const CONTINUATION = '##';

// BertPreTokenizer's split: runs of non-space non-punctuation, or one punctuation mark
// (the same class as @huggingface/tokenizers' PUNCTUATION_REGEX).
const PUNCT = '\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E';
const WORD = new RegExp(`[^\\s${PUNCT}]+|[${PUNCT}]`, 'gu');

/**
 * What the tokenizer.json normalizer does (typographic apostrophe folded, lower case,
 * accents stripped) followed by the BERT pre-tokenizer split. Used only to count words.
 */
export function preTokenize(text: string): string[] {
  const normalized = text.replace(/’/g, "'").toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '');
  return normalized.match(WORD) ?? [];
}

export interface WordPieceOptions {
  /** Target size including special tokens and the alphabet. */
  readonly vocabSize: number;
  /** A merge must be seen at least this often (weighted by word counts). */
  readonly minFrequency?: number;
}

/** A max-heap of (count, pair) with stale entries skipped on pop: O(log n) per update. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];
  get size(): number {
    return this.counts.length;
  }
  // Ties go to the smaller key, so the merge order never depends on Map iteration.
  private above(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }
  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }
  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  pop(): { count: number; key: number } | undefined {
    if (this.counts.length === 0) return undefined;
    const top = { count: this.counts[0]!, key: this.keys[0]! };
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.counts.length && this.above(l, best)) best = l;
        if (r < this.counts.length && this.above(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

// Pair keys pack two symbol ids into one safe integer.
const SHIFT = 2 ** 21;
const pairKey = (a: number, b: number): number => a * SHIFT + b;

/**
 * Learns the vocabulary: special tokens, then every character seen (as a word start and as
 * a "##" continuation, so no word of the corpus becomes [UNK]), then merges by frequency.
 * Deterministic: words are processed in sorted order and ties break on symbol ids.
 */
export function learnWordPiece(texts: Iterable<string>, options: WordPieceOptions): string[] {
  const minFrequency = options.minFrequency ?? 2;
  const wordCounts = new Map<string, number>();
  for (const text of texts) for (const word of preTokenize(text)) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
  const words = [...wordCounts.keys()].sort();

  const symbols: string[] = [];
  const symbolId = new Map<string, number>();
  const intern = (s: string): number => {
    let id = symbolId.get(s);
    if (id === undefined) {
      id = symbols.length;
      symbols.push(s);
      symbolId.set(s, id);
    }
    return id;
  };
  const segs: number[][] = words.map((w) => [...w].map((ch, i) => intern(i === 0 ? ch : CONTINUATION + ch)));
  const freq = words.map((w) => wordCounts.get(w)!);
  const alphabet = symbols.slice().sort();

  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  // Every pair whose count moves is re-pushed after the merge; its old heap entry goes stale.
  const changed = new Set<number>();
  const addPairs = (w: number, sign: number): void => {
    const seg = segs[w]!;
    for (let i = 0; i + 1 < seg.length; i++) {
      const key = pairKey(seg[i]!, seg[i + 1]!);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * freq[w]!);
      changed.add(key);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (!set) pairWords.set(key, (set = new Set()));
        set.add(w);
      }
    }
  };
  for (let w = 0; w < segs.length; w++) addPairs(w, 1);
  changed.clear();
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) heap.push(count, key);

  const vocab: string[] = [...SPECIAL_TOKENS, ...alphabet];
  const inVocab = new Set(vocab);
  while (vocab.length < options.vocabSize) {
    const top = heap.pop();
    if (!top || top.count < minFrequency) break;
    if (pairCounts.get(top.key) !== top.count) continue; // stale heap entry
    const a = Math.floor(top.key / SHIFT);
    const b = top.key % SHIFT;
    const merged = symbols[a]! + symbols[b]!.slice(CONTINUATION.length);
    const m = intern(merged);
    if (!inVocab.has(merged)) {
      inVocab.add(merged);
      vocab.push(merged);
    }
    const affected = [...(pairWords.get(top.key) ?? [])].sort((x, y) => x - y);
    for (const w of affected) {
      const seg = segs[w]!;
      addPairs(w, -1);
      const out: number[] = [];
      for (let i = 0; i < seg.length; i++) {
        if (i + 1 < seg.length && seg[i] === a && seg[i + 1] === b) {
          out.push(m);
          i++;
        } else out.push(seg[i]!);
      }
      segs[w] = out;
      addPairs(w, 1);
    }
    pairCounts.delete(top.key);
    pairWords.delete(top.key);
    changed.delete(top.key);
    for (const key of [...changed].sort((x, y) => x - y)) {
      const count = pairCounts.get(key)!;
      if (count > 0) heap.push(count, key);
      else pairCounts.delete(key);
    }
    changed.clear();
  }
  return vocab;
}
