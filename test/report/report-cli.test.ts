import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { OUTPUT_COLUMNS } from '../../src/labels.js';
import { fixture, runFmc, tempDir } from '../helpers.js';
import { COLUMNS, spikeRows, writeClassified } from './helpers.js';

let tmp: { dir: string; cleanup: () => void };
const path = (name: string): string => join(tmp.dir, name);
const env = (): NodeJS.ProcessEnv => ({ FMC_CACHE: path('cache.sqlite') });
const report = (args: string[]) => runFmc(['report', ...args], { env: env() });

before(() => {
  tmp = tempDir('fmc-report-');
  writeClassified(path('spike.csv'), spikeRows());
});
after(() => tmp.cleanup());

test('fmc report: --json has kpis, series, matrices and the known outage spike as an alert', () => {
  const r = report([path('spike.csv'), '-o', path('r.html'), '--json', path('r.json')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /330 rows, 1 alerts/);
  const data = JSON.parse(readFileSync(path('r.json'), 'utf8'));
  assert.equal(data.kpis.volume, 330);
  assert.equal(data.dates.by, 'day', '30 days: daily buckets');
  assert.equal(data.series.length, 30);
  assert.deepEqual(Object.keys(data.matrices), ['topicIncident', 'urgencyTopic', 'dayHour']);
  assert.deepEqual(data.alerts, [{ start: '2024-03-25T00:00:00+01:00', end: '2024-03-26T00:00:00+01:00', field: 'incident', value: 'outage', count: 34, expected: 3.5, score: data.alerts[0].score }]);
  assert.ok(data.alerts[0].score >= 4);
  const html = readFileSync(path('r.html'), 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/i, 'no script, no URL but the SVG namespaces');
});

test('fmc report: several files of one export give the figures of their concatenation', () => {
  const rows = spikeRows();
  writeClassified(path('part1.csv'), rows.slice(0, 150));
  writeClassified(path('part2.csv'), rows.slice(150));
  assert.equal(report([path('part1.csv'), path('part2.csv'), '--json', path('parts.json')]).status, 0);
  const whole = JSON.parse(readFileSync(path('r.json'), 'utf8'));
  const parts = JSON.parse(readFileSync(path('parts.json'), 'utf8'));
  for (const key of ['kpis', 'series', 'matrices', 'alerts', 'terms', 'confidence']) assert.deepEqual(parts[key], whole[key], key);
});

test('fmc report: a tweet holding <script> is shown as text, in both languages', () => {
  writeClassified(path('xss.csv'), [
    { text: '<script>alert("x")</script> panne <img src=x onerror=alert(1)>', is_claim: true, incident: 'outage', urgency: 'high', sentiment: 'negative' },
    { text: 'ok' },
  ]);
  for (const lang of ['en', 'fr']) {
    const out = path(`xss-${lang}.html`);
    const r = report([path('xss.csv'), '-o', out, '--lang', lang]);
    assert.equal(r.status, 0, r.stderr);
    const html = readFileSync(out, 'utf8');
    assert.doesNotMatch(html, /<script|<img/i);
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; panne &lt;img src=x onerror=alert(1)&gt;'));
    assert.match(html, lang === 'fr' ? /<html lang="fr">[\s\S]*Rapport relation client[\s\S]*Taux de réclamation/ : /<html lang="en">[\s\S]*Customer care report/);
  }
});

test('fmc report: real tweets classified by the rules (dates like 2020-12-28 07:26:23+00:00)', () => {
  const classified = path('tweets.classified.csv');
  const c = runFmc(['classify', fixture('tweets.csv'), '-o', classified, '--provider', 'rules', '--no-cache', '--quiet']);
  assert.equal(c.status, 0, c.stderr);
  const r = report([classified, '--json', path('tweets.json'), '--tz', 'UTC']);
  assert.equal(r.status, 0, r.stderr);
  const data = JSON.parse(readFileSync(path('tweets.json'), 'utf8'));
  assert.equal(data.kpis.volume, 3464);
  assert.equal(data.dates.unparseable, 0);
  assert.equal(data.dates.first, '2020-12-28T07:26:23+00:00');
  assert.equal(data.dates.by, 'week');
  assert.ok(data.terms.outage.length > 0 && data.urgentClaims.length === 20);
});

test('fmc report: without a date column the report says so and has no time charts', () => {
  writeClassified(path('nodate.csv'), spikeRows().slice(0, 40), COLUMNS.filter((c) => c !== 'date'));
  const r = report([path('nodate.csv'), '-o', path('nodate.html'), '--json', path('nodate.json')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /no date column/);
  const html = readFileSync(path('nodate.html'), 'utf8');
  assert.match(html, /No date column/);
  assert.doesNotMatch(html, /data-chart="(volume|sentiment|heatmap|incidents)"/);
  assert.match(html, /data-chart="topic-incident"/);
  assert.deepEqual(JSON.parse(readFileSync(path('nodate.json'), 'utf8')).series, []);
});

test('fmc report: unreadable dates are counted and the first one named; all unreadable is an error', () => {
  const rows = spikeRows().slice(0, 50);
  rows[6]!.date = 'hier soir';
  rows[20]!.date = '2024-02-31 10:00';
  writeClassified(path('baddates.csv'), rows);
  const r = report([path('baddates.csv'), '--json', path('baddates.json')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`2 rows with an unreadable date left out of the time charts \\(first: ${path('baddates.csv').replace(/[.]/g, '\\.')}:8\\)`));
  const data = JSON.parse(readFileSync(path('baddates.json'), 'utf8'));
  assert.equal(data.dates.unparseable, 2);
  assert.equal(data.kpis.volume, 50, 'the rows still count everywhere else');

  writeClassified(path('nodates.csv'), rows.map((row) => ({ ...row, date: 'n/a' })));
  const all = report([path('nodates.csv'), '--json', path('nodates.json')]);
  assert.equal(all.status, 2);
  assert.match(all.stderr, /nodates\.csv:2: no date in column "date" could be read \(first: "n\/a"\).*\[FMC_ERR_DATES\]/);
  assert.equal(all.stderr.trim().split('\n').length, 1);
  assert.equal(existsSync(path('nodates.json')), false);
});

test('fmc report: bad input is one line naming the file, and nothing is written or overwritten', () => {
  writeFileSync(path('keep.html'), 'previous report');
  writeFileSync(path('empty.csv'), '');
  writeClassified(path('header-only.csv'), []);
  writeClassified(path('other-columns.csv'), spikeRows().slice(0, 5), [...COLUMNS, 'extra']);
  const badLabel = spikeRows().slice(0, 5);
  badLabel[2]!.sentiment = 'furious';
  writeClassified(path('bad-label.csv'), badLabel);
  const cases: [string[], RegExp][] = [
    [[fixture('tweets.csv')], new RegExp(`tweets\\.csv:1: not fmc classify output: missing label columns ${OUTPUT_COLUMNS.join(', ')}; run fmc classify .* \\[FMC_ERR_NOT_CLASSIFIED\\]`)],
    [[path('spike.csv'), path('other-columns.csv')], /other-columns\.csv:1: columns differ from .*spike\.csv \(extra extra\).*\[FMC_ERR_COLUMNS\]/],
    [[path('empty.csv')], /empty\.csv: file is empty.*\[FMC_ERR_INPUT_EMPTY\]/],
    [[path('header-only.csv')], /header-only\.csv: no data rows.*\[FMC_ERR_INPUT_EMPTY\]/],
    [[path('bad-label.csv')], /bad-label\.csv:4:5: sentiment "furious" is not one of negative, neutral, positive.*\[FMC_ERR_LABELS\]/],
    [[path('missing.csv')], /missing\.csv: no such file.*\[FMC_ERR_INPUT_MISSING\]/],
    [[path('spike.csv'), '--date-column', 'when'], /--date-column "when" not found; columns found: tweet_id, text, date/],
    [[path('spike.csv'), '--tz', 'Mars/Olympus'], /--tz "Mars\/Olympus" is not a time zone/],
  ];
  for (const [args, message] of cases) {
    const r = report([...args, '-o', path('keep.html'), '--json', path('never.json')]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(readFileSync(path('keep.html'), 'utf8'), 'previous report');
    assert.equal(existsSync(path('never.json')), false);
  }
  const none = report([path('spike.csv')]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /nothing to write: pass -o report\.html and\/or --json report\.json/);
});

test('fmc report --help shows examples and the exit codes', () => {
  const r = runFmc(['report', '--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /fmc report \/tmp\/tweets\.classified\.csv -o \/tmp\/report\.html --json \/tmp\/report\.json/);
  assert.match(r.stdout, /4 written, but an alert was not delivered/);
});

test('fmc classify --report writes the report of its output at the end of the run', () => {
  const out = path('run.csv');
  const html = path('run.html');
  const r = runFmc(['classify', fixture('formats', 'semicolon.csv'), '-o', out, '--provider', 'rules', '--no-cache', '--quiet', '--report', html]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(readFileSync(html, 'utf8'), /<h1>Customer care report<\/h1>[\s\S]*data-chart="topic-incident"/);
  const stdout = runFmc(['classify', fixture('formats', 'semicolon.csv'), '-o', '-', '--provider', 'rules', '--no-cache', '--report', path('never.html')]);
  assert.equal(stdout.status, 2);
  assert.match(stdout.stderr, /--report reads the output file: pass -o <file>/);
  assert.equal(existsSync(path('never.html')), false);
});
