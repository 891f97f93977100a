import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openResultCache } from '../../src/store/sqlite/result-cache.js';
import { createClassifier } from '../../src/pipeline/tier-cascade.js';
import { assemblePipeline } from '../../src/pipeline/pipeline.js';
import { createRulesTier } from '../../src/tiers/rules.js';
import type { Tier, TierAnswer } from '../../src/tiers/tier.js';
import { tempDir } from '../helpers.js';
import { call, startServer, type TestServer } from './helpers.js';

// A cacheable tier in front of the rules: what an LLM tier looks like to the server.
let calls = 0;
const llm: Tier = {
  name: 'llm',
  version: 'llm-1',
  cacheable: true,
  remote: true,
  maxBatch: 20,
  async classify(batch) {
    calls++;
    if (batch.some((item) => item.tweet.text.includes('boom'))) throw new Error('upstream 500');
    const answer: TierAnswer = { is_claim: true, sentiment: 'negative', topic: 'fibre', incident: 'outage', urgency: 'high', confidence: 0.9 };
    return new Map(batch.map((item) => [item.id, answer]));
  },
  check: async () => ({ ok: true, detail: 'fake' }),
};

let server: TestServer;
let cleanup: () => void;
before(async () => {
  const temp = tempDir();
  cleanup = temp.cleanup;
  const cache = openResultCache(join(temp.dir, 'cache.sqlite'));
  const tiers = [llm, createRulesTier()];
  const pipeline = assemblePipeline({ classifier: createClassifier({ tiers, cache }) });
  server = await startServer({ pipeline });
});
after(async () => {
  await server.close();
  cleanup();
});

async function metric(name: string, labels = ''): Promise<number | undefined> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

test('the server shares the result cache: a repeated text is a counted cache hit, not a tier call', async () => {
  const first = await call(`${server.url}/api/classify`, { method: 'POST', json: { texts: ['plus de fibre depuis lundi'] } });
  assert.equal((first.body as { results: { provider: string }[] }).results[0]!.provider, 'llm');
  const second = await call(`${server.url}/api/classify`, { method: 'POST', json: { texts: ['plus de fibre depuis lundi'] } });
  assert.equal((second.body as { results: { provider: string }[] }).results[0]!.provider, 'llm');
  assert.equal(calls, 1, 'the second answer came from the cache');
  assert.equal(await metric('fmc_cache_hits_total'), 1);
  assert.equal(await metric('fmc_cache_misses_total'), 1);
});

test('a failing tier call is counted and its items fall through to the rules', async () => {
  const r = await call(`${server.url}/api/classify`, { method: 'POST', json: { texts: ['boom, tout est cassé'] } });
  assert.equal(r.status, 200);
  assert.equal((r.body as { results: { provider: string }[] }).results[0]!.provider, 'rules');
  assert.equal(await metric('fmc_tier_errors_total', '{tier="llm"}'), 1);
  assert.equal(await metric('fmc_classified_rows_total', '{provider="llm"}'), 2);
  assert.equal(await metric('fmc_classified_rows_total', '{provider="rules"}'), 1);
  // Counters read at scrape time must not count twice when scraped twice.
  assert.equal(await metric('fmc_cache_hits_total'), 1);
});
