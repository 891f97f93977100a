import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openResultCache } from '../../src/store/sqlite/result-cache.js';
import { FIELD_VALUES } from '../../src/labels.js';
import { createGeminiTier } from '../../src/tiers/gemini.js';
import { answerReply, FAKE_KEY, generateReply, googleError, quotaFailure, retryInfo, startFakeGemini, type FakeGemini } from '../fakes/gemini.js';
import { closedPort } from '../fakes/http.js';
import { createClassifier } from '../../src/pipeline/tier-cascade.js';
import { createRulesTier } from '../../src/tiers/rules.js';
import { tempDir } from '../helpers.js';
import { chain, items, TEXTS } from './llm-helpers.js';

// The real @google/genai client against a fake Gemini API on loopback: every scenario is a
// reply the real API can send, and each test checks what reached the server.

let fake: FakeGemini;
before(async () => (fake = await startFakeGemini()));
after(() => fake.close());

/** A fresh tier and a clean slate on the fake for `script`. */
function gemini(script: FakeGemini['script'] = () => undefined, model = 'gemini-2.5-flash') {
  fake.calls.length = 0;
  fake.script = script;
  return createGeminiTier({ apiKey: FAKE_KEY, model, baseUrl: fake.url });
}

test('success: one request per batch, JSON mode with the label schema, usage from usageMetadata', async () => {
  const tier = gemini();
  const classifier = chain(tier);
  const out = await classifier.classify(items());
  assert.deepEqual(out.map((r) => r.provider), ['gemini', 'gemini', 'gemini', 'gemini']);
  assert.deepEqual(out.map((r) => r.incident), ['outage', 'none', 'outage', 'none']);
  assert.equal(out[0]!.confidence, 0.93);
  assert.equal(fake.calls.length, 1);
  const call = fake.calls[0]!;
  assert.equal(call.model, 'gemini-2.5-flash');
  assert.equal(call.body.generationConfig?.responseMimeType, 'application/json');
  assert.equal(call.body.generationConfig?.temperature, 0);
  const schema = JSON.stringify(call.body.generationConfig?.responseSchema);
  for (const value of [...FIELD_VALUES.topic, ...FIELD_VALUES.incident]) assert.ok(schema.includes(`"${value}"`), `schema lists ${value}`);
  assert.match(JSON.stringify(call.body.systemInstruction), /is_claim/);
  assert.deepEqual(call.items.map((i) => i.id), ['t0', 't1', 't2', 't3']);
  assert.deepEqual(tier.usage!(), { requests: 1, inputTokens: 140, outputTokens: 120 });
});

test('answers in a different order are matched by id', async () => {
  const out = await chain(gemini((call) => answerReply(call.items, (a) => [...a].reverse()))).classify(items());
  assert.deepEqual(out.map((r) => r.incident), ['outage', 'none', 'outage', 'none']);
  assert.deepEqual(out.map((r) => r.provider), ['gemini', 'gemini', 'gemini', 'gemini']);
});

test('missing and invalid items are asked once more in a smaller batch, then handed to the rules', async () => {
  const tier = gemini((call) => {
    if (call.n === 1) {
      // t1 missing, t2 off-taxonomy, plus an id that was never asked.
      return answerReply(call.items, (a) => [a[0], { ...a[2], topic: 'weather' }, a[3], { ...a[0], id: 'zz' }]);
    }
    return answerReply(call.items, (a) => a.filter((x) => x.id === 't1'));
  });
  const out = await chain(tier).classify(items());
  assert.deepEqual(out.map((r) => r.provider), ['gemini', 'gemini', 'rules', 'gemini']);
  assert.equal(fake.calls.length, 2, 'one retry, not more');
  assert.deepEqual(fake.calls[1]!.items.map((i) => i.id), ['t1', 't2']);
});

test('malformed JSON: the whole batch is re-asked in halves', async () => {
  const out = await chain(gemini((call) => (call.n === 1 ? generateReply('{"answers": [{"id": "t0", "is_cl') : undefined))).classify(items());
  assert.deepEqual(out.map((r) => r.provider), ['gemini', 'gemini', 'gemini', 'gemini']);
  assert.deepEqual(fake.calls.map((c) => c.items.length), [4, 2, 2]);
});

