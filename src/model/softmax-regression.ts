// Multinomial logistic regression over sparse rows, fitted by L-BFGS: full-batch and
// deterministic (no sampling, fixed iteration order), so one seed-free run gives the same
// weights bit for bit. Only the columns that occur in the training rows are optimized (the
// rest get zero weight under L2 anyway), which keeps a 260k-column model to ~40k columns.

import type { SparseRows } from './features.js';
import { lbfgs } from './lbfgs.js';

export interface FitOptions {
  /** L2 penalty on the weights (not the bias), per unit of mean loss. */
  readonly l2: number;
  /** Per-row weights (class balancing); default 1. */
  readonly sampleWeight?: Float64Array;
  readonly maxIterations?: number;
}

export interface SoftmaxModel {
  readonly classes: number;
  readonly columns: number;
  /** Row-major [columns][classes]. */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  /** The dense branch's weights [dim][classes], when the corpus has one (embeddings.ts). */
  readonly dense?: Float32Array;
}

/** Logits row by row: [rows][classes]. */
export function predictLogits(model: SoftmaxModel, x: SparseRows): Float64Array {
  const { classes, weights, bias } = model;
  const out = new Float64Array(x.rows * classes);
  for (let r = 0; r < x.rows; r++) {
    const o = r * classes;
    for (let c = 0; c < classes; c++) out[o + c] = bias[c]!;
    for (let k = x.indptr[r]!; k < x.indptr[r + 1]!; k++) {
      const col = x.indices[k]!;
      if (col >= model.columns) continue;
      const v = x.values[k]!;
      const w = col * classes;
      for (let c = 0; c < classes; c++) out[o + c]! += v * weights[w + c]!;
    }
  }
  return out;
}

/** In-place softmax of each row of a [rows][classes] array. */
export function softmaxRows(logits: Float64Array, classes: number): Float64Array {
  for (let o = 0; o < logits.length; o += classes) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[o + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += logits[o + c] = Math.exp(logits[o + c]! - max);
    for (let c = 0; c < classes; c++) logits[o + c]! /= sum;
  }
  return logits;
}

/**
 * Fits weights for `columns` features and `classes` classes. Returns dense weights with
 * zeros for columns absent from `x`.
 */
export function fitSoftmax(x: SparseRows, labels: Int32Array, classes: number, columns: number, options: FitOptions): SoftmaxModel {
  // Compact the columns that occur, in ascending order (deterministic).
  const used = new Int32Array(columns).fill(-1);
  const present: number[] = [];
  for (const col of x.indices) if (used[col] === -1) used[col] = 0;
  for (let col = 0; col < columns; col++) if (used[col] === 0) used[col] = present.push(col) - 1;
  const compact = Int32Array.from(x.indices, (col) => used[col]!);
  const k = present.length;
  const dim = (k + 1) * classes; // weights, then the bias
  const sw = options.sampleWeight ?? new Float64Array(x.rows).fill(1);
  let totalWeight = 0;
  for (const w of sw) totalWeight += w;
  const l2 = options.l2;

  const probs = new Float64Array(classes);
  function lossAndGradient(theta: Float64Array, grad: Float64Array): number {
    grad.fill(0);
    let loss = 0;
    const biasAt = k * classes;
    for (let r = 0; r < x.rows; r++) {
      for (let c = 0; c < classes; c++) probs[c] = theta[biasAt + c]!;
      for (let j = x.indptr[r]!; j < x.indptr[r + 1]!; j++) {
        const w = compact[j]! * classes;
        const v = x.values[j]!;
        for (let c = 0; c < classes; c++) probs[c]! += v * theta[w + c]!;
      }
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, probs[c]!);
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += probs[c] = Math.exp(probs[c]! - max);
      const weight = sw[r]! / totalWeight;
      const y = labels[r]!;
      loss -= weight * (Math.log(probs[y]! / sum));
      for (let c = 0; c < classes; c++) probs[c] = (weight * (probs[c]! / sum - (c === y ? 1 : 0)));
      for (let c = 0; c < classes; c++) grad[biasAt + c]! += probs[c]!;
      for (let j = x.indptr[r]!; j < x.indptr[r + 1]!; j++) {
        const w = compact[j]! * classes;
        const v = x.values[j]!;
        for (let c = 0; c < classes; c++) grad[w + c]! += v * probs[c]!;
      }
    }
    for (let i = 0; i < biasAt; i++) {
      loss += 0.5 * l2 * theta[i]! * theta[i]!;
      grad[i]! += l2 * theta[i]!;
    }
    return loss;
  }

  const theta = lbfgs(lossAndGradient, new Float64Array(dim), { maxIterations: options.maxIterations ?? 300 });
  const weights = new Float32Array(columns * classes);
  present.forEach((col, i) => weights.set(theta.subarray(i * classes, (i + 1) * classes), col * classes));
  return { classes, columns, weights, bias: Float32Array.from(theta.subarray(k * classes)) };
}
