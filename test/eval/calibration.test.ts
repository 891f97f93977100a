import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coverageAt, coverageTable, expectedCalibrationError, thresholdForAccuracy, type ScoredOutcome } from '../../src/eval/calibration.js';
import { calibrationLines, coverageTableText } from '../../src/eval/report-text.js';

const outcome = (confidence: number, right: boolean, topicRight = right): ScoredOutcome => ({
  confidence,
  correct: { is_claim: true, sentiment: true, topic: topicRight, incident: right, urgency: true },
});

// Ten rows: the five most confident are right, then one of the next five.
const rows = [0.99, 0.95, 0.9, 0.85, 0.8].map((c) => outcome(c, true)).concat([0.7, 0.6, 0.55, 0.5, 0.3].map((c, i) => outcome(c, i === 0, true)));

test('coverage: share of rows at or above a threshold and their accuracy, all five and per field', () => {
  const at = coverageAt(rows, 0.6);
  assert.equal(at.rows, 7);
  assert.equal(at.coverage, 0.7);
  // 6 of the 7 kept rows have every field right; topic is right on all of them.
  assert.equal(at.accuracy, 6 / 7);
  assert.equal(at.fields.topic, 1);
  assert.equal(at.fields.incident, 6 / 7);
  const table = coverageTable(rows);
  assert.deepEqual(table.map((r) => r.threshold), [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]);
  assert.equal(table.at(-1)!.rows, 2);
  assert.equal(coverageAt(rows, 1).accuracy, 0, 'no row kept: accuracy 0, not NaN');
  assert.match(coverageTableText(table), /│ 0\.60\s+│ 70\.0%\s+│ 7\s+│ 0\.857\s+│/);
});

test('expected calibration error: zero when confidence matches accuracy, the gap otherwise', () => {
  // Bin [0.9, 1): four rows at 0.95, three right -> |0.75 - 0.95| = 0.2 over all rows.
  const perfect = [outcome(0.75, true), outcome(0.75, true), outcome(0.75, true), outcome(0.75, false)];
  assert.ok(Math.abs(expectedCalibrationError(perfect)) < 1e-12);
  const over = [outcome(0.95, true), outcome(0.95, true), outcome(0.95, true), outcome(0.95, false)];
  assert.ok(Math.abs(expectedCalibrationError(over) - 0.2) < 1e-12);
  // Two bins weighted by their rows: 0.2 * 4/8 + 0.25 * 4/8.
  const under = [outcome(0.25, true), outcome(0.25, true), outcome(0.25, false), outcome(0.25, false)];
  assert.ok(Math.abs(expectedCalibrationError([...over, ...under]) - (0.2 * 0.5 + 0.25 * 0.5)) < 1e-12);
  assert.equal(expectedCalibrationError([]), 0);
});

test('the threshold for a target accuracy keeps the most rows at that accuracy', () => {
  // The six most confident rows are all right; the seventh (0.6) is the first wrong one.
  assert.deepEqual(thresholdForAccuracy(rows, 0.95), { threshold: 0.7, coverage: 0.6, accuracy: 1 });
  assert.deepEqual(thresholdForAccuracy(rows, 1), { threshold: 0.7, coverage: 0.6, accuracy: 1 });
  // 6 of 7 = 0.857 reaches 0.8; 6 of 8 would not.
  assert.deepEqual(thresholdForAccuracy(rows, 0.8), { threshold: 0.6, coverage: 0.7, accuracy: 6 / 7 });
  assert.deepEqual(thresholdForAccuracy(rows, 0.6), { threshold: 0.3, coverage: 1, accuracy: 0.6 });
  assert.equal(thresholdForAccuracy([outcome(0.9, false)], 0.5), undefined);
  // Ties: a threshold keeps every row with that confidence, so it cannot split them.
  const tied = [outcome(0.9, true), outcome(0.9, false)];
  assert.equal(thresholdForAccuracy(tied, 0.9), undefined);
  assert.match(calibrationLines(0.031, 0.95, thresholdForAccuracy(rows, 0.95)), /keeps 60\.0% of rows at 1\.000 .*pass --escalate-below 0\.700/);
  assert.match(calibrationLines(0.031, 0.95, undefined), /no confidence threshold reaches 0\.95/);
});
