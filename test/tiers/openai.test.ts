import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openResultCache } from '../../src/store/sqlite/result-cache.js';
import { loadConfig } from '../../src/config.js';
import { FIELD_VALUES, LABEL_FIELDS } from '../../src/labels.js';
import { silentLogger } from '../../src/log.js';
import { createOpenAiTier } from '../../src/tiers/openai.js';
import { openAiModule } from '../../src/tiers/modules/openai.js';
import { settingsOf } from '../../src/tiers/tier-module.js';
import { closedPort } from '../fakes/http.js';
import { completionReply, FAKE_OPENAI_KEY, openAiAnswer, openAiError, startFakeOpenAi, type FakeOpenAi } from '../fakes/openai.js';
import { tempDir } from '../helpers.js';
import { chain, items, TEXTS } from './llm-helpers.js';

// The real `openai` client against a fake OpenAI-compatible server on loopback: every
// scenario is a reply such a server sends, and each test checks what reached it.

let fake: FakeOpenAi;
before(async () => (fake = await startFakeOpenAi()));
after(() => fake.close());

function openai(script: FakeOpenAi['script'] = () => undefined, model = 'mistral-small-latest') {
  fake.calls.length = 0;
  fake.script = script;
  return createOpenAiTier({ baseUrl: fake.baseUrl, apiKey: FAKE_OPENAI_KEY, model });
}

test('success: one request per batch, a strict JSON-schema answer, usage from the response', async () => {
  const tier = openai();
  const out = await chain(tier).classify(items());
  assert.deepEqual(out.map((r) => r.provider), ['openai', 'openai', 'openai', 'openai']);
  assert.deepEqual(out.map((r) => r.incident), ['outage', 'none', 'outage', 'none']);
  assert.equal(fake.calls.length, 1);
  const { body } = fake.calls[0]!;
  assert.equal(body.model, 'mistral-small-latest');
  assert.equal(body.temperature, 0);
  assert.equal(body.response_format?.type, 'json_schema');
  assert.equal(body.response_format?.json_schema?.strict, true);
  const schema = body.response_format?.json_schema?.schema as { properties: { answers: { items: { required: string[] } } } };
  assert.deepEqual(schema.properties.answers.items.required, ['id', ...LABEL_FIELDS, 'confidence']);
  for (const value of [...FIELD_VALUES.topic, ...FIELD_VALUES.incident]) assert.ok(JSON.stringify(schema).includes(`"${value}"`));
  assert.deepEqual(body.messages?.map((m) => m.role), ['system', 'user']);
  assert.match(body.messages![0]!.content, /is_claim/);
  assert.deepEqual(fake.calls[0]!.items.map((i) => i.id), ['t0', 't1', 't2', 't3']);
  assert.deepEqual(tier.usage!(), { requests: 1, inputTokens: 140, outputTokens: 120 });
});

test('missing and invalid items are asked once more, then handed to the rules; malformed JSON is re-asked in halves', async () => {
  const tier = openai((call) => (call.n === 1 ? openAiAnswer(call.items, (a) => [a[0], { ...a[2], topic: 'weather' }, a[3]]) : openAiAnswer(call.items, (a) => a.filter((x) => x.id === 't1'))));
  assert.deepEqual((await chain(tier).classify(items())).map((r) => r.provider), ['openai', 'openai', 'rules', 'openai']);
  assert.deepEqual(fake.calls[1]!.items.map((i) => i.id), ['t1', 't2']);

  const broken = openai((call) => (call.n === 1 ? completionReply('{"answers": [{"id": "t0", "is_cl') : undefined));
  assert.deepEqual((await chain(broken).classify(items())).map((r) => r.provider), ['openai', 'openai', 'openai', 'openai']);
  assert.deepEqual(fake.calls.map((c) => c.items.length), [4, 2, 2]);
});

test('429 rate limit honours Retry-After, then succeeds', async () => {
  const tier = openai((call) => (call.n === 1 ? openAiError(429, 'Rate limit reached for requests', 'requests', 'rate_limit_exceeded', { 'retry-after': '1' }) : undefined));
  const started = performance.now();
  const out = await chain(tier, { backoffMs: 10 }).classify(items());
  assert.equal(out[0]!.provider, 'openai');
  assert.equal(fake.calls.length, 2);
  assert.ok(performance.now() - started >= 990, 'waited the header, not the 10 ms backoff');
});

test('429 insufficient_quota: the circuit opens for the run and the rows go to the rules', async () => {
  const tier = openai(() => openAiError(429, 'You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota', 'insufficient_quota'));
  const classifier = chain(tier, { batchSize: 1 });
  const out = await classifier.classify(items());
  assert.deepEqual(out.map((r) => r.provider), ['rules', 'rules', 'rules', 'rules']);
  assert.equal(fake.calls.length, 1, 'no request after the quota failure');
  assert.match(classifier.stats().unavailable.openai ?? '', /quota spent .*insufficient_quota/);
});

