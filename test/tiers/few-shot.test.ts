import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'csv-stringify/sync';
import { cleanTweet } from '../../src/clean/clean-tweet.js';
import { examplePoolFromFiles, sharedExamplePool, BUNDLED_EXAMPLE_FILES } from '../../src/tiers/few-shot.js';
import { createGeminiTier } from '../../src/tiers/gemini.js';
import { createOllamaTier } from '../../src/tiers/ollama.js';
import { SYSTEM_PROMPT } from '../../src/tiers/llm-prompt.js';
import { FAKE_KEY, startFakeGemini, type FakeGemini } from '../fakes/gemini.js';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.js';
import { fixture, tempDir } from '../helpers.js';
import { chain, items } from './llm-helpers.js';

// The LLM prompt's examples come from the labeled data, nearest to the batch: checked on the
// prompt the fake servers receive, through the real Gemini and Ollama clients.

const TV = [
  'plus aucune chaîne sur le décodeur tv depuis ce matin, écran noir',
  'impossible de regarder canal+ sur freebox tv, la chaîne ne se lance pas',
  "l'appli oqee plante dès que je lance le replay de tf1",
  'mes enregistrements tv ont disparu après la mise à jour du player',
];
const BILLING = [
  "prélevé deux fois ce mois-ci sur ma facture free, je veux un remboursement",
  'pourquoi ma facture a augmenté de 10€ sans prévenir ?',
  'vous me devez 45€ de frais de résiliation indus',
];

let gemini: FakeGemini;
let ollama: FakeOllama;
let dir: string;
let cleanup: () => void;
before(async () => {
  gemini = await startFakeGemini();
  ollama = await startFakeOllama();
  ({ dir, cleanup } = tempDir('fmc-few-shot-'));
});
after(async () => {
  await gemini.close();
  await ollama.close();
  cleanup();
});

/** The example lines of a system prompt, parsed: [text, labels]. */
function examplesIn(system: string): { text: string; topic: string; incident: string }[] {
  const block = system.split('Exemples:\n')[1]!.split('\n\n')[0]!;
  return block.split('\n').map((line) => {
    const [text, labels] = line.split(' -> ') as [string, string];
    return { text: JSON.parse(text) as string, ...(JSON.parse(labels) as { topic: string; incident: string }) };
  });
}

const systemOfGemini = (n: number): string => {
  const s = gemini.calls[n]!.body.systemInstruction as { parts?: { text?: string }[] } | string;
  return typeof s === 'string' ? s : s.parts!.map((p) => p.text).join('');
};

test('Gemini: a batch of TV tweets gets TV examples, a batch about bills gets billing ones', async () => {
  const tier = createGeminiTier({ apiKey: FAKE_KEY, model: 'gemini-2.5-flash', baseUrl: gemini.url, examples: sharedExamplePool([]) });
  gemini.calls.length = 0;
  await chain(tier).classify(items(TV));
  await chain(tier).classify(items(BILLING));
  assert.equal(gemini.calls.length, 2);
  const tv = examplesIn(systemOfGemini(0));
  const billing = examplesIn(systemOfGemini(1));
  assert.equal(tv.length, 12);
  // Most of them on the batch's subject (the fixed nine had no TV example at all).
  assert.ok(tv.filter((e) => e.topic === 'tv').length > 6, `TV examples: ${tv.map((e) => e.topic).join(' ')}`);
  assert.ok(billing.filter((e) => e.topic === 'billing' || e.incident === 'billing').length > 6, `billing examples: ${billing.map((e) => `${e.topic}/${e.incident}`).join(' ')}`);
  assert.notEqual(systemOfGemini(0), SYSTEM_PROMPT, 'not the fixed nine');
  // The taxonomy and the answer format are still all there.
  assert.match(systemOfGemini(0), /is_claim \(true\/false\)/);
  assert.match(systemOfGemini(0), /Réponds uniquement en JSON/);
});

test('Ollama: the same picking, in the system message it receives', async () => {
  const tier = createOllamaTier({ host: ollama.url, model: 'mistral', examples: sharedExamplePool([]) });
  ollama.calls.length = 0;
  await chain(tier).classify(items(TV));
  const system = ollama.calls[0]!.body.messages.find((m) => m.role === 'system')!.content;
  assert.ok(examplesIn(system).filter((e) => e.topic === 'tv').length > 6);
});

test("the pool's digest is in the tier version (cache key); corrections given as examples are picked with their labels", async () => {
  const plain = createGeminiTier({ apiKey: FAKE_KEY, model: 'gemini-2.5-flash', baseUrl: gemini.url, examples: sharedExamplePool([]) });
  const fixed = createGeminiTier({ apiKey: FAKE_KEY, model: 'gemini-2.5-flash', baseUrl: gemini.url });
  const corrections = join(dir, 'corrections.csv');
  const text = 'la chaîne tf1 est figée sur le player pop depuis la mise à jour';
  writeFileSync(corrections, stringify([['text', 'is_claim', 'sentiment', 'topic', 'incident', 'urgency'], [text, 'true', 'negative', 'tv', 'equipment', 'medium']]));
  const withCorrections = createGeminiTier({ apiKey: FAKE_KEY, model: 'gemini-2.5-flash', baseUrl: gemini.url, examples: sharedExamplePool([corrections]) });
  assert.notEqual(plain.version, fixed.version);
  assert.notEqual(withCorrections.version, plain.version);
  assert.equal(createGeminiTier({ apiKey: FAKE_KEY, model: 'gemini-2.5-flash', examples: sharedExamplePool([]) }).version, plain.version, 'same pool, same version');

  gemini.calls.length = 0;
  await chain(withCorrections).classify(items([text]));
  const picked = examplesIn(systemOfGemini(0));
  assert.deepEqual(picked[0], { text: cleanTweet(text).text, is_claim: true, sentiment: 'negative', topic: 'tv', incident: 'equipment', urgency: 'medium' });

  // Changing a file's content changes the digest (a new correction exported under the same name).
  writeFileSync(corrections, stringify([['text', 'is_claim', 'sentiment', 'topic', 'incident', 'urgency'], [text, 'true', 'negative', 'tv', 'outage', 'high']]));
  assert.notEqual(examplePoolFromFiles([...BUNDLED_EXAMPLE_FILES, corrections]).digest, sharedExamplePool([corrections]).digest);
  // dev.csv is never in the bundled pool: it is what fmc eval measures on.
  assert.ok(!BUNDLED_EXAMPLE_FILES.includes(fixture('dev.csv')));
});
