// The engine's repeat check across chunks in flight: a text whose chunk is still being
// classified waits for that chunk's answer (classified once), and when that chunk fails the
// waiting chunk fails too, reported through its own promise, never as an unhandled rejection
// (which ends the process with a stack trace).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanTweet } from '../../src/clean/clean-tweet.js';
import type { LabelResult } from '../../src/labels.js';
import { createChunkClassifier } from '../../src/pipeline/chunk.js';
import { emptyCounts } from '../../src/pipeline/counts.js';
import type { Pipeline } from '../../src/pipeline/pipeline.js';
import type { TierItem } from '../../src/tiers/tier.js';

const RESULT: LabelResult = { is_claim: true, sentiment: 'negative', topic: 'fibre', incident: 'outage', urgency: 'high', confidence: 0.9, provider: 'fake' };

/** A pipeline whose classifier calls wait until the test settles them, in call order. */
function heldPipeline() {
  const calls: { texts: string[]; resolve: (r: LabelResult[]) => void; reject: (e: Error) => void }[] = [];
  const pipeline = {
    tiers: [],
    counts: emptyCounts(),
    clean: (text: string) => cleanTweet(text),
    classifier: {
      classify: (items: readonly TierItem[]) =>
        new Promise<LabelResult[]>((resolve, reject) => calls.push({ texts: items.map((i) => i.tweet.text), resolve, reject })),
    },
    close: async () => undefined,
  } as unknown as Pipeline;
  return { pipeline, calls };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('a repeat of a text in flight waits for its chunk: classified once, counted as a duplicate', async () => {
  const { pipeline, calls } = heldPipeline();
  const engine = createChunkClassifier(pipeline);
  const a = engine.labelTexts(['box en panne']);
  const b = engine.labelTexts(['box en panne', 'fibre coupée']);
  await turn();
  assert.deepEqual(calls.map((c) => c.texts), [['box en panne'], ['fibre coupée']], 'the repeat is not asked again');
  calls[1]!.resolve([RESULT]);
  calls[0]!.resolve([{ ...RESULT, topic: 'mobile' }]);
  const [first, second] = await Promise.all([a, b]);
  assert.equal(first.distinct[first.codes[0]!]!.topic, 'mobile');
  assert.equal(second.distinct[second.codes[0]!]!.topic, 'mobile', "the waiting row gets its chunk's answer");
  assert.equal(second.counts.duplicates, 1);
});

test('the chunk a repeat waits for fails, before and after the waiting chunk: each fails on its own promise, nothing unhandled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    for (const order of ['holder first', 'waiter first'] as const) {
      const { pipeline, calls } = heldPipeline();
      const engine = createChunkClassifier(pipeline);
      const a = engine.labelTexts(['box en panne']);
      const b = engine.labelTexts(['box en panne', 'fibre coupée']);
      a.catch(() => undefined);
      b.catch(() => undefined);
      await turn();
      const [holder, waiter] = calls;
      if (order === 'holder first') {
        holder!.reject(new Error('cache down'));
        await turn();
        waiter!.resolve([RESULT]);
      } else {
        waiter!.reject(new Error('tier down'));
        await turn();
        holder!.reject(new Error('cache down'));
      }
      await assert.rejects(a, /cache down/);
      await assert.rejects(b, order === 'holder first' ? /cache down/ : /tier down/);
      await turn();
    }
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
