import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Chalk } from 'chalk';
import { stringify } from 'csv-stringify/sync';
import { formatSummary } from '../../src/cli/summary-format.js';
import type { RunSummary } from '../../src/pipeline/summary.js';
import { FAKE_KEY, startFakeGemini, type FakeGemini } from '../fakes/gemini.js';
import { closedPort } from '../fakes/http.js';
import { fixture, fmcBin, runFmc, tempDir } from '../helpers.js';

// Issue #12, item 22: the run summary says what happened, the same way cold and warm, with
// no internal batch counts, no cache figures for a chain that has no cache, and English
// numbers (thousands separators, singular for one). Item 19: its duration counts start-up.

let dir: string;
let cleanup: () => void;
let fake: FakeGemini;
let noOllama: string;
before(async () => {
  ({ dir, cleanup } = tempDir('fmc-12-summary-'));
  // Slow enough that the first chunks are all in flight when later ones repeat their texts.
  fake = await startFakeGemini({ latencyMs: 150 });
  noOllama = `http://127.0.0.1:${await closedPort()}`;
});
after(async () => {
  await fake.close();
  cleanup();
});

function fmc(args: string[]): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [fmcBin, ...args], {
    env: { ...process.env, NO_COLOR: '1', FMC_CACHE: join(dir, 'cache.sqlite'), GEMINI_API_KEY: FAKE_KEY, GEMINI_BASE_URL: fake.url, GEMINI_MODEL: 'gemini-2.5-flash', OLLAMA_HOST: noOllama },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr })));
}

test('a cold run and a warm run of the same file count the same duplicates, and each distinct text is asked once', async () => {
  // 450 rows, 150 distinct texts: rows 150.. repeat texts whose chunk is still in flight.
  const input = join(dir, 'repeats.csv');
  writeFileSync(input, stringify([['text'], ...Array.from({ length: 450 }, (_, i) => [`question numéro ${i % 150} sur mon forfait`])]));
  const run = async (name: string): Promise<RunSummary & { stderr: string }> => {
    const summaryPath = join(dir, `${name}.json`);
    const r = await fmc(['classify', input, '-o', join(dir, `${name}.csv`), '--provider', 'gemini', '--summary-json', summaryPath]);
    assert.equal(r.status, 0, r.stderr);
    return { ...(JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary), stderr: r.stderr };
  };
  fake.calls.length = 0;
  const cold = await run('cold');
  assert.equal(fake.calls.flatMap((c) => c.items).length, 150, 'every distinct text asked once');
  const warm = await run('warm');
  assert.equal(cold.duplicates, 300);
  assert.equal(warm.duplicates, 300);
  assert.equal(cold.cache.misses, 150);
  assert.equal(warm.cache.hits, 150);
  assert.match(cold.stderr, /^450 rows in .*; 300 duplicates reused; no invalid rows$/m);
});

test('a rules run reports no cache figures and no internal batch counts', () => {
  const summaryPath = join(dir, 'rules.json');
  const r = runFmc(['classify', fixture('tweets.csv'), '-o', join(dir, 'rules.csv'), '--provider', 'rules', '--summary-json', summaryPath], { env: { FMC_CACHE: join(dir, 'rules-cache.sqlite') } });
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary;
  assert.deepEqual({ hits: summary.cache.hits, misses: summary.cache.misses }, { hits: 0, misses: 0 });
  assert.match(r.stderr, /^ {2}cache +not used/m);
  assert.doesNotMatch(r.stderr, /\bcalls?\b/, 'no tier call counts');
  assert.doesNotMatch(r.stderr, /^ *rules:/m);
  assert.match(r.stderr, /^3,464 rows in /m);
});

test("the summary's duration counts the whole run: start-up before the first row included", () => {
  const summaryPath = join(dir, 'duration.json');
  const r = runFmc(['classify', fixture('tweets.csv'), '-o', join(dir, 'duration.csv'), '--provider', 'rules', '--summary-json', summaryPath], { env: { FMC_CACHE: join(dir, 'd.sqlite') } });
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary;
  // The engine thread's start (tier chain, probes) happens before the first row.
  assert.ok(s.startupMs > 0, `startupMs ${s.startupMs}`);
  const classifyingMs = (s.rows / s.rowsPerSecond) * 1000;
  assert.ok(s.durationMs >= s.startupMs + classifyingMs * 0.9, `duration ${s.durationMs} = start-up ${s.startupMs} + classifying ~${classifyingMs}`);
});

const base: RunSummary = {
  rows: 1234,
  duplicates: 1,
  invalidRows: 1,
  invalid: [{ line: 3, reason: 'unbalanced quote' }],
  labels: { sentiment: { negative: 1234 } },
  claimRate: 0.5,
  providers: { gemini: 1000, rules: 234 },
  cache: { hits: 1, misses: 12345, hitRate: 1 / 12346, writeFailures: 0 },
  tiers: { gemini: { calls: 1, errors: 0, requests: 1, inputTokens: 1500, outputTokens: 2000 }, hybrid: { calls: 16, errors: 0 }, rules: { calls: 3, errors: 0 } },
  escalated: 1,
  unavailable: {},
  durationMs: 32_500,
  startupMs: 30_000,
  rowsPerSecond: 494,
};

test('numbers have thousands separators and words agree with one', () => {
  const text = formatSummary(base, new Chalk({ level: 0 }));
  assert.match(text, /^1,234 rows in 32\.5 s, of which 30\.0 s start-up \(494 rows\/s\); 1 duplicate reused; 1 invalid row skipped$/m);
  assert.match(text, /^ {2}cache +1 hit, 12,345 misses \(0\.0% hits\)$/m);
  assert.match(text, /^ {2}gemini +1 request \(1 batch\), 1,500 input \+ 2,000 output tokens$/m);
  assert.match(text, /^ {2}escalated +1 row to LLM tiers$/m);
  assert.doesNotMatch(text, /hybrid|16|\brules:/, 'local tiers: no call counts');
  assert.doesNotMatch(text, /\b1 (rows|duplicates|hits|requests|batches)\b/);
});

test('a local tier that failed batches is named, with how many', () => {
  const text = formatSummary({ ...base, tiers: { ...base.tiers, hybrid: { calls: 16, errors: 2 } } }, new Chalk({ level: 0 }));
  assert.match(text, /^ {2}hybrid +2 failed batches$/m);
});
