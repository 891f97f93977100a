// The features of the model, defined on token ids so the ONNX graph can compute them:
//   - each token: its id, plus the character n-grams of its text ("<coupure>" gives "<co",
//     "cou", ..., "re>"), fastText-style, so "coupure", "coupures" and "coupé" share weight;
//   - each adjacent pair of tokens, hashed into `buckets` ids.
// Values are tf-idf over those features, divided by sqrt(Σ idf² over the occurrences): an
// L2 norm that does not merge repeated features, which the graph can sum token by token.
// Because every feature belongs to one token (or one pair), a trained weight vector folds
// into one row per token and one per bucket (foldTables), and that is the whole model.

import { CONTINUATION } from './wordpiece.js';

export interface FeatureOptions {
  readonly minN: number;
  readonly maxN: number;
  /** Hash buckets for token pairs; 0 = no pair features. */
  readonly buckets: number;
}

export interface FeatureSpace {
  readonly options: FeatureOptions;
  readonly vocabSize: number;
  /** Features of token t: tokenFeatures[tokenStart[t]..tokenStart[t+1]). */
  readonly tokenStart: Int32Array;
  readonly tokenFeatures: Int32Array;
  /** First pair-bucket feature id; features below are token ids then n-grams. */
  readonly bucketBase: number;
  readonly featureCount: number;
}

/** The bucket of the token pair (a, b); the graph does the same in int64. */
export const pairBucket = (a: number, b: number, vocabSize: number, buckets: number): number => (a * vocabSize + b) % buckets;

export function buildFeatureSpace(vocab: readonly string[], options: FeatureOptions): FeatureSpace {
  const ngramIds = new Map<string, number>();
  const lists: number[][] = vocab.map((token, t) => {
    const list = [t];
    // Special tokens ([CLS], [UNK]) and punctuation keep only their id.
    if (token.startsWith('[') && token.endsWith(']') && token.length > 2) return list;
    const text = (token.startsWith(CONTINUATION) ? token.slice(CONTINUATION.length) : '<' + token) + '>';
    const chars = [...text];
    for (let n = options.minN; n <= options.maxN; n++) {
      for (let i = 0; i + n <= chars.length; i++) {
        const gram = chars.slice(i, i + n).join('');
        let id = ngramIds.get(gram);
        if (id === undefined) ngramIds.set(gram, (id = ngramIds.size));
        list.push(vocab.length + id);
      }
    }
    return list;
  });
  const tokenStart = new Int32Array(vocab.length + 1);
  lists.forEach((list, t) => (tokenStart[t + 1] = tokenStart[t]! + list.length));
  const bucketBase = vocab.length + ngramIds.size;
  return {
    options,
    vocabSize: vocab.length,
    tokenStart,
    tokenFeatures: Int32Array.from(lists.flat()),
    bucketBase,
    featureCount: bucketBase + options.buckets,
  };
}

/** Every feature occurrence of one token sequence, with repeats. */
export function occurrences(ids: readonly number[], space: FeatureSpace): number[] {
  const out: number[] = [];
  const { tokenStart, tokenFeatures, vocabSize, bucketBase } = space;
  const buckets = space.options.buckets;
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t]!;
    for (let k = tokenStart[id]!; k < tokenStart[id + 1]!; k++) out.push(tokenFeatures[k]!);
    if (buckets > 0 && t + 1 < ids.length) out.push(bucketBase + pairBucket(id, ids[t + 1]!, vocabSize, buckets));
  }
  return out;
}

/** Smoothed idf, ln((1+N)/(1+df)) + 1, from the training documents (unseen: the maximum). */
export function inverseDocumentFrequency(docs: readonly (readonly number[])[], featureCount: number): Float64Array {
  const df = new Float64Array(featureCount);
  const seen = new Int32Array(featureCount).fill(-1);
  docs.forEach((doc, d) => {
    for (const f of doc) {
      if (seen[f] !== d) {
        seen[f] = d;
        df[f]!++;
      }
    }
  });
  return df.map((count) => Math.log((1 + docs.length) / (1 + count)) + 1);
}

/** Compressed sparse rows: row i is indices/values[indptr[i]..indptr[i+1]). */
export interface SparseRows {
  readonly rows: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

/** tf-idf rows divided by sqrt(Σ idf² over the occurrences); indices ascending. */
export function featurize(docs: readonly (readonly number[])[], idf: Float64Array): SparseRows {
  const indptr = new Int32Array(docs.length + 1);
  const indices: number[] = [];
  const values: number[] = [];
  const counts = new Map<number, number>();
  docs.forEach((doc, r) => {
    counts.clear();
    let norm2 = 0;
    for (const f of doc) {
      counts.set(f, (counts.get(f) ?? 0) + 1);
      norm2 += idf[f]! * idf[f]!;
    }
    const scale = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
    for (const f of [...counts.keys()].sort((a, b) => a - b)) {
      indices.push(f);
      values.push(counts.get(f)! * idf[f]! * scale);
    }
    indptr[r + 1] = indices.length;
  });
  return { rows: docs.length, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
}

/** The rows at `which`, in that order (for cross-validation folds). */
export function selectRows(x: SparseRows, which: readonly number[]): SparseRows {
  const indptr = new Int32Array(which.length + 1);
  let nnz = 0;
  which.forEach((r, i) => {
    nnz += x.indptr[r + 1]! - x.indptr[r]!;
    indptr[i + 1] = nnz;
  });
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  which.forEach((r, i) => {
    const start = x.indptr[r]!;
    const end = x.indptr[r + 1]!;
    indices.set(x.indices.subarray(start, end), indptr[i]!);
    values.set(x.values.subarray(start, end), indptr[i]!);
  });
  return { rows: which.length, indptr, indices, values };
}

/**
 * The tables the graph gathers from: per token and per bucket, `classes` weights (idf
 * folded in) then the idf² that feeds the norm. Row-major [rows][classes + 1]. A dense
 * branch (embeddings.ts) adds table[t]·weights to token t's class weights: its features
 * share the sparse norm, so they are linear in the same per-token sums.
 */
export function foldTables(
  space: FeatureSpace,
  idf: Float64Array,
  weights: Float32Array,
  classes: number,
  dense?: { readonly dim: number; readonly table: Float32Array; readonly weights: Float32Array },
): { tokens: Float32Array; buckets: Float32Array } {
  const width = classes + 1;
  const tokens = new Float32Array(space.vocabSize * width);
  for (let t = 0; t < space.vocabSize; t++) {
    const row = new Float64Array(width);
    for (let k = space.tokenStart[t]!; k < space.tokenStart[t + 1]!; k++) {
      const f = space.tokenFeatures[k]!;
      for (let c = 0; c < classes; c++) row[c]! += idf[f]! * weights[f * classes + c]!;
      row[classes]! += idf[f]! * idf[f]!;
    }
    if (dense) {
      for (let d = 0; d < dense.dim; d++) {
        const v = dense.table[t * dense.dim + d]!;
        if (v !== 0) for (let c = 0; c < classes; c++) row[c]! += v * dense.weights[d * classes + c]!;
      }
    }
    tokens.set(row, t * width);
  }
  const buckets = new Float32Array(space.options.buckets * width);
  for (let b = 0; b < space.options.buckets; b++) {
    const f = space.bucketBase + b;
    for (let c = 0; c < classes; c++) buckets[b * width + c] = idf[f]! * weights[f * classes + c]!;
    buckets[b * width + classes] = idf[f]! * idf[f]!;
  }
  return { tokens, buckets };
}
