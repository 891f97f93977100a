import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FmcError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { ANSWER_JSON_SCHEMA } from '../../src/tiers/llm-answers.js';
import { createOllamaTier, hasModel } from '../../src/tiers/ollama.js';
import { buildChain } from '../../src/tiers/registry.js';
import { loadConfig } from '../../src/config.js';
import { closedPort, listen, send } from '../fakes/http.js';
import { chatReply, startFakeOllama, type FakeOllama } from '../fakes/ollama.js';
import { chain, items } from './llm-helpers.js';

// The real `ollama` client against a fake Ollama server on loopback.

let fake: FakeOllama;
before(async () => (fake = await startFakeOllama()));
after(() => fake.close());

function ollama(script: FakeOllama['script'] = () => undefined, model = 'mistral') {
  fake.calls.length = 0;
  fake.script = script;
  return createOllamaTier({ host: fake.url, model });
}

test('success: /api/chat with the answer schema as format, temperature 0, tokens counted', async () => {
  const tier = ollama();
  const out = await chain(tier).classify(items());
  assert.deepEqual(out.map((r) => r.provider), ['ollama', 'ollama', 'ollama', 'ollama']);
  assert.deepEqual(out.map((r) => r.incident), ['outage', 'none', 'outage', 'none']);
  const call = fake.calls[0]!;
  assert.deepEqual(call.body.format, ANSWER_JSON_SCHEMA);
  assert.equal(call.body.options?.temperature, 0);
  assert.equal(call.body.stream, false);
  assert.deepEqual(call.body.messages.map((m) => m.role), ['system', 'user']);
  assert.deepEqual(tier.usage!(), { requests: 1, inputTokens: 120, outputTokens: 50 });
});

test('answers out of order, missing and invalid: matched by id, re-asked once, the rest to the rules', async () => {
  const tier = ollama((call) => {
    const answers = call.items.map((it, i) => ({ id: it.id, is_claim: true, sentiment: 'negative', topic: i === 2 ? 'meteo' : 'fibre', incident: 'outage', urgency: 'high', confidence: 0.8 }));
    const kept = call.n === 1 ? answers.filter((a) => a.id !== 't1').reverse() : answers.filter((a) => a.id === 't1');
    return chatReply(call.body.model, JSON.stringify({ answers: kept }));
  });
  const out = await chain(tier).classify(items());
  assert.deepEqual(out.map((r) => r.provider), ['ollama', 'ollama', 'rules', 'ollama']);
  assert.deepEqual(fake.calls.map((c) => c.items.map((i) => i.id)), [['t0', 't1', 't2', 't3'], ['t1', 't2']]);
});

test('malformed JSON content is re-asked in halves', async () => {
  const tier = ollama((call) => (call.n === 1 ? chatReply(call.body.model, 'Voici les réponses : {"answers": [') : undefined));
  const out = await chain(tier).classify(items());
  assert.deepEqual(out.map((r) => r.provider), ['ollama', 'ollama', 'ollama', 'ollama']);
  assert.deepEqual(fake.calls.map((c) => c.items.length), [4, 2, 2]);
});

test('500 then success, and a proxy error page (text/html 502) is retried too', async () => {
  const tier = ollama((call) =>
    call.n === 1 ? { status: 500, json: { error: 'llama runner process has terminated' } } : call.n === 2 ? { status: 502, raw: '<html>Bad Gateway</html>', contentType: 'text/html' } : undefined,
  );
  const classifier = chain(tier);
  const out = await classifier.classify(items());
  assert.equal(out[0]!.provider, 'ollama');
  assert.equal(fake.calls.length, 3);
  assert.equal(tier.usage!().requests, 3);
});

test('timeout: the custom fetch aborts the request, which is retried', async () => {
  const tier = ollama((call) => (call.n === 1 ? 'hang' : undefined));
  const started = performance.now();
  const out = await chain(tier, { timeoutMs: 250 }).classify(items());
  assert.equal(out[0]!.provider, 'ollama');
  assert.equal(fake.calls.length, 2);
  assert.ok(performance.now() - started >= 240);
});

