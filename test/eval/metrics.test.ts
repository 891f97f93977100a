import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate, type LabelRow } from '../../src/eval/metrics.js';
import { confusionTable, perClassTable, summaryTable } from '../../src/eval/report-text.js';

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
  assert.match(summaryTable(reports), /│ topic\s+│ 0\.750\s+│ 0\.778\s+│/);
});

test('precision, recall, F1 and support per class, in taxonomy order', () => {
  const gold = [row('fibre'), row('fibre'), row('tv'), row('mobile')];
  const pred = [row('fibre'), row('tv'), row('tv'), row('tv')];
  const topic = evaluate(gold, pred).find((r) => r.field === 'topic')!;
  const by = Object.fromEntries(topic.perClass.map((c) => [c.value, c]));
  assert.deepEqual(topic.perClass.map((c) => c.value), ['fibre', 'mobile', 'tv', 'billing', 'customer_service', 'other']);
  assert.deepEqual(by.fibre, { value: 'fibre', precision: 1, recall: 0.5, f1: 2 / 3, support: 2, predicted: 1 });
  // tv: predicted 3 times, right once; its one gold row found.
  assert.equal(by.tv!.precision, 1 / 3);
  assert.equal(by.tv!.recall, 1);
  assert.equal(by.tv!.f1, 0.5);
  assert.deepEqual(by.mobile, { value: 'mobile', precision: 0, recall: 0, f1: 0, support: 1, predicted: 0 });
  assert.equal(by.billing!.support, 0);
  // Classes absent from gold and predictions stay out of the macro average.
  assert.ok(Math.abs(topic.macroF1 - (2 / 3 + 0 + 0.5) / 3) < 1e-9);

  const lines = perClassTable(topic).split('\n');
  assert.match(lines.find((l) => l.includes('fibre'))!, /│ fibre\s+│ 1\.000\s+│ 0\.500\s+│ 0\.667\s+│ 2\s+│/);
  assert.match(lines[1]!, /│ topic\s+│ precision │ recall │ F1\s+│ support │/);
  assert.match(confusionTable(topic), /^topic: rows = gold, columns = predicted\n[^]*│ fibre\s+│ 1\s+│ 0\s+│ 1\s+│/);
});

test('misaligned inputs are a bug, not a score', () => {
  assert.throws(() => evaluate([row('tv')], []));
});
