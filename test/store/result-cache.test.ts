import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { cacheKey } from '../../src/store/cache-key.js';
import { openResultCache } from '../../src/store/sqlite/result-cache.js';
import { tempDir } from '../helpers.js';

const labels = { is_claim: false, sentiment: 'neutral', topic: 'tv', incident: 'none', urgency: 'low', confidence: 0.7 } as const;

test('keys depend on tier, version and text, and name their algorithm', () => {
  const k = cacheKey('gemini', 'm1', 'panne');
  assert.match(k, /^sha256:/);
  assert.notEqual(k, cacheKey('ollama', 'm1', 'panne'));
  assert.notEqual(k, cacheKey('gemini', 'm2', 'panne'));
  assert.notEqual(k, cacheKey('gemini', 'm1', 'panne!'));
  assert.equal(k, cacheKey('gemini', 'm1', 'panne'));
});

test('entries persist across opens; stats per tier; clear by tier', () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'nested', 'cache.sqlite');
    const cache = openResultCache(path);
    cache.putMany([
      { key: cacheKey('gemini', 'v', 'a'), tier: 'gemini', version: 'v', labels },
      { key: cacheKey('rules', 'v', 'a'), tier: 'rules', version: 'v', labels },
    ]);
    cache.close();
    const again = openResultCache(path);
    assert.deepEqual(again.get(cacheKey('gemini', 'v', 'a')), labels);
    assert.equal(again.get(cacheKey('gemini', 'v', 'b')), undefined);
    assert.deepEqual(again.stats().byTier, { gemini: 1, rules: 1 });
    assert.equal(again.clear('rules'), 1);
    assert.equal(again.stats().entries, 1);
    again.close();
  } finally {
    cleanup();
  }
});
