// Dense features learned from unlabeled text (hyper.corpus.dense, on by default):
// a PPMI matrix of WordPiece token co-occurrences (1/distance-weighted window, context
// distribution smoothed by ^0.75), factored by a seeded randomized SVD. Each token's vector
// is scaled to unit length times its SIF weight a / (a + p(token)); a tweet's dense feature
// is the sum of its tokens' vectors divided by the norm of its sparse features. Because
// that norm is the one the graph already computes, the dense part folds into the token
// table (foldTables) and the ONNX graph does not change.

import { seededRandom } from './random.js';

export interface EmbeddingOptions {
  /** Vector dimensions (0 = no dense branch). */
  readonly dim: number;
  /** Tokens on each side counted as context. */
  readonly window: number;
  /** Mean squared norm of the training rows' dense features (the sparse rows' is 1). */
  readonly weight: number;
  /** Singular values raised to this power scale the vectors (0 = U only, 0.5 = symmetric). */
  readonly eigenPower: number;
  /** SIF token weight a / (a + p(token)); 0 = every token weighs 1. */
  readonly sif: number;
}

/** Unit token vectors times SIF, row-major [vocabSize][dim]; skipped and unseen tokens are zero. */
export function learnEmbeddings(sequences: readonly (readonly number[])[], vocabSize: number, skip: ReadonlySet<number>, options: EmbeddingOptions, seed = 1): Float32Array {
  const { dim, window } = options;
  const table = new Float32Array(vocabSize * dim);
  if (dim === 0) return table;
  // Co-occurrence counts, symmetric window, 1/distance weighting.
  const rows: Map<number, number>[] = Array.from({ length: vocabSize }, () => new Map());
  const unigram = new Float64Array(vocabSize);
  let tokens = 0;
  for (const raw of sequences) {
    const seq = raw.filter((t) => !skip.has(t));
    for (let i = 0; i < seq.length; i++) {
      const a = seq[i]!;
      unigram[a]!++;
      tokens++;
      for (let j = i + 1; j <= i + window && j < seq.length; j++) {
        const b = seq[j]!;
        const w = 1 / (j - i);
        rows[a]!.set(b, (rows[a]!.get(b) ?? 0) + w);
        rows[b]!.set(a, (rows[b]!.get(a) ?? 0) + w);
      }
    }
  }
  const rowSum = new Float64Array(vocabSize);
  const ctxPow = new Float64Array(vocabSize);
  let total = 0;
  rows.forEach((row, a) => {
    for (const v of row.values()) rowSum[a]! += v;
    total += rowSum[a]!;
  });
  let powTotal = 0;
  for (let c = 0; c < vocabSize; c++) powTotal += ctxPow[c] = rowSum[c]! ** 0.75;
  // Sparse PPMI in CSR, columns ascending (deterministic).
  const indptr = new Int32Array(vocabSize + 1);
  const indices: number[] = [];
  const values: number[] = [];
  rows.forEach((row, a) => {
    for (const b of [...row.keys()].sort((x, y) => x - y)) {
      const pmi = Math.log((row.get(b)! / total) / ((rowSum[a]! / total) * (ctxPow[b]! / powTotal)));
      if (pmi > 0) {
        indices.push(b);
        values.push(pmi);
      }
    }
    indptr[a + 1] = indices.length;
  });
  const m = { n: vocabSize, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
  const { u, s } = randomizedSvd(m, dim, seededRandom(seed));
  for (let t = 0; t < vocabSize; t++) {
    if (skip.has(t) || unigram[t] === 0) continue;
    const sif = options.sif > 0 ? options.sif / (options.sif + unigram[t]! / tokens) : 1;
    let len = 0;
    for (let d = 0; d < dim; d++) len += (table[t * dim + d] = u[t * dim + d]! * s[d]! ** options.eigenPower) ** 2;
    const f = len > 0 ? sif / Math.sqrt(len) : 0;
    for (let d = 0; d < dim; d++) table[t * dim + d]! *= f;
  }
  return table;
}

interface SquareCsr {
  readonly n: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

/** y = M·x for a column block x [n][k] (row-major). */
function multiply(m: SquareCsr, x: Float64Array, k: number, transpose: boolean): Float64Array {
  const y = new Float64Array(m.n * k);
  for (let r = 0; r < m.n; r++) {
    for (let p = m.indptr[r]!; p < m.indptr[r + 1]!; p++) {
      const c = m.indices[p]!;
      const v = m.values[p]!;
      const [to, from] = transpose ? [c, r] : [r, c];
      for (let j = 0; j < k; j++) y[to * k + j]! += v * x[from * k + j]!;
    }
  }
  return y;
}

/** Orthonormalizes the k columns of x [n][k] in place (modified Gram-Schmidt, twice). */
function orthonormalize(x: Float64Array, n: number, k: number): void {
  // Column-major copy: each column contiguous for the dot products.
  const cols = Array.from({ length: k }, (_, j) => Float64Array.from({ length: n }, (_, r) => x[r * k + j]!));
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < k; j++) {
      const cj = cols[j]!;
      for (let i = 0; i < j; i++) {
        const ci = cols[i]!;
        let dot = 0;
        for (let r = 0; r < n; r++) dot += ci[r]! * cj[r]!;
        for (let r = 0; r < n; r++) cj[r]! -= dot * ci[r]!;
      }
      let norm = 0;
      for (let r = 0; r < n; r++) norm += cj[r]! ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let r = 0; r < n; r++) cj[r]! /= norm;
    }
  }
  for (let j = 0; j < k; j++) {
    const cj = cols[j]!;
    for (let r = 0; r < n; r++) x[r * k + j] = cj[r]!;
  }
}

