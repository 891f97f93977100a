// From raw tweets to the sparse rows the classifiers train on: clean every text the way the
// pipeline does (so training sees what the tier will see), learn the WordPiece vocabulary
// from the labeled and unlabeled texts, encode, and build the tf-idf feature rows.

import { cleanTweet } from '../clean/clean-tweet.js';
import type { CleanTweet } from '../tiers/tier.js';
import { createEncoder, type Encoder } from './encode.js';
import { denseFeatures, learnEmbeddings, type EmbeddingOptions } from './embeddings.js';
import { buildFeatureSpace, featurize, inverseDocumentFrequency, occurrences, type FeatureSpace, type SparseRows } from './features.js';
import { learnWordPiece, SPECIAL_TOKENS } from './wordpiece.js';

export interface CorpusOptions {
  /** Upper bound; with minFrequency 1 the vocabulary stops once every corpus word is whole. */
  readonly vocabSize: number;
  readonly minFrequency: number;
  readonly minN: number;
  readonly maxN: number;
  readonly buckets: number;
  /** The dense branch (embeddings.ts); absent or dim 0 = sparse features only. */
  readonly dense?: EmbeddingOptions;
}

export interface DenseBranch {
  readonly options: EmbeddingOptions;
  /** [vocabSize][dim] token vectors (SIF weight folded in). */
  readonly table: Float32Array;
  /** [labeled rows][dim] dense features of the training rows. */
  readonly x: Float64Array;
}

export interface Corpus {
  readonly vocab: readonly string[];
  readonly encoder: Encoder;
  readonly space: FeatureSpace;
  readonly idf: Float64Array;
  /** One row per labeled text, in order. */
  readonly x: SparseRows;
  readonly tweets: readonly CleanTweet[];
  readonly dense?: DenseBranch;
}

/**
 * `texts` are the labeled tweets (rows of x); `unlabeled` only widen the vocabulary (the
 * idf comes from the labeled rows, the documents the weights are fitted on).
 */
export function buildCorpus(texts: readonly string[], unlabeled: readonly string[], options: CorpusOptions): Corpus {
  const tweets = texts.map((t) => cleanTweet(t));
  const extra = unlabeled.map((t) => cleanTweet(t).text);
  // Sorted and deduplicated: the vocabulary must not depend on file order or on a tweet
  // appearing both labeled and unlabeled.
  const vocabTexts = [...new Set([...tweets.map((t) => t.text), ...extra])].sort();
  const vocab = learnWordPiece(vocabTexts, { vocabSize: options.vocabSize, minFrequency: options.minFrequency });
  const encoder = createEncoder(vocab);
  const space = buildFeatureSpace(vocab, options);
  const ids = tweets.map((t) => encoder.encode(t.text));
  const docs = ids.map((seq) => occurrences(seq, space));
  const idf = inverseDocumentFrequency(docs, space.featureCount);
  let dense: DenseBranch | undefined;
  if (options.dense && options.dense.dim > 0) {
    const skip = new Set(SPECIAL_TOKENS.map((t) => vocab.indexOf(t)));
    const table = learnEmbeddings(vocabTexts.map((t) => encoder.encode(t)), vocab.length, skip, options.dense);
    // Scaled so the training rows' dense features have mean squared norm `weight`; the
    // scale lives in the table, so new texts need nothing else.
    const x = denseFeatures(ids, table, options.dense.dim, sparseNorms(docs, idf));
    let mean = 0;
    for (const v of x) mean += v * v;
    mean /= Math.max(1, ids.length);
    const scale = mean > 0 ? Math.sqrt(options.dense.weight / mean) : 0;
    for (let i = 0; i < table.length; i++) table[i]! *= scale;
    for (let i = 0; i < x.length; i++) x[i]! *= scale;
    dense = { options: options.dense, table, x };
  }
  return { vocab, encoder, space, idf, x: featurize(docs, idf), tweets, dense };
}

/** Each doc's sparse norm, sqrt(Σ idf² over its feature occurrences) (features.ts). */
function sparseNorms(docs: readonly (readonly number[])[], idf: Float64Array): Float64Array {
  return Float64Array.from(docs, (doc) => Math.sqrt(doc.reduce((acc, f) => acc + idf[f]! ** 2, 0)));
}

/** Dense features [texts][dim] of new texts (empty without a dense branch). */
export function denseOfTexts(corpus: Corpus, tweets: readonly CleanTweet[]): Float64Array {
  const d = corpus.dense;
  if (!d) return new Float64Array(0);
  const ids = tweets.map((t) => corpus.encoder.encode(t.text));
  return denseFeatures(ids, d.table, d.options.dim, sparseNorms(ids.map((seq) => occurrences(seq, corpus.space)), corpus.idf));
}

/** Feature rows for new texts under an existing corpus (held-out evaluation). */
export function featurizeTexts(corpus: Corpus, tweets: readonly CleanTweet[]): SparseRows {
  return featurize(
    tweets.map((t) => occurrences(corpus.encoder.encode(t.text), corpus.space)),
    corpus.idf,
  );
}
