import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { cleanTweet } from '../../src/clean/clean-tweet.js';
import { LABEL_FIELDS, labelStrings, type LabelField } from '../../src/labels.js';
import { classifyByRules } from '../../src/rules/classify.js';
import { fixture } from '../helpers.js';

// The issue's acceptance floors, measured on the 300 adjudicated rows of fixtures/dev.csv
// (the old system: is_claim 0.60, topic 0.37, urgency 0.46). The lexicon was built from
// fixtures/train.csv only; dev is never mined, so these figures estimate unseen data.
const FLOORS: Readonly<Record<LabelField, number>> = {
  is_claim: 0.85,
  sentiment: 0.8,
  topic: 0.7,
  incident: 0.7,
  urgency: 0.65,
};

type Row = Record<LabelField | 'text', string>;

function accuracy(file: string): Record<LabelField, number> {
  const rows = parse(readFileSync(fixture(file)), { columns: true, skip_empty_lines: true }) as Row[];
  const correct = Object.fromEntries(LABEL_FIELDS.map((field) => [field, 0])) as Record<LabelField, number>;
  for (const row of rows) {
    const predicted = labelStrings(classifyByRules(cleanTweet(row.text)));
    for (const field of LABEL_FIELDS) if (predicted[field] === row[field]) correct[field]++;
  }
  return Object.fromEntries(LABEL_FIELDS.map((field) => [field, correct[field] / rows.length])) as Record<LabelField, number>;
}

describe('rules accuracy', () => {
  it('meets the acceptance floors on fixtures/dev.csv', (t) => {
    const measured = accuracy('dev.csv');
    t.diagnostic(`dev: ${LABEL_FIELDS.map((field) => `${field} ${measured[field].toFixed(3)}`).join(', ')}`);
    for (const field of LABEL_FIELDS) {
      assert.ok(measured[field] >= FLOORS[field], `${field}: ${measured[field].toFixed(3)} < floor ${FLOORS[field]}`);
    }
  });
});
