// From raw tweets to the sparse rows the classifiers train on: clean every text the way the
// pipeline does (so training sees what the tier will see), learn the WordPiece vocabulary
// from the labeled and unlabeled texts, encode, and build the tf-idf feature rows.

import { cleanTweet } from '../clean/clean-tweet.js';
import type { CleanTweet } from '../tiers/tier.js';
import { createEncoder, type Encoder } from './encode.js';
import { buildFeatureSpace, featurize, inverseDocumentFrequency, occurrences, type FeatureSpace, type SparseRows } from './features.js';
import { learnWordPiece } from './wordpiece.js';

export interface CorpusOptions {
  /** Upper bound; with minFrequency 1 the vocabulary stops once every corpus word is whole. */
  readonly vocabSize: number;
  readonly minFrequency: number;
  readonly minN: number;
  readonly maxN: number;
  readonly buckets: number;
}

export interface Corpus {
  readonly vocab: readonly string[];
  readonly encoder: Encoder;
  readonly space: FeatureSpace;
  readonly idf: Float64Array;
  /** One row per labeled text, in order. */
  readonly x: SparseRows;
  readonly tweets: readonly CleanTweet[];
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
  const docs = tweets.map((t) => occurrences(encoder.encode(t.text), space));
  const idf = inverseDocumentFrequency(docs, space.featureCount);
  return { vocab, encoder, space, idf, x: featurize(docs, idf), tweets };
}

/** Feature rows for new texts under an existing corpus (held-out evaluation). */
export function featurizeTexts(corpus: Corpus, tweets: readonly CleanTweet[]): SparseRows {
  return featurize(
    tweets.map((t) => occurrences(corpus.encoder.encode(t.text), corpus.space)),
    corpus.idf,
  );
}
