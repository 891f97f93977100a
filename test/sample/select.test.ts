import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrainedField } from '../../src/labels.js';
import { selectSample, type Candidate } from '../../src/sample/select.js';

const labels = (topic: string, incident = 'none'): Record<TrainedField, string> => ({ is_claim: 'false', sentiment: 'neutral', topic, incident, urgency: 'low' });

/** 100 fibre rows with confidence 0.01..1.00 (row i: (i+1)/100), and one tv row, very confident. */
function pool(): Candidate[] {
  const rows: Candidate[] = Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, predicted: labels('fibre'), confidence: (i + 1) / 100 }));
  rows.push({ key: 'tv', predicted: labels('tv'), confidence: 0.99 });
  return rows;
}

test('uncertain: the lowest confidences first, and the rare predicted class still shows up', () => {
  const picked = selectSample(pool(), { n: 10, strategy: 'uncertain' });
  assert.equal(picked.length, 10);
  assert.ok(picked.includes(100), 'the one tv row is in the sample (coverage)');
  const fibre = picked.filter((i) => i !== 100);
  assert.deepEqual(fibre, [0, 1, 2, 3, 4, 5, 6, 7, 8], 'the rest are the least confident, in order');
  // Without a coverage share, the strategy alone: no tv row.
  assert.deepEqual(selectSample(pool(), { n: 10, strategy: 'uncertain', coverageShare: 0 }), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('one row per distinct text: a repeated text is sampled once', () => {
  const rows = pool();
  rows[1] = { ...rows[1]!, key: 't0' };
  const picked = selectSample(rows, { n: 5, strategy: 'uncertain', coverageShare: 0 });
  assert.deepEqual(picked, [0, 2, 3, 4, 5]);
});

test('disagreement: most fields in disagreement first, then the least confident', () => {
  const rows: Candidate[] = [
    { key: 'a', predicted: labels('fibre'), confidence: 0.2, disagreeing: [] },
    { key: 'b', predicted: labels('fibre'), confidence: 0.9, disagreeing: ['topic', 'incident'] },
    { key: 'c', predicted: labels('fibre'), confidence: 0.5, disagreeing: ['topic'] },
    { key: 'd', predicted: labels('fibre'), confidence: 0.4, disagreeing: ['topic'] },
  ];
  assert.deepEqual(selectSample(rows, { n: 3, strategy: 'disagreement', coverageShare: 0 }), [1, 3, 2]);
});

test('random: seeded (same seed, same sample; another seed, another), never more than asked, rare classes included', () => {
  const a = selectSample(pool(), { n: 20, strategy: 'random', seed: 7 });
  assert.deepEqual(selectSample(pool(), { n: 20, strategy: 'random', seed: 7 }), a);
  assert.notDeepEqual(selectSample(pool(), { n: 20, strategy: 'random', seed: 8 }), a);
  assert.equal(a.length, 20);
  assert.ok(a.includes(100));
  assert.equal(selectSample(pool(), { n: 500, strategy: 'random' }).length, 101);
});
