import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { readLabeledFile } from '../../src/eval/read-labeled.js';
import { fixture, runFmc, tempDir } from '../helpers.js';

let dir: string;
let cleanup: () => void;
let labeled: string;
const fmc = (args: string[]) => runFmc(args, { env: { FMC_CACHE: join(dir, 'cache.sqlite') } });

before(() => {
  ({ dir, cleanup } = tempDir('fmc-sample-'));
  labeled = join(dir, 'labeled.csv');
  // dev.csv's texts labeled by the rules: the file fmc sample reads.
  const r = fmc(['classify', fixture('dev.csv'), '-o', labeled, '--provider', 'rules', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
});
after(() => cleanup());

type Row = Record<string, string>;
const read = (path: string): Row[] => parse(readFileSync(path), { columns: true }) as Row[];

test('each strategy writes N rows, one per text, with the suggestions and empty gold_* columns', () => {
  const input = read(labeled);
  for (const strategy of ['uncertain', 'disagreement', 'random']) {
    const out = join(dir, `review-${strategy}.csv`);
    const r = fmc(['sample', labeled, '-n', '40', '--strategy', strategy, '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    const rows = read(out);
    assert.equal(rows.length, 40, strategy);
    assert.equal(new Set(rows.map((row) => row.text)).size, 40, `${strategy}: one row per text`);
    const header = Object.keys(rows[0]!);
    assert.deepEqual(header.slice(-6), ['review_reason', 'gold_is_claim', 'gold_sentiment', 'gold_topic', 'gold_incident', 'gold_urgency']);
    assert.ok(header.includes('topic') && header.includes('confidence'), 'suggestions kept');
    assert.ok(rows.every((row) => row.gold_topic === '' && row.gold_urgency === ''));
    if (strategy === 'uncertain') {
      const confidences = input.map((row) => Number(row.confidence)).sort((a, b) => a - b);
      const picked = rows.map((row) => Number(row.confidence));
      // Mostly the lowest confidences (a quarter may be spent on rare classes).
      const cutoff = confidences[60]!;
      assert.ok(picked.filter((c) => c <= cutoff).length >= 30, `uncertain picks low confidences: ${picked.join(' ')}`);
      assert.match(rows[0]!.review_reason!, /^confidence 0\.\d\d$/);
    }
    if (strategy === 'disagreement') assert.match(rows[0]!.review_reason!, /^rules (disagree on|agree)/);
    // Rare predicted topics appear: every topic the rules predicted at all.
    const topics = new Set(input.map((row) => row.topic));
    assert.deepEqual(new Set(rows.map((row) => row.topic)), topics, `${strategy}: every predicted topic is represented`);
  }
});

test('disagreement re-runs the rules: a model that agrees with the rules everywhere but one row puts that row first', () => {
  const input = read(labeled).slice(0, 30);
  // Pretend a model labeled row 7 differently from the rules on topic and incident.
  const changed = input.map((row, i) => (i === 7 ? { ...row, topic: row.topic === 'tv' ? 'mobile' : 'tv', incident: row.incident === 'outage' ? 'billing' : 'outage', urgency: 'medium' } : row));
  const file = join(dir, 'model.csv');
  writeFileSync(file, stringify(changed, { header: true }));
  const out = join(dir, 'disagree.csv');
  assert.equal(fmc(['sample', file, '-n', '1', '--strategy', 'disagreement', '-o', out]).status, 0);
  const [row] = read(out);
  assert.equal(row!.text, input[7]!.text);
  assert.match(row!.review_reason!, /rules disagree on .*topic.*incident/);
});

test('-n 0 and a file without label columns: one line on stderr, exit 2', () => {
  const zero = fmc(['sample', labeled, '-n', '0', '-o', join(dir, 'x.csv')]);
  assert.equal(zero.status, 2);
  assert.equal(zero.stderr.trim().split('\n').length, 1, zero.stderr);
  assert.match(zero.stderr, /-n 0: ask for at least 1 row to review \[FMC_ERR_USAGE\]/);
  const bare = fmc(['sample', fixture('tweets.csv'), '-n', '5', '-o', join(dir, 'y.csv')]);
  assert.equal(bare.status, 2);
  assert.equal(bare.stderr.trim().split('\n').length, 1, bare.stderr);
  assert.match(bare.stderr, /tweets\.csv:1: no is_claim, sentiment, topic, incident, urgency, confidence columns; .*fmc classify.* \[FMC_ERR_LABELS\]/);
});

test('a filled review file trains: gold cells win, empty gold keeps the suggestion, unreviewed rows are left out', async () => {
  const out = join(dir, 'review.csv');
  assert.equal(fmc(['sample', labeled, '-n', '6', '--strategy', 'random', '-o', out]).status, 0);
  const rows = read(out);
  rows[0]!.gold_topic = rows[0]!.topic === 'tv' ? 'mobile' : 'tv';
  rows[1]!.gold_is_claim = 'true';
  rows[1]!.gold_sentiment = 'negative';
  rows[1]!.gold_topic = 'billing';
  rows[1]!.gold_incident = 'billing';
  rows[1]!.gold_urgency = 'high';
  const filled = join(dir, 'filled.csv');
  writeFileSync(filled, stringify(rows, { header: true }));
  let unreviewed = 0;
  const trained = await readLabeledFile(filled, { onUnreviewed: (n) => (unreviewed = n) });
  assert.equal(trained.length, 2);
  assert.equal(unreviewed, 4);
  assert.deepEqual(trained[0]!.labels, { is_claim: rows[0]!.is_claim, sentiment: rows[0]!.sentiment, topic: rows[0]!.gold_topic, incident: rows[0]!.incident, urgency: rows[0]!.urgency });
  assert.deepEqual(trained[1]!.labels, { is_claim: 'true', sentiment: 'negative', topic: 'billing', incident: 'billing', urgency: 'high' });

  // Through the CLI, after a small labeled file: both reviewed rows join it, the rest are named as left out.
  const small = join(dir, 'small.csv');
  writeFileSync(small, readFileSync(fixture('train.csv'), 'utf8').split('\n').slice(0, 121).join('\n') + '\n');
  const r = fmc(['train', small, filled, '--out', join(dir, 'm'), '--no-hybrid', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { rows: number }).rows, 122);
  assert.match(r.stderr, /filled\.csv: 4 rows without any gold_\* value left out \(not reviewed\)/);

  // A bad gold value is named with its line and column name.
  rows[2]!.gold_topic = 'weather';
  writeFileSync(filled, stringify(rows, { header: true }));
  await assert.rejects(readLabeledFile(filled), /filled\.csv:4: gold_topic "weather" is not one of/);
});