test('check(): "server down", "not an Ollama server" and "model not pulled" are told apart, each with its fix', async () => {
  const down = await createOllamaTier({ host: `http://127.0.0.1:${await closedPort()}`, model: 'mistral' }).check();
  assert.equal(down.ok, false);
  assert.match(down.detail, /server down at .*ECONNREFUSED.*start it: ollama serve/);
  const other = await listen(async (_req, res) => send(res, { status: 404, raw: 'not found', contentType: 'text/plain' }));
  try {
    assert.match((await createOllamaTier({ host: other.url, model: 'mistral' }).check()).detail, /answered HTTP 404 to \/api\/version, so it is not an Ollama server; set OLLAMA_HOST/);
  } finally {
    await other.close();
  }
  const missing = await ollama(undefined, 'llama3.2').check();
  assert.equal(missing.ok, false);
  assert.match(missing.detail, /model llama3.2 not pulled.*run: ollama pull llama3.2/);
  const ok = await ollama().check();
  assert.equal(ok.ok, true, ok.detail);
  assert.match(ok.detail, /mistral on .* \(server 0.12.6\)/);
  assert.equal(fake.calls.length, 0, 'checks never chat');
});

test('model names: "mistral" is "mistral:latest"; an explicit tag must match', () => {
  assert.ok(hasModel(['mistral:latest'], 'mistral'));
  assert.ok(hasModel(['mistral:7b'], 'mistral:7b'));
  assert.ok(!hasModel(['mistral:7b'], 'mistral'));
  assert.ok(!hasModel(['mistral-nemo:latest'], 'mistral'));
});

test('a model removed mid-run (404 from /api/chat) opens the circuit; the rules answer', async () => {
  const tier = ollama(undefined, 'mistral');
  fake.script = () => ({ status: 404, json: { error: 'model "mistral" not found, try pulling it first' } });
  const classifier = chain(tier, { batchSize: 1 });
  const out = await classifier.classify(items());
  assert.deepEqual(out.map((r) => r.provider), ['rules', 'rules', 'rules', 'rules']);
  assert.equal(fake.calls.length, 1);
  assert.match(classifier.stats().unavailable.ollama ?? '', /run: ollama pull mistral/);
});

test('an explicitly chosen unavailable tier is FMC_ERR_TIER_UNAVAILABLE; auto falls through', async () => {
  const env = { OLLAMA_HOST: fake.url, OLLAMA_MODEL: 'llama3.2', FMC_CACHE: ':memory:' };
  const config = loadConfig(env).tiers;
  await assert.rejects(buildChain('ollama', config, silentLogger), (err: unknown) => {
    assert.ok(err instanceof FmcError);
    assert.equal(err.code, 'FMC_ERR_TIER_UNAVAILABLE');
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /provider ollama is not available: .*run: ollama pull llama3.2/);
    return true;
  });
  const { tiers, probes } = await buildChain('auto', config, silentLogger);
  assert.deepEqual(tiers.map((t) => t.name), ['hybrid', 'rules'], 'no key, no model pulled: the offline tiers');
  // Gemini and the OpenAI-compatible tier are not configured (no key, no address): not down, just off.
  assert.deepEqual(probes.map((p) => [p.name, p.check.ok, p.configured]), [['gemini', true, false], ['openai', true, false], ['ollama', false, undefined], ['hybrid', true, undefined], ['rules', true, undefined]]);
  await Promise.all(tiers.map((t) => t.close?.()));

  const live = await buildChain('auto', loadConfig({ OLLAMA_HOST: fake.url }).tiers, silentLogger);
  assert.deepEqual(live.tiers.map((t) => t.name), ['ollama', 'hybrid', 'rules']);
  await Promise.all(live.tiers.map((t) => t.close?.()));
});
