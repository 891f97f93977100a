import assert from 'node:assert/strict';
import { test } from 'node:test';
import { calibrate, calibrationOf, fitIsotonic, rawScore } from '../../src/model/calibrate.js';

test('isotonic fit: non-decreasing, block means of the outcomes, small blocks pooled', () => {
  // Scores 0..99; rows right with a probability that grows with the score (deterministic pattern).
  const score = [...Array(100).keys()].map((i) => i / 100);
  const right = score.map((s, i) => ((i * 7) % 10) / 10 < s ? 1 : 0);
  const fit = fitIsotonic(score, right, 10);
  assert.equal(fit.x.length, fit.y.length);
  for (let i = 1; i < fit.y.length; i++) {
    assert.ok(fit.y[i]! > fit.y[i - 1]!, 'strictly increasing between blocks');
    assert.ok(fit.x[i]! > fit.x[i - 1]!);
  }
  // Pooling keeps the mean: the row-weighted mean of y equals the share of right rows.
  assert.ok(fit.y[0]! < 0.2 && fit.y.at(-1)! > 0.8, JSON.stringify(fit));
  // Every block has at least 10 rows, so no calibrated value rests on one lucky row.
  assert.ok(fit.x.length <= 10);
});

test('isotonic fit of a reversed relation is one flat block at the mean', () => {
  const fit = fitIsotonic([0.1, 0.2, 0.3, 0.4], [1, 1, 0, 0], 1);
  assert.deepEqual(fit.y, [0.5]);
});

test('calibrate interpolates between fitted points and is flat beyond them', () => {
  const c = { score: 'product-of-chosen-probabilities' as const, x: [0.2, 0.6], y: [0.3, 0.9] };
  assert.equal(calibrate(c, 0.1), 0.3);
  assert.equal(calibrate(c, 0.9), 0.9);
  assert.ok(Math.abs(calibrate(c, 0.4) - 0.6) < 1e-12);
  assert.equal(calibrationOf(c), c);
  assert.equal(calibrationOf({ ...c, score: 'min' }), undefined, 'a different raw score is not misread');
  assert.equal(calibrationOf({ ...c, y: [0.3] }), undefined);
});

test('the raw score multiplies the chosen values\' probabilities', () => {
  const p = (xs: number[]): Float64Array => Float64Array.from(xs);
  const probs = { is_claim: p([0.1, 0.9]), sentiment: p([0.5, 0.3, 0.2]), topic: p([1, 0, 0, 0, 0, 0]), incident: p([0, 0, 0, 0, 0, 1]), urgency: p([0.8, 0.1, 0.1]) };
  assert.ok(Math.abs(rawScore(probs, [1, 0, 0, 5, 0]) - 0.9 * 0.5 * 0.8) < 1e-12);
});