test('a Retry-After longer than --max-wait opens the circuit instead of waiting', async () => {
  const classifier = chain(openai(() => openAiError(503, 'overloaded', 'server_error', null, { 'retry-after': '120' })), { maxWaitMs: 1000 });
  const out = await classifier.classify(items());
  assert.equal(out[0]!.provider, 'rules');
  assert.match(classifier.stats().unavailable.openai ?? '', /wait 120s, more than --max-wait 1.0s/);
});

test('500 then success: retried; a 400 is not retried and counts as a failed call', async () => {
  const retried = chain(openai((call) => (call.n === 1 ? openAiError(500, 'The server had an error', 'server_error') : undefined)));
  assert.deepEqual((await retried.classify(items())).map((r) => r.provider), ['openai', 'openai', 'openai', 'openai']);
  assert.equal(fake.calls.length, 2);

  const bad = chain(openai(() => openAiError(400, "Invalid schema for response_format 'answers'", 'invalid_request_error')));
  assert.equal((await bad.classify(items()))[0]!.provider, 'rules');
  assert.equal(fake.calls.length, 1);
  assert.equal(bad.stats().tierErrors.openai, 1);
});

test('timeout: a request with no answer is abandoned and retried', async () => {
  const out = await chain(openai((call) => (call.n === 1 ? 'hang' : undefined)), { timeoutMs: 300 }).classify(items());
  assert.equal(out[0]!.provider, 'openai');
  assert.equal(fake.calls.length, 2);
});

test('a refused key or an unknown model opens the circuit with the fix', async () => {
  const refused = chain(createOpenAiTier({ baseUrl: fake.baseUrl, apiKey: 'wrong', model: 'mistral-small-latest' }));
  assert.equal((await refused.classify(items()))[0]!.provider, 'rules');
  assert.match(refused.stats().unavailable.openai ?? '', /refused the key.*OPENAI_API_KEY/);
  const unknown = chain(openai(undefined, 'gpt-9'));
  assert.equal((await unknown.classify(items()))[0]!.provider, 'rules');
  assert.match(unknown.stats().unavailable.openai ?? '', /model gpt-9 not served .*OPENAI_MODEL/);
});

test('check() is free (GET /models) and says how to fix: no model, refused key, unknown model, nothing listening', async () => {
  fake.calls.length = 0;
  assert.match((await createOpenAiTier({ baseUrl: fake.baseUrl, apiKey: FAKE_OPENAI_KEY }).check()).detail, /OPENAI_MODEL is unset/);
  assert.match((await createOpenAiTier({ baseUrl: fake.baseUrl, apiKey: 'wrong', model: 'mistral-small-latest' }).check()).detail, /refused the key/);
  assert.match((await createOpenAiTier({ baseUrl: fake.baseUrl, apiKey: FAKE_OPENAI_KEY, model: 'gpt-9' }).check()).detail, /does not serve model gpt-9.*mistral-small-latest/);
  const ok = await createOpenAiTier({ baseUrl: fake.baseUrl, apiKey: FAKE_OPENAI_KEY, model: 'mistral-small-latest' }).check();
  assert.equal(ok.ok, true, ok.detail);
  assert.equal(fake.calls.length, 0, 'no completion call');
  const down = await createOpenAiTier({ baseUrl: `http://127.0.0.1:${await closedPort()}/v1`, model: 'm' }).check();
  assert.equal(down.ok, false);
  assert.match(down.detail, /cannot connect .*ECONNREFUSED.*OPENAI_BASE_URL/);
});

test('a local server without a key (vLLM, llama.cpp, LM Studio) works with OPENAI_BASE_URL alone', async () => {
  const local = await startFakeOpenAi({ key: undefined, models: ['qwen2.5-7b-instruct'] });
  try {
    const config = loadConfig({ OPENAI_BASE_URL: local.baseUrl, OPENAI_MODEL: 'qwen2.5-7b-instruct', FMC_CACHE: ':memory:' }).tiers;
    const tier = await openAiModule.create(settingsOf(openAiModule, config), config, silentLogger);
    assert.equal((await tier.check()).ok, true);
    const out = await chain(tier).classify(items());
    assert.equal(out[0]!.provider, 'openai');
    assert.equal(local.calls[0]!.headers.authorization, 'Bearer unused');
  } finally {
    await local.close();
  }
});

test('cache: a rerun makes zero requests; rows the rules answered are not cached under openai', async () => {
  const { dir, cleanup } = tempDir();
  const cache = openResultCache(join(dir, 'cache.sqlite'));
  try {
    const drop = (call: Parameters<FakeOpenAi['script']>[0]) => openAiAnswer(call.items, (a) => a.filter((x) => x.id !== 't1'));
    const out = await chain(openai(drop), { cache }).classify(items());
    assert.deepEqual(out.map((r) => r.provider), ['openai', 'rules', 'openai', 'openai']);
    assert.deepEqual((await cache.stats()).byTier, { openai: 3 });
    const again = chain(openai(drop), { cache });
    const rerun = await again.classify(items(TEXTS.filter((_, i) => i !== 1)));
    assert.deepEqual(rerun.map((r) => r.provider), ['openai', 'openai', 'openai']);
    assert.equal(fake.calls.length, 0);
    assert.equal(again.stats().cacheHits, 3);
  } finally {
    cache.close();
    cleanup();
  }
});
