import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { closedPort } from '../fakes/http.js';
import { FAKE_OPENAI_KEY, openAiError, startFakeOpenAi, type FakeOpenAi } from '../fakes/openai.js';
import { fmcBin, tempDir } from '../helpers.js';

// `fmc classify --provider openai` as users run it, against a fake OpenAI-compatible server.

let dir: string;
let cleanup: () => void;
let fake: FakeOpenAi;
let noOllama: string;
before(async () => {
  ({ dir, cleanup } = tempDir());
  fake = await startFakeOpenAi();
  noOllama = `http://127.0.0.1:${await closedPort()}`;
});
after(async () => {
  await fake.close();
  cleanup();
});

function fmc(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [fmcBin, ...args], {
    env: { ...process.env, NO_COLOR: '1', FMC_CACHE: join(dir, 'cache.sqlite'), GEMINI_API_KEY: '', OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_MODEL: 'mistral-small-latest', OLLAMA_HOST: noOllama, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

function writeInput(name: string, rows: number): string {
  const path = join(dir, name);
  const records = Array.from({ length: rows }, (_, i) => [`id${i}`, i % 3 === 0 ? `panne fibre numéro ${i}` : `question numéro ${i} sur mon forfait`]);
  writeFileSync(path, stringify([['tweet_id', 'text'], ...records]));
  return path;
}

test('fmc classify --provider openai: every row labeled by the endpoint, usage in the summary; a rerun makes zero requests', async () => {
  fake.calls.length = 0;
  fake.script = () => undefined;
  const input = writeInput('thirty.csv', 30);
  const out = join(dir, 'thirty-out.csv');
  const summaryPath = join(dir, 'thirty.json');
  const args = ['classify', input, '-o', out, '--provider', 'openai', '--batch-size', '10', '--summary-json', summaryPath];
  const first = await fmc(args);
  assert.equal(first.status, 0, first.stderr);
  const rows = parse(readFileSync(out), { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, 30);
  assert.ok(rows.every((r) => r.provider === 'openai'));
  assert.equal(rows[0]!.incident, 'outage');
  assert.equal(fake.calls.length, 3);
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
  assert.equal(summary.tiers.openai.requests, 3);
  assert.match(first.stderr, /openai +3 requests \(3 batches\), 600 input \+ 900 output tokens/);

  const again = await fmc(args);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(fake.calls.length, 3, 'the rerun is answered from the cache');
});

test('--provider openai with the quota spent: the rows go to the tiers below, the summary says why; unconfigured, it is a usage error naming the variables', async () => {
  fake.calls.length = 0;
  fake.script = () => openAiError(429, 'You exceeded your current quota', 'insufficient_quota', 'insufficient_quota');
  const input = writeInput('quota.csv', 5);
  const out = join(dir, 'quota-out.csv');
  const r = await fmc(['classify', input, '-o', out, '--provider', 'openai', '--no-cache']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fake.calls.length, 1);
  assert.ok((parse(readFileSync(out), { columns: true }) as Record<string, string>[]).every((row) => row.provider !== 'openai'));
  assert.match(r.stderr, /openai +unavailable: openai: quota spent/);

  const unset = await fmc(['classify', input, '-o', join(dir, 'unset.csv'), '--provider', 'openai'], { OPENAI_BASE_URL: '', OPENAI_API_KEY: '' });
  assert.equal(unset.status, 2);
  assert.match(unset.stderr, /provider openai is not available: .*OPENAI_BASE_URL/);
});