test('429 with RetryInfo: waits the retryDelay, then succeeds', async () => {
  const tier = gemini((call) =>
    call.n === 1
      ? googleError(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota', [quotaFailure('GenerateRequestsPerMinutePerProjectPerModel-FreeTier'), retryInfo('0.3s')])
      : undefined,
  );
  const started = performance.now();
  const out = await chain(tier).classify(items());
  const waited = performance.now() - started;
  assert.deepEqual(out.map((r) => r.provider), ['gemini', 'gemini', 'gemini', 'gemini']);
  assert.equal(fake.calls.length, 2);
  assert.ok(waited >= 290, `waited ${waited} ms`);
  assert.equal(tier.usage!().requests, 2);
});

test('429 without RetryInfo honours the Retry-After header', async () => {
  const tier = gemini((call) => (call.n === 1 ? googleError(429, 'RESOURCE_EXHAUSTED', 'slow down', [], { 'retry-after': '1' }) : undefined));
  const started = performance.now();
  const out = await chain(tier, { backoffMs: 10 }).classify(items());
  assert.equal(out[0]!.provider, 'gemini');
  assert.ok(performance.now() - started >= 990, 'waited the header, not the 10 ms backoff');
});

test('daily quota: the circuit opens for the run and the rows go to the rules', async () => {
  const tier = gemini(() => googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', [quotaFailure('GenerateRequestsPerDayPerProjectPerModel-FreeTier'), retryInfo('43s')]));
  const classifier = chain(tier, { batchSize: 1 });
  const out = await classifier.classify(items());
  assert.deepEqual(out.map((r) => r.provider), ['rules', 'rules', 'rules', 'rules']);
  assert.equal(fake.calls.length, 1, 'no request after the quota failure');
  assert.match(classifier.stats().unavailable.gemini ?? '', /daily quota exhausted \(GenerateRequestsPerDayPerProjectPerModel-FreeTier\)/);
  await classifier.classify(items(['encore une panne']));
  assert.equal(fake.calls.length, 1, 'still closed on the next chunk');
});

test('a retry delay longer than --max-wait opens the circuit instead of waiting', async () => {
  const tier = gemini(() => googleError(429, 'RESOURCE_EXHAUSTED', 'later', [retryInfo('120s')]));
  const started = performance.now();
  const classifier = chain(tier, { maxWaitMs: 1000 });
  const out = await classifier.classify(items());
  assert.ok(performance.now() - started < 1000);
  assert.equal(out[0]!.provider, 'rules');
  assert.match(classifier.stats().unavailable.gemini ?? '', /wait 120s, more than --max-wait 1.0s/);
});

test('500 then success: retried with backoff', async () => {
  const tier = gemini((call) => (call.n === 1 ? googleError(500, 'INTERNAL', 'An internal error has occurred.') : undefined));
  const classifier = chain(tier);
  const out = await classifier.classify(items());
  assert.deepEqual(out.map((r) => r.provider), ['gemini', 'gemini', 'gemini', 'gemini']);
  assert.equal(fake.calls.length, 2);
  assert.equal(classifier.stats().tierErrors.gemini, undefined);
});

test('timeout: a request with no answer is abandoned and retried', async () => {
  const tier = gemini((call) => (call.n === 1 ? 'hang' : undefined));
  const out = await chain(tier, { timeoutMs: 300 }).classify(items());
  assert.equal(out[0]!.provider, 'gemini');
  assert.equal(fake.calls.length, 2);
});

test('timeouts every time: gives up after the attempts, counts the error, rules answer', async () => {
  const tier = gemini(() => 'hang');
  const classifier = chain(tier, { timeoutMs: 150, maxAttempts: 2 });
  const out = await classifier.classify(items());
  assert.equal(out[0]!.provider, 'rules');
  assert.equal(fake.calls.length, 2);
  assert.equal(classifier.stats().tierErrors.gemini, 1);
});

test('a bad request (400) is not retried; its rows go on', async () => {
  const tier = gemini(() => googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
  const classifier = chain(tier);
  const out = await classifier.classify(items());
  assert.equal(out[0]!.provider, 'rules');
  assert.equal(fake.calls.length, 1);
  assert.equal(classifier.stats().tierErrors.gemini, 1);
});

test('check() is free and says how to fix: no key, refused key, unknown model, nothing listening', async () => {
  fake.calls.length = 0;
  assert.match((await createGeminiTier({ model: 'gemini-2.5-flash', baseUrl: fake.url }).check()).detail, /GEMINI_API_KEY is unset.*export GEMINI_API_KEY/);
  assert.match((await createGeminiTier({ apiKey: 'wrong', model: 'gemini-2.5-flash', baseUrl: fake.url }).check()).detail, /API key was refused.*set a valid GEMINI_API_KEY/);
  assert.match((await createGeminiTier({ apiKey: FAKE_KEY, model: 'gemini-9', baseUrl: fake.url }).check()).detail, /model gemini-9 not found.*GEMINI_MODEL/);
  const ok = await createGeminiTier({ apiKey: FAKE_KEY, model: 'gemini-2.5-flash', baseUrl: fake.url }).check();
  assert.equal(ok.ok, true, ok.detail);
  assert.equal(fake.calls.length, 0, 'no generateContent call');
  const down = await createGeminiTier({ apiKey: FAKE_KEY, model: 'gemini-2.5-flash', baseUrl: `http://127.0.0.1:${await closedPort()}` }).check();
  assert.equal(down.ok, false);
  assert.match(down.detail, /cannot connect \(ECONNREFUSED\).*GEMINI_BASE_URL/);
});

test('connection refused mid-run: the circuit opens and the rules answer', async () => {
  const tier = createGeminiTier({ apiKey: FAKE_KEY, model: 'gemini-2.5-flash', baseUrl: `http://127.0.0.1:${await closedPort()}` });
  const classifier = chain(tier, { batchSize: 2 });
  const out = await classifier.classify(items());
  assert.deepEqual(out.map((r) => r.provider), ['rules', 'rules', 'rules', 'rules']);
  assert.match(classifier.stats().unavailable.gemini ?? '', /ECONNREFUSED/);
});

test('cache: a rerun makes zero requests; rows the rules answered are not cached under gemini', async () => {
  const { dir, cleanup } = tempDir();
  const cache = openResultCache(join(dir, 'cache.sqlite'));
  try {
    // Gemini never answers the second tweet: it falls to the rules (which are not cached).
    const tier = gemini((call) => answerReply(call.items, (a) => a.filter((x) => x.id !== 't1')));
    const out = await chain(tier, { cache }).classify(items());
    assert.deepEqual(out.map((r) => r.provider), ['gemini', 'rules', 'gemini', 'gemini']);
    assert.deepEqual((await cache.stats()).byTier, { gemini: 3 });
    const requests = fake.calls.length;

    const again = chain(gemini((call) => answerReply(call.items, (a) => a.filter((x) => x.id !== 't1'))), { cache });
    const rerun = await again.classify(items(TEXTS.filter((_, i) => i !== 1)));
    assert.deepEqual(rerun.map((r) => r.provider), ['gemini', 'gemini', 'gemini']);
    assert.equal(fake.calls.length, 0, `no request on the rerun (first run made ${requests})`);
    assert.equal(again.stats().cacheHits, 3);
  } finally {
    cache.close();
    cleanup();
  }
});

test('cascade (--escalate-below): only tweets the rules are unsure of reach Gemini', async () => {
  const texts = [...TEXTS, 'free', "ma box redémarre toute seule depuis que j'ai reçu la facture"];
  const rulesOnly = await createClassifier({ tiers: [createRulesTier()] }).classify(items(texts));
  const threshold = 0.6;
  const unsure = rulesOnly.flatMap((r, i) => (r.confidence < threshold ? [`t${i}`] : []));
  assert.ok(unsure.length > 0 && unsure.length < texts.length, `the sample mixes sure and unsure answers (${unsure.length}/${texts.length})`);
  const classifier = chain(gemini(), { escalateBelow: threshold });
  const out = await classifier.classify(items(texts));
  assert.deepEqual(fake.calls.flatMap((c) => c.items.map((i) => i.id)), unsure);
  assert.deepEqual(out.flatMap((r, i) => (r.provider === 'gemini' ? [`t${i}`] : [])), unsure);
  assert.equal(classifier.stats().escalated, unsure.length);
});
