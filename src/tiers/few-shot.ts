// The LLM prompt's examples, chosen per batch from labeled data (fixtures/train.csv and
// extra.csv, plus any `--examples` files such as exported corrections) instead of a fixed
// list: for each tweet of the batch its nearest labeled tweets, taken in turns so every tweet
// gets its closest examples first. "Nearest" is cosine similarity over tf-idf weighted words
// and their five-letter prefixes (a crude stem, after the local model's subword idea, without
// its training): cheap, deterministic, and it tells a TV tweet from a fibre one. (Words with
// every character 4-gram picked as well, at four times the indexing cost.)

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanTweet } from '../clean/clean-tweet.js';
import { readLabeledFile } from '../eval/read-labeled.js';
import { parseFieldValue, TRAINED_FIELDS, type TrainedField, type TrainedLabels } from '../labels.js';
import type { TierItem } from './tier.js';

export interface Example {
  /** Cleaned, as the tweets of a batch are sent. */
  readonly text: string;
  /** What labeled files carry: the trained fields. */
  readonly labels: TrainedLabels;
}

export interface ExamplePool {
  /** Names the pool's content (the files' bytes) and the picking method: part of the prompt hash. */
  readonly digest: string;
  /** Up to `k` examples for this batch, nearest first per tweet, taken in turns. */
  pick(batch: readonly TierItem[], k: number): Promise<Example[]>;
  /** Reads the files and builds the index now (a live tier does it before its first request). */
  ready(): Promise<void>;
}

/** Bumped when the features or the picking change: the same files then pick other examples. */
const PICKER_VERSION = 'nn-tfidf-words+prefix5-v1';
const PREFIX = 5;
const WORD = /[a-z0-9]+/g;

function features(folded: string): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (f: string): void => void counts.set(f, (counts.get(f) ?? 0) + 1);
  for (const word of folded.match(WORD) ?? []) {
    if (word.length < 2) continue;
    add(word);
    // A crude stem: "chaine" and "chaines", "coupure" and "coupures" share their first five letters.
    if (word.length > PREFIX) add(`${word.slice(0, PREFIX)}~`);
  }
  return counts;
}

// Features in more than this share of the examples ("<de>", "free") say little about
// nearness and have the longest posting lists: left out, which keeps a pick to milliseconds.
const MAX_DOCUMENT_SHARE = 0.1;

export interface ExampleIndex {
  readonly examples: readonly Example[];
  readonly ids: ReadonlyMap<string, number>;
  readonly idf: Float64Array;
  /** Per feature id: the examples holding it and their weights. */
  readonly postings: readonly { readonly rows: Int32Array; readonly weights: Float64Array }[];
}

/** Feature id -> weight, unit length; features outside the index are dropped. */
function unitVector(counts: ReadonlyMap<string, number>, ids: ReadonlyMap<string, number>, idf: Float64Array): [number, number][] {
  const v: [number, number][] = [];
  let norm = 0;
  for (const [f, tf] of counts) {
    const id = ids.get(f);
    if (id === undefined) continue;
    const w = (1 + Math.log(tf)) * idf[id]!;
    if (w <= 0) continue;
    v.push([id, w]);
    norm += w * w;
  }
  norm = Math.sqrt(norm);
  for (const e of v) e[1] /= norm;
  return v;
}

/** Builds the nearest-neighbour index over `examples` (pure; exported for tests). */
export function indexExamples(examples: readonly { readonly text: string; readonly labels: TrainedLabels }[]): ExampleIndex {
  const tweets = examples.map((e) => cleanTweet(e.text));
  const docs = tweets.map((t) => features(t.folded));
  const df = new Map<string, number>();
  for (const doc of docs) for (const f of doc.keys()) df.set(f, (df.get(f) ?? 0) + 1);
  const ids = new Map<string, number>();
  const idfs: number[] = [];
  for (const [f, n] of df) {
    if (n > Math.max(2, MAX_DOCUMENT_SHARE * docs.length)) continue;
    ids.set(f, idfs.length);
    idfs.push(Math.log((1 + docs.length) / (1 + n)));
  }
  const idf = Float64Array.from(idfs);
  const lists: { rows: number[]; weights: number[] }[] = idfs.map(() => ({ rows: [], weights: [] }));
  docs.forEach((doc, i) => {
    for (const [id, w] of unitVector(doc, ids, idf)) {
      lists[id]!.rows.push(i);
      lists[id]!.weights.push(w);
    }
  });
  return {
    examples: examples.map((e, i) => ({ text: tweets[i]!.text, labels: e.labels })),
    ids,
    idf,
    postings: lists.map((l) => ({ rows: Int32Array.from(l.rows), weights: Float64Array.from(l.weights) })),
  };
}

