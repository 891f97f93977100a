import assert from 'node:assert/strict';
import { test } from 'node:test';
import { symmetricEigen } from '../../src/model/embeddings.js';
import { seededRandom } from '../../src/model/random.js';

// The eigen step of the word embeddings (cyclic Jacobi on a symmetric k×k matrix).

function randomSymmetric(k: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  const a = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = i; j < k; j++) a[i * k + j] = a[j * k + i] = random() * 2 - 1;
  return a;
}

test('a known matrix: eigenvalues 3 and 1, eigenvectors (1, 1)/√2 and (1, -1)/√2', () => {
  const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
  assert.ok(Math.abs(values[0]! - 3) < 1e-12 && Math.abs(values[1]! - 1) < 1e-12, `${values}`);
  // Column 0 is the first eigenvector, up to sign.
  assert.ok(Math.abs(Math.abs(vectors[0]!) - Math.SQRT1_2) < 1e-12 && Math.abs(vectors[0]! - vectors[2]!) < 1e-12);
  assert.ok(Math.abs(vectors[1]! + vectors[3]!) < 1e-12);
});

test('a random symmetric matrix: orthonormal vectors, A v = λ v, values descending, V Λ Vᵀ rebuilds A', () => {
  const k = 12;
  const a = randomSymmetric(k, 7);
  const { values, vectors: v } = symmetricEigen(a, k);
  for (let i = 1; i < k; i++) assert.ok(values[i - 1]! >= values[i]!, 'descending');
  for (let p = 0; p < k; p++) {
    for (let q = 0; q < k; q++) {
      let dot = 0;
      for (let r = 0; r < k; r++) dot += v[r * k + p]! * v[r * k + q]!;
      assert.ok(Math.abs(dot - (p === q ? 1 : 0)) < 1e-10, `vᵀv[${p}][${q}] = ${dot}`);
    }
  }
  for (let j = 0; j < k; j++) {
    for (let r = 0; r < k; r++) {
      let av = 0;
      for (let c = 0; c < k; c++) av += a[r * k + c]! * v[c * k + j]!;
      assert.ok(Math.abs(av - values[j]! * v[r * k + j]!) < 1e-9, `(A v)[${r}] for λ${j}`);
    }
  }
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < k; c++) {
      let rebuilt = 0;
      for (let j = 0; j < k; j++) rebuilt += v[r * k + j]! * values[j]! * v[c * k + j]!;
      assert.ok(Math.abs(rebuilt - a[r * k + c]!) < 1e-9, `A[${r}][${c}]`);
    }
  }
});
