import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openSqliteCorrections } from '../../src/store/sqlite/corrections.js';
import { openDataDb } from '../../src/store/sqlite/data-db.js';
import { cleanTweet } from '../../src/clean/clean-tweet.js';
import { pickLabels } from '../../src/labels.js';
import { FAKE_KEY, startFakeGemini, type FakeGemini } from '../fakes/gemini.js';
import { sharedExamplePool } from '../../src/tiers/few-shot.js';
import { fmcBin, tempDir } from '../helpers.js';

// Issue #14: `fmc serve` adds the agents' stored corrections to the LLM tiers' example pool.
// A corrected text classified again through the server's Gemini tier finds its corrected
// labels as the prompt's nearest example, and the pool's digest (in the prompt hash, hence
// the cache key) moves with the corrections.

const TEXT = 'la chaîne tf1 est figée sur le player pop depuis la mise à jour, rien à faire';
const CORRECTED = { is_claim: true, sentiment: 'negative', topic: 'tv', incident: 'equipment', urgency: 'medium' } as const;

let gemini: FakeGemini;
let dir: string;
let cleanup: () => void;
before(async () => {
  gemini = await startFakeGemini();
  ({ dir, cleanup } = tempDir('fmc-serve-examples-'));
});
after(async () => {
  await gemini.close();
  cleanup();
});

/** Starts `fmc serve` on a free port over `dataDir`; resolves with its URL once it listens. */
// --model-dir names no model: the chain below Gemini is then the rules alone, and no built-in
// model is trained for this test.
async function startServe(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [fmcBin, 'serve', '--port', '0', '--provider', 'gemini', '--no-cache', '--model-dir', join(dir, 'no-model')], {
    env: { ...process.env, NO_COLOR: '1', FMC_DATA_DIR: dataDir, GEMINI_API_KEY: FAKE_KEY, GEMINI_BASE_URL: gemini.url, FMC_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /listening on (http:\/\/\S+?:\d+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`fmc serve exited ${code}: ${stderr}`)));
  });
  return { url, child };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The example lines of the last Gemini system prompt: [text, labels]. */
function lastExamples(): { text: string; labels: Record<string, unknown> }[] {
  const s = gemini.calls[gemini.calls.length - 1]!.body.systemInstruction as { parts?: { text?: string }[] } | string;
  const system = typeof s === 'string' ? s : s.parts!.map((p) => p.text).join('');
  const block = system.split('Exemples:\n')[1]!.split('\n\n')[0]!;
  return block.split('\n').map((line) => {
    const [text, labels] = line.split(' -> ') as [string, string];
    return { text: JSON.parse(text) as string, labels: JSON.parse(labels) as Record<string, unknown> };
  });
}

async function classifyThroughServer(dataDir: string): Promise<{ examples: ReturnType<typeof lastExamples> }> {
  const { url, child } = await startServe(dataDir);
  try {
    gemini.calls.length = 0;
    const res = await fetch(`${url}/api/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ texts: [TEXT] }) });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(gemini.calls.length, 1, 'one Gemini request');
    return { examples: lastExamples() };
  } finally {
    await stop(child);
  }
}

test('fmc serve puts stored corrections in the example pool: the corrected text is its own nearest example', async () => {
  const dataDir = join(dir, 'data');
  const before = await classifyThroughServer(dataDir);
  assert.notEqual(before.examples[0]!.text, cleanTweet(TEXT).text, 'not in the bundled pool');

  const data = openDataDb(dataDir);
  try {
    await openSqliteCorrections(data.db, () => {
      throw new Error('a batch correction needs no key');
    }).recordBatch({ user: { id: 1, username: 'agent1' }, original: null, corrected: pickLabels(CORRECTED), version: null, text: TEXT });
  } finally {
    data.close();
  }

  const after = await classifyThroughServer(dataDir);
  assert.deepEqual(after.examples[0], { text: cleanTweet(TEXT).text, labels: { ...CORRECTED } });
});

test("in-memory examples change the pool's digest, which the LLM tiers put in their version (cache key)", () => {
  const plain = sharedExamplePool([]);
  const corrected = sharedExamplePool([], [{ text: TEXT, labels: { ...CORRECTED } }]);
  assert.notEqual(corrected.digest, plain.digest);
  assert.equal(sharedExamplePool([], [{ text: TEXT, labels: { ...CORRECTED } }]), corrected, 'same rows, same shared pool');
  assert.notEqual(sharedExamplePool([], [{ text: TEXT, labels: { ...CORRECTED, incident: 'outage' } }]).digest, corrected.digest, 'another correction, another digest');
});