/** Examples nearest to each tweet of the batch, in turns, no example twice. */
export function pickFrom(index: ExampleIndex, batch: readonly TierItem[], k: number): Example[] {
  const n = index.examples.length;
  if (n === 0 || k <= 0) return [];
  const scores = new Float64Array(n);
  const ranked = batch.map((item) => {
    const touched: number[] = [];
    for (const [id, w] of unitVector(features(item.tweet.folded), index.ids, index.idf)) {
      const { rows, weights } = index.postings[id]!;
      for (let j = 0; j < rows.length; j++) {
        const row = rows[j]!;
        if (scores[row] === 0) touched.push(row);
        scores[row]! += w * weights[j]!;
      }
    }
    // The k best for this tweet (ties: the earlier example).
    const best = touched.sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, k);
    for (const row of touched) scores[row] = 0;
    return best;
  });
  const chosen: number[] = [];
  const taken = new Set<number>();
  for (let depth = 0; chosen.length < k && ranked.some((r) => r.length > depth); depth++) {
    for (const list of ranked) {
      const i = list[depth];
      if (i === undefined || taken.has(i) || chosen.length >= k) continue;
      taken.add(i);
      chosen.push(i);
    }
  }
  return chosen.map((i) => index.examples[i]!);
}

const toLabels = (strings: Readonly<Record<TrainedField, string>>): TrainedLabels =>
  Object.fromEntries(TRAINED_FIELDS.map((f) => [f, parseFieldValue(f, strings[f])])) as unknown as TrainedLabels;

/**
 * A pool over labeled CSV files (read once, on the first batch: a run whose LLM tiers are
 * down never pays for it). A text given again in a later file takes the later labels, as in
 * `fmc train`. The digest comes from the files' bytes, so it is known before reading them.
 */
export function examplePoolFromFiles(files: readonly string[]): ExamplePool {
  const h = createHash('sha256').update(PICKER_VERSION);
  for (const file of files) h.update('\0').update(readFileSync(file));
  let index: Promise<ExampleIndex> | undefined;
  const load = async (): Promise<ExampleIndex> => {
    const byText = new Map<string, { text: string; labels: TrainedLabels }>();
    for (const file of files) {
      for (const row of await readLabeledFile(file)) {
        const key = cleanTweet(row.text).text;
        byText.delete(key);
        byText.set(key, { text: row.text, labels: toLabels(row.labels) });
      }
    }
    const index = indexExamples([...byText.values()]);
    // One pick now, so the first batch's (made after its request's pacing slot) is not the
    // slow, unoptimized one that would bunch paced requests together.
    pickFrom(index, index.examples.slice(0, 20).map((e, i) => ({ id: String(i), tweet: cleanTweet(e.text) })), 12);
    return index;
  };
  return {
    digest: h.digest('hex').slice(0, 16),
    async pick(batch, k) {
      index ??= load();
      return pickFrom(await index, batch, k);
    },
    async ready() {
      index ??= load();
      await index;
    },
  };
}

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures');

/**
 * The bundled labeled tweets the pool starts from: train.csv and extra.csv, never dev.csv
 * (held out for `fmc eval`).
 */
export const BUNDLED_EXAMPLE_FILES: readonly string[] = ['train.csv', 'extra.csv'].map((f) => join(FIXTURES, f));

const pools = new Map<string, ExamplePool>();

/** One pool per list of files in a process: Gemini and Ollama share it, and its index is built once. */
export function sharedExamplePool(extraFiles: readonly string[]): ExamplePool {
  const files = [...BUNDLED_EXAMPLE_FILES.filter((f) => existsSync(f)), ...extraFiles];
  const key = JSON.stringify(files);
  let pool = pools.get(key);
  if (!pool) pools.set(key, (pool = examplePoolFromFiles(files)));
  return pool;
}