/** Eigen-decomposition of a symmetric k×k matrix by cyclic Jacobi: values descending. */
export function symmetricEigen(a: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) off += m[i * k + j]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = m[p * k + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * k + q]! - m[p * k + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = m[r * k + p]!;
          const arq = m[r * k + q]!;
          m[r * k + p] = c * arp - s * arq;
          m[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = m[p * k + r]!;
          const aqr = m[q * k + r]!;
          m[p * k + r] = c * apr - s * aqr;
          m[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p]!;
          const vrq = v[r * k + q]!;
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = [...Array(k).keys()].sort((x, y) => m[y * k + y]! - m[x * k + x]! || x - y);
  const values = Float64Array.from(order, (i) => m[i * k + i]!);
  const vectors = new Float64Array(k * k);
  order.forEach((from, to) => {
    for (let r = 0; r < k; r++) vectors[r * k + to] = v[r * k + from]!;
  });
  return { values, vectors };
}

/** Top `dim` left singular vectors [n][dim] and values of M (randomized, 2 power iterations). */
function randomizedSvd(m: SquareCsr, dim: number, random: () => number): { u: Float64Array; s: Float64Array } {
  const n = m.n;
  const k = Math.min(n, dim + 10);
  let y: Float64Array = Float64Array.from({ length: n * k }, () => random() * 2 - 1);
  y = multiply(m, y, k, false);
  orthonormalize(y, n, k);
  for (let it = 0; it < 2; it++) {
    const z = multiply(m, y, k, true);
    orthonormalize(z, n, k);
    y = multiply(m, z, k, false);
    orthonormalize(y, n, k);
  }
  // B = Qᵀ M (k×n); B Bᵀ = Qᵀ M Mᵀ Q: its eigenvectors rotate Q onto M's left singular vectors.
  const mtq = multiply(m, y, k, true); // Mᵀ Q [n][k]
  const bbt = new Float64Array(k * k);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < k; i++) {
      const vi = mtq[r * k + i]!;
      if (vi === 0) continue;
      for (let j = 0; j < k; j++) bbt[i * k + j]! += vi * mtq[r * k + j]!;
    }
  }
  const { values, vectors } = symmetricEigen(bbt, k);
  const d = Math.min(dim, k);
  const u = new Float64Array(n * dim);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) {
      let acc = 0;
      for (let i = 0; i < k; i++) acc += y[r * k + i]! * vectors[i * k + j]!;
      u[r * dim + j] = acc;
    }
  }
  // Fix each vector's sign (largest-magnitude entry positive) so results do not flip.
  for (let j = 0; j < d; j++) {
    let best = 0;
    for (let r = 0; r < n; r++) if (Math.abs(u[r * dim + j]!) > Math.abs(best)) best = u[r * dim + j]!;
    if (best < 0) for (let r = 0; r < n; r++) u[r * dim + j] = -u[r * dim + j]!;
  }
  const s = Float64Array.from({ length: dim }, (_, j) => (j < d ? Math.sqrt(Math.max(values[j]!, 0)) : 0));
  return { u, s };
}

/** Dense features [docs][dim]: Σ table[id] over each doc's tokens, divided by norms[doc]. */
export function denseFeatures(docs: readonly (readonly number[])[], table: Float32Array, dim: number, norms: Float64Array): Float64Array {
  const out = new Float64Array(docs.length * dim);
  docs.forEach((doc, r) => {
    const o = r * dim;
    for (const id of doc) for (let d = 0; d < dim; d++) out[o + d]! += table[id * dim + d]!;
    const f = norms[r]! > 0 ? 1 / norms[r]! : 0;
    for (let d = 0; d < dim; d++) out[o + d]! *= f;
  });
  return out;
}
