import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cacheKey } from '../../src/store/cache-key.js';
import { openResultCache } from '../../src/store/sqlite/result-cache.js';
import { assemblePipeline, type Pipeline } from '../../src/pipeline/pipeline.js';
import { createServerMetrics } from '../../src/server/metrics.js';
import { createChatClassifier } from '../../src/server/relay/chat-classifier.js';
import { createGeminiTier } from '../../src/tiers/gemini.js';
import { chain } from '../tiers/llm-helpers.js';
import { FAKE_KEY, googleError, quotaFailure, startFakeGemini, type FakeGemini } from '../fakes/gemini.js';
import { tempDir } from '../helpers.js';

// Issue #13: one engine per process. The relay's chat classifier and the API share the
// engine's pacing (--rpm), its circuits and its counters; chat only skips the cache.

let fake: FakeGemini;
let temp: ReturnType<typeof tempDir>;
before(async () => {
  fake = await startFakeGemini();
  temp = tempDir();
});
after(async () => {
  await fake.close();
  temp.cleanup();
});

const RPM = 240; // one request every 250 ms

function engine(name: string): Pipeline {
  fake.calls.length = 0;
  fake.script = () => undefined;
  const gemini = createGeminiTier({ apiKey: FAKE_KEY, model: 'gemini-2.5-flash', baseUrl: fake.url });
  const classifier = chain(gemini, { rpm: RPM, batchSize: 1, concurrency: 4, cache: openResultCache(join(temp.dir, `${name}.sqlite`)) });
  return assemblePipeline({ classifier });
}

async function metric(text: string, name: string): Promise<number | undefined> {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

test('chat and API requests to one tier share --rpm: five requests cannot start within four intervals', async () => {
  const pipeline = engine('rpm');
  const chat = createChatClassifier(pipeline);
  const started = Date.now();
  const arrivals: number[] = [];
  fake.script = () => (arrivals.push(Date.now()), undefined);
  const [api, c1, c2] = await Promise.all([
    pipeline.classifyTexts(['panne fibre à lyon', 'merci pour la box', 'plus de réseau mobile'].map((text, i) => ({ id: String(i), text }))),
    chat.classify('conv', 1, 'toujours pas de connexion'),
    chat.classify('conv', 2, 'bonjour, une question'),
  ]);
  assert.equal(fake.calls.length, 5);
  assert.deepEqual([...api.map((r) => r.provider), c1.provider, c2.provider], ['gemini', 'gemini', 'gemini', 'gemini', 'gemini']);
  // Paced separately, chat's two requests would go at once and the last would start after two intervals.
  const interval = 60_000 / RPM;
  assert.ok(Math.max(...arrivals) - started >= 4 * interval, `the fifth request started ${Math.max(...arrivals) - started} ms in, before four intervals (${4 * interval} ms)`);
  // Chat answers are never cached; the API's are.
  const chatKey = cacheKey('gemini', pipeline.tiers[0]!.version, 'toujours pas de connexion');
  const apiKey = cacheKey('gemini', pipeline.tiers[0]!.version, 'panne fibre à lyon');
  const stored = await pipeline.cache!.getMany([chatKey, apiKey]);
  assert.equal(stored.has(chatKey), false);
  assert.ok(stored.has(apiKey));
  await pipeline.close();
});

test('a circuit the API opened holds for chat, and chat rows count in the metrics', async () => {
  const pipeline = engine('circuit');
  const metrics = createServerMetrics(() => pipeline.counts);
  fake.script = () => googleError(429, 'RESOURCE_EXHAUSTED', 'quota exceeded', [quotaFailure('GenerateRequestsPerDayPerProjectPerModel-FreeTier')]);
  const [api] = await pipeline.classifyTexts([{ id: '0', text: 'panne fibre à lyon' }]);
  assert.equal(api!.provider, 'rules');
  assert.equal(fake.calls.length, 1);
  assert.match(pipeline.counts.unavailable.gemini ?? '', /daily quota/);

  const chat = createChatClassifier(pipeline);
  const labels = await chat.classify('conv', 1, 'toujours pas de connexion');
  assert.equal(labels.provider, 'rules');
  assert.equal(fake.calls.length, 1, 'chat did not call the tier whose circuit the API opened');

  const text = await metrics.registry.metrics();
  assert.equal(await metric(text, 'fmc_classified_rows_total{provider="rules"}'), 2, 'the API row and the chat row');
  assert.equal(await metric(text, 'fmc_classified_labels_total{field="is_claim",value="true"}'), 2);
  await pipeline.close();
});

test('a chat message is not held by a long retry: a server-asked wait beyond a few seconds goes to the next tier at once, and the tier stays open', async () => {
  const pipeline = engine('patience');
  fake.script = () => googleError(503, 'UNAVAILABLE', 'overloaded', [], { 'retry-after': '4' });
  const chat = createChatClassifier(pipeline);
  const labels = await chat.classify('conv', 1, 'toujours pas de connexion');
  assert.equal(labels.provider, 'rules');
  assert.equal(fake.calls.length, 1, 'asked once, not retried');
  assert.equal(pipeline.counts.tierErrors.gemini, 1, 'counted as a failed call');
  assert.equal(pipeline.counts.unavailable.gemini, undefined, 'the circuit stays closed for the API');
  await pipeline.close();
});
