import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { answerReply, FAKE_KEY, googleError, quotaFailure, retryInfo, startFakeGemini, type FakeGemini } from '../fakes/gemini.js';
import { closedPort } from '../fakes/http.js';
import { fmcBin, tempDir } from '../helpers.js';

// `fmc classify` as users run it (a child process of the built CLI) against the fake Gemini
// API on loopback. The child is spawned asynchronously: the fake answers from this process.

let dir: string;
let cleanup: () => void;
let fake: FakeGemini;
let noOllama: string;
before(async () => {
  ({ dir, cleanup } = tempDir());
  fake = await startFakeGemini();
  noOllama = `http://127.0.0.1:${await closedPort()}`;
});
after(async () => {
  await fake.close();
  cleanup();
});

interface Run {
  readonly child: ChildProcess;
  readonly done: Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function fmc(args: string[], env: NodeJS.ProcessEnv = {}, cache = 'cache.sqlite'): Run {
  const child = spawn(process.execPath, [fmcBin, ...args], {
    env: { ...process.env, NO_COLOR: '1', FMC_CACHE: join(dir, cache), GEMINI_API_KEY: FAKE_KEY, GEMINI_BASE_URL: fake.url, GEMINI_MODEL: 'gemini-2.5-flash', OLLAMA_HOST: noOllama, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c));
  child.stderr!.on('data', (c: Buffer) => (stderr += c));
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })),
  );
  return { child, done };
}

/** `rows` unique tweets, every third one about an outage. */
function writeInput(name: string, rows: number): string {
  const path = join(dir, name);
  const records = Array.from({ length: rows }, (_, i) => [`id${i}`, i % 3 === 0 ? `panne fibre numéro ${i}` : `question numéro ${i} sur mon forfait`]);
  writeFileSync(path, stringify([['tweet_id', 'text'], ...records]));
  return path;
}

const readRows = (path: string) => parse(readFileSync(path), { columns: true }) as Record<string, string>[];
const requestedTexts = (calls: FakeGemini['calls']) => calls.flatMap((c) => c.items.map((i) => i.text));

test('fmc classify --provider gemini: every row labeled by the fake API, usage in the summary; a rerun makes zero requests', async () => {
  fake.calls.length = 0;
  fake.script = () => undefined;
  const input = writeInput('fifty.csv', 50);
  const out = join(dir, 'fifty-out.csv');
  const summaryPath = join(dir, 'fifty.json');
  const args = ['classify', input, '-o', out, '--provider', 'gemini', '--batch-size', '20', '--summary-json', summaryPath];
  const first = await fmc(args, {}, 'e2e.sqlite').done;
  assert.equal(first.status, 0, first.stderr);
  const rows = readRows(out);
  assert.equal(rows.length, 50);
  assert.ok(rows.every((r) => r.provider === 'gemini'));
  assert.equal(rows[0]!.incident, 'outage');
  assert.equal(rows[1]!.incident, 'none');
  assert.equal(fake.calls.length, 3);
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
  assert.equal(summary.tiers.gemini.requests, 3);
  assert.equal(summary.tiers.gemini.inputTokens, 3 * 100 + 10 * 50);
  assert.match(first.stderr, /gemini +3 requests \(3 batches\), 800 input \+ 1,500 output tokens/);

  const second = await fmc(args, {}, 'e2e.sqlite').done;
  assert.equal(second.status, 0, second.stderr);
  assert.equal(fake.calls.length, 3, 'no request on the rerun');
  const again = JSON.parse(readFileSync(summaryPath, 'utf8'));
  assert.equal(again.cache.hits, 50);
  assert.equal(again.tiers.gemini.requests, 0);
  assert.deepEqual(readRows(out), rows);
});

test('every request but the last is a full batch, the smaller first chunks included', async () => {
  fake.calls.length = 0;
  fake.script = () => undefined;
  const input = writeInput('four-hundred.csv', 430);
  const r = await fmc(['classify', input, '-o', join(dir, 'four-hundred-out.csv'), '--provider', 'gemini', '--batch-size', '20', '--no-cache', '--quiet'], {}).done;
  assert.equal(r.status, 0, r.stderr);
  const sizes = fake.calls.map((c) => c.items.length);
  assert.equal(sizes.reduce((a, b) => a + b, 0), 430);
  assert.equal(fake.calls.length, 22, `batch sizes: ${sizes.join(' ')}`);
  assert.equal(sizes.filter((n) => n !== 20).length, 1, `batch sizes: ${sizes.join(' ')}`);
});

test('an explicitly chosen tier that is unavailable exits 2 with one line saying how to fix it', async () => {
  const input = writeInput('small.csv', 3);
  const noKey = await fmc(['classify', input, '-o', join(dir, 'x.csv'), '--provider', 'gemini'], { GEMINI_API_KEY: '' }).done;
  assert.equal(noKey.status, 2);
  assert.match(noKey.stderr.trim(), /^fmc: provider gemini is not available: gemini: GEMINI_API_KEY is unset.*export GEMINI_API_KEY=<key> \[FMC_ERR_TIER_UNAVAILABLE\]$/);
  const down = await fmc(['classify', input, '-o', join(dir, 'x.csv'), '--provider', 'ollama']).done;
  assert.equal(down.status, 2);
  assert.match(down.stderr.trim(), /^fmc: provider ollama is not available: ollama: server down at .*start it: ollama serve.*\[FMC_ERR_TIER_UNAVAILABLE\]$/);
});

