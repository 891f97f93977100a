import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate, formatReport, type LabelRow } from '../../src/eval/metrics.js';

const row = (topic: string, is_claim = 'true'): LabelRow => ({ is_claim, sentiment: 'negative', topic, incident: 'none', urgency: 'low' });

test('accuracy, macro-F1 and confusion matrix per field', () => {
  const gold = [row('fibre'), row('fibre'), row('tv'), row('mobile', 'false')];
  const pred = [row('fibre'), row('tv'), row('tv'), row('mobile', 'true')];
  const reports = evaluate(gold, pred);
  const topic = reports.find((r) => r.field === 'topic')!;
  assert.equal(topic.accuracy, 0.75);
  assert.equal(topic.confusion.fibre!.tv, 1);
  assert.equal(topic.confusion.fibre!.fibre, 1);
  // fibre: P=1 R=.5 F1=.667; tv: P=.5 R=1 F1=.667; mobile: F1=1 -> mean .778
  assert.ok(Math.abs(topic.macroF1 - (2 / 3 + 2 / 3 + 1) / 3) < 1e-9);
  const claim = reports.find((r) => r.field === 'is_claim')!;
  assert.equal(claim.accuracy, 0.75);
  assert.match(formatReport(reports, 'rules'), /topic\s+0\.750\s+0\.778/);
});

test('misaligned inputs are a bug, not a score', () => {
  assert.throws(() => evaluate([row('tv')], []));
});
