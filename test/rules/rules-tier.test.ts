import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanTweet } from '../../src/clean/clean-tweet.js';
import { isFieldValue, LABEL_FIELDS, labelStrings } from '../../src/labels.js';
import { createRulesTier } from '../../src/tiers/rules.js';

describe('createRulesTier', () => {
  it('describes itself as an offline, uncached tier versioned by its lexicon', async () => {
    const tier = createRulesTier();
    assert.equal(tier.name, 'rules');
    assert.match(tier.version, /^rules-[0-9a-f]{12}$/);
    assert.equal(tier.cacheable, false);
    assert.equal(tier.remote, false);
    assert.ok(tier.maxBatch >= 10_000);
    assert.equal((await tier.check()).ok, true);
  });

  it('answers every item of a batch, keyed by id, with valid labels', async () => {
    const tier = createRulesTier();
    const texts = ["plus d'internet depuis hier", '', 'merci free !', '🙂🙂', 'rt : nouvelle chaîne sur le canal 82'];
    const batch = texts.map((text, i) => ({ id: `row-${i}`, tweet: cleanTweet(text) }));
    const answers = await tier.classify(batch, new AbortController().signal);
    assert.deepEqual([...answers.keys()].sort(), batch.map((item) => item.id).sort());
    for (const answer of answers.values()) {
      const strings = labelStrings(answer);
      for (const field of LABEL_FIELDS) assert.ok(isFieldValue(field, strings[field]), `${field}=${strings[field]}`);
      assert.ok(answer.confidence > 0 && answer.confidence <= 1);
    }
  });
});
