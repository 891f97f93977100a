import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { cacheKey } from '../../src/store/cache-key.js';
import { openResultCache } from '../../src/store/sqlite/result-cache.js';
import { tempDir } from '../helpers.js';

// SQLite specifics; what both backends must do is in result-cache-contract.test.ts.

const labels = { is_claim: false, sentiment: 'neutral', topic: 'tv', incident: 'none', urgency: 'low', confidence: 0.7 } as const;

test('keys depend on tier, version and text, and name their algorithm', () => {
  const k = cacheKey('gemini', 'm1', 'panne');
  assert.match(k, /^sha256:/);
  assert.notEqual(k, cacheKey('ollama', 'm1', 'panne'));
  assert.notEqual(k, cacheKey('gemini', 'm2', 'panne'));
  assert.notEqual(k, cacheKey('gemini', 'm1', 'panne!'));
  assert.equal(k, cacheKey('gemini', 'm1', 'panne'));
});

test('entries persist across opens of the file (created with its folders)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'nested', 'cache.sqlite');
    const cache = openResultCache(path);
    await cache.putMany([{ key: cacheKey('gemini', 'v', 'a'), tier: 'gemini', version: 'v', labels }]);
    await cache.close();
    const again = openResultCache(path);
    const { storedAt, ...stored } = (await again.getMany([cacheKey('gemini', 'v', 'a')])).get(cacheKey('gemini', 'v', 'a'))!;
    assert.deepEqual(stored, labels);
    assert.ok(storedAt <= Date.now());
    await again.close();
  } finally {
    cleanup();
  }
});