test('auto: a daily quota mid-run sends the rows to the offline tiers and the summary says why', async () => {
  fake.calls.length = 0;
  fake.script = () => googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', [quotaFailure('GenerateRequestsPerDayPerProjectPerModel-FreeTier')]);
  const input = writeInput('quota.csv', 30);
  const out = join(dir, 'quota-out.csv');
  const r = await fmc(['classify', input, '-o', out, '--batch-size', '10', '--concurrency', '1'], {}, 'quota.sqlite').done;
  assert.equal(r.status, 0, r.stderr);
  // The offline hybrid (model + rules) takes over; its rows say so.
  const rows = readRows(out);
  assert.equal(rows.length, 30);
  assert.ok(rows.every((row) => row.provider === 'hybrid' || row.provider === 'rules'));
  assert.equal(fake.calls.length, 1);
  assert.match(r.stderr, /gemini +unavailable: gemini: daily quota exhausted/);
});

test('--max-wait and --rpm reach the tier: a long retryDelay opens the circuit, requests are spaced', async () => {
  fake.calls.length = 0;
  fake.script = () => googleError(429, 'RESOURCE_EXHAUSTED', 'later', [retryInfo('30s')]);
  const input = writeInput('wait.csv', 5);
  const waited = await fmc(['classify', input, '-o', join(dir, 'wait-out.csv'), '--provider', 'gemini', '--max-wait', '1'], {}, 'wait.sqlite').done;
  assert.equal(waited.status, 0, waited.stderr);
  assert.match(waited.stderr, /gemini +unavailable: gemini: server asks to wait 30s, more than --max-wait 1.0s/);
  assert.equal(fake.calls.length, 1);

  fake.calls.length = 0;
  const arrivals: number[] = [];
  fake.script = () => void arrivals.push(performance.now());
  const spaced = await fmc(['classify', writeInput('rpm.csv', 30), '-o', join(dir, 'rpm-out.csv'), '--provider', 'gemini', '--batch-size', '10', '--concurrency', '3', '--rpm', '150'], {}, 'rpm.sqlite').done;
  assert.equal(spaced.status, 0, spaced.stderr);
  assert.equal(arrivals.length, 3);
  // The limiter spaces departures 400 ms apart (800 ms for three); arrivals jitter with load
  // and the first one also pays for the connection, so the span is checked with room for
  // that. Without the limiter, concurrency 3 sends all three at once (a span near 0).
  const span = arrivals[2]! - arrivals[0]!;
  assert.ok(span >= 600, `three requests within ${span} ms (rpm 150 = 400 ms apart)`);
});

test('--dry-run counts the requests after the cache and makes none', async () => {
  fake.calls.length = 0;
  fake.script = () => undefined;
  const input = writeInput('dry.csv', 45);
  const r = await fmc(['classify', input, '--provider', 'gemini', '--batch-size', '20', '--dry-run'], {}, 'dry.sqlite').done;
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /dry run: 45 rows, 0 cached, 45 to classify/);
  assert.match(r.stderr, /gemini: 3 requests/);
  assert.equal(fake.calls.length, 0);
});

test('--dry-run reads the author column as the run does: after a run, every row is cached', async () => {
  fake.calls.length = 0;
  fake.script = (call) => answerReply(call.items);
  // Texts from the operator's account are cached apart from the same words by a customer.
  const input = join(dir, 'dry-author.csv');
  writeFileSync(input, 'author,text\nFreebox,la box ne synchronise plus\nFreebox,panne en cours sur la fibre\n');
  const run = await fmc(['classify', input, '-o', join(dir, 'dry-author.out.csv'), '--provider', 'gemini'], {}, 'dry-author.sqlite').done;
  assert.equal(run.status, 0, run.stderr);
  fake.calls.length = 0;
  const r = await fmc(['classify', input, '--provider', 'gemini', '--dry-run'], {}, 'dry-author.sqlite').done;
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /dry run: 2 rows, 2 cached, 0 to classify/);
  assert.equal(fake.calls.length, 0);
});

test('resume after kill -9: the rerun outputs every row once and never re-asks what was answered', async () => {
  const rows = 200;
  const input = writeInput('crash.csv', rows);
  const out = join(dir, 'crash-out.csv');
  const args = ['classify', input, '-o', out, '--provider', 'gemini', '--batch-size', '10', '--concurrency', '2'];
  fake.calls.length = 0;
  // Three batches are answered; after that the server stalls, as a slow API would.
  fake.script = (call) => (call.n <= 3 ? answerReply(call.items) : 'hang');
  const run = fmc(args, {}, 'crash.sqlite');
  for (let waited = 0; fake.calls.length < 5; waited += 20) {
    if (waited > 15_000) throw new Error(`only ${fake.calls.length} requests reached the fake`);
    await sleep(20);
  }
  await sleep(300);
  run.child.kill('SIGKILL');
  const crashed = await run.done;
  assert.equal(crashed.signal, 'SIGKILL');
  const answered = new Set(requestedTexts(fake.calls.slice(0, 3)));
  assert.equal(answered.size, 30);

  fake.calls.length = 0;
  fake.script = () => undefined;
  const rerun = await fmc(args, {}, 'crash.sqlite').done;
  assert.equal(rerun.status, 0, rerun.stderr);
  const labeled = readRows(out);
  assert.deepEqual(labeled.map((r) => r.tweet_id), Array.from({ length: rows }, (_, i) => `id${i}`), 'every row once, in order');
  assert.ok(labeled.every((r) => r.provider === 'gemini'));
  const asked = requestedTexts(fake.calls);
  assert.equal(asked.length, rows - 30);
  assert.deepEqual(asked.filter((t) => answered.has(t)), [], 'answered rows are not requested again');
});
