import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'node:test';
import { openResultCache } from '../../src/store/sqlite/result-cache.js';
import { createClassifier } from '../../src/pipeline/tier-cascade.js';
import { TierUnavailableError, type Tier, type TierAnswer, type TierItem } from '../../src/tiers/tier.js';
import { tempDir } from '../helpers.js';

// The chain's own behaviour, with small tiers written for the test: what each answers is
// decided by the test, so fallback, id matching and caching can be checked exactly.

const labels = (overrides: Partial<TierAnswer> = {}): TierAnswer => ({
  is_claim: true,
  sentiment: 'negative',
  topic: 'fibre',
  incident: 'outage',
  urgency: 'high',
  confidence: 0.9,
  ...overrides,
});

function item(id: string, text: string): TierItem {
  return { id, tweet: { text, folded: text, isRetweet: false, isCanned: false } };
}

interface ScriptedTier extends Tier {
  readonly seen: string[][];
}

function scriptedTier(name: string, answer: (batch: readonly TierItem[]) => Map<string, TierAnswer> | Error, extra: Partial<Tier> = {}): ScriptedTier {
  const seen: string[][] = [];
  return {
    name,
    version: `${name}-v1`,
    cacheable: true,
    remote: false,
    maxBatch: 100,
    seen,
    async classify(batch) {
      seen.push(batch.map((b) => b.id));
      const result = answer(batch);
      if (result instanceof Error) throw result;
      return result;
    },
    async check() {
      return { ok: true, detail: 'ok' };
    },
    ...extra,
  };
}

const answerAll = (l: TierAnswer) => (batch: readonly TierItem[]) => new Map(batch.map((b) => [b.id, l] as const));

test('answers are matched by id, not position, and come back in input order', async () => {
  const reversed = scriptedTier('llm', (batch) => new Map([...batch].reverse().map((b) => [b.id, labels({ topic: b.tweet.text === 'tv' ? 'tv' : 'mobile' })] as const)));
  const classifier = createClassifier({ tiers: [reversed], batchSize: 10 });
  const out = await classifier.classify([item('a', 'tv'), item('b', 'sms'), item('c', 'tv')]);
  assert.deepEqual(out.map((r) => r.topic), ['tv', 'mobile', 'tv']);
  assert.deepEqual(out.map((r) => r.provider), ['llm', 'llm', 'llm']);
});

test('missing, unknown-id and invalid answers fall through to the next tier', async () => {
  const partial = scriptedTier('llm', (batch) => {
    const m = new Map<string, TierAnswer>();
    m.set(batch[0]!.id, labels());
    m.set(batch[1]!.id, { ...labels(), topic: 'weather' } as unknown as TierAnswer);
    m.set('not-in-batch', labels());
    return m;
  });
  const rules = scriptedTier('rules', answerAll(labels({ topic: 'other', confidence: 0.4 })));
  const classifier = createClassifier({ tiers: [partial, rules] });
  const out = await classifier.classify([item('1', 'x'), item('2', 'y'), item('3', 'z')]);
  assert.deepEqual(out.map((r) => r.provider), ['llm', 'rules', 'rules']);
  assert.deepEqual(rules.seen, [['2', '3']]);
});

test('an unavailable tier opens its circuit: later batches skip it', async () => {
  const down = scriptedTier('llm', () => new TierUnavailableError('llm', 'daily quota exhausted'));
  const rules = scriptedTier('rules', answerAll(labels()));
  const classifier = createClassifier({ tiers: [down, rules], batchSize: 1, concurrency: 1 });
  await classifier.classify([item('1', 'a'), item('2', 'b'), item('3', 'c')]);
  assert.equal(down.seen.length, 1, 'one call, then the circuit is open');
  assert.equal(classifier.stats().unavailable.llm, 'daily quota exhausted');
  await classifier.classify([item('4', 'd')]);
  assert.equal(down.seen.length, 1);
});

test('a failing call sends its items on and is counted', async () => {
  const flaky = scriptedTier('llm', () => new Error('socket hang up'));
  const rules = scriptedTier('rules', answerAll(labels()));
  const classifier = createClassifier({ tiers: [flaky, rules] });
  const out = await classifier.classify([item('1', 'a')]);
  assert.equal(out[0]!.provider, 'rules');
  assert.equal(classifier.stats().tierErrors.llm, 1);
});

test('results are cached under the tier that produced them, and a rerun makes no call', async () => {
  const { dir, cleanup } = tempDir();
  const cache = openResultCache(join(dir, 'cache.sqlite'));
  try {
    const llm = scriptedTier('llm', (batch) => new Map(batch.filter((b) => b.tweet.text !== 'hard').map((b) => [b.id, labels()] as const)));
    const rules = scriptedTier('rules', answerAll(labels({ confidence: 0.3 })));
    const first = createClassifier({ tiers: [llm, rules], cache });
    await first.classify([item('1', 'easy'), item('2', 'hard')]);
    assert.deepEqual((await cache.stats()).byTier, { llm: 1, rules: 1 }, 'fallback answer stored under rules, not llm');
    const callsBefore = llm.seen.length;

    const second = createClassifier({ tiers: [llm, rules], cache });
    const out = await second.classify([item('1', 'easy'), item('2', 'hard')]);
    assert.deepEqual(out.map((r) => r.provider), ['llm', 'rules']);
    assert.equal(llm.seen.length, callsBefore, 'no new call on the rerun');
    assert.equal(second.stats().cacheHits, 2);
  } finally {
    cache.close();
    cleanup();
  }
});

test('the cache is read once per chunk and written once per tier call, never a query per row per tier', async () => {
  const { dir, cleanup } = tempDir();
  const cache = openResultCache(join(dir, 'cache.sqlite'));
  const reads: number[] = [];
  const writes: number[] = [];
  const counted = {
    ...cache,
    getMany: (keys: readonly string[]) => (reads.push(keys.length), cache.getMany(keys)),
    putMany: (entries: Parameters<typeof cache.putMany>[0]) => (writes.push(entries.length), cache.putMany(entries)),
  };
  try {
    // A remote tier that answers 4 rows in 5 (10 a call) and a local one under it.
    const llm = scriptedTier('llm', (batch) => new Map(batch.filter((b) => Number(b.id) % 5 !== 0).map((b) => [b.id, labels()] as const)), { remote: true, maxBatch: 10 });
    const rules = scriptedTier('rules', answerAll(labels({ confidence: 0.3 })));
    const items = Array.from({ length: 250 }, (_, i) => item(String(i), `texte ${i}`));
    const classifier = createClassifier({ tiers: [llm, rules], cache: counted, batchSize: 10 });
    await classifier.classify(items);
    // One read for the chunk, with every eligible tier's key of every row (here the llm's: rules
    // answers are not looked up while the llm is live).
    assert.deepEqual(reads, [250]);
    const calls = llm.seen.length + rules.seen.length;
    assert.ok(writes.length <= calls, `${writes.length} writes for ${calls} tier calls`);
    assert.equal(writes.reduce((a, b) => a + b, 0), 250, 'every answer stored once');
    assert.ok(Math.min(...writes) > 1, `no write of a single row: ${writes.join(',')}`);

    // The rerun: one read; the llm's 200 answers come from it, and only the 50 rows the rules
    // answered are asked of the llm again (a local answer never keeps a live remote tier out).
    reads.length = 0;
    writes.length = 0;
    const llmBefore = llm.seen.length;
    await createClassifier({ tiers: [llm, rules], cache: counted, batchSize: 10 }).classify(items);
    assert.equal(reads.length, 1);
    const askedAgain = new Set(llm.seen.slice(llmBefore).flat());
    assert.deepEqual([...askedAgain].sort(), items.map((i) => i.id).filter((id) => Number(id) % 5 === 0).sort());
    assert.equal(writes.reduce((a, b) => a + b, 0), 50);
    assert.ok(Math.min(...writes) > 1, `no write of a single row: ${writes.join(',')}`);
  } finally {
    cache.close();
    cleanup();
  }
});

test('a cached local answer does not keep a live remote tier from being asked', async () => {
  const { dir, cleanup } = tempDir();
  const cache = openResultCache(join(dir, 'cache.sqlite'));
  try {
    // An offline run first: only the local tier, its answers cached.
    const local = scriptedTier('local', answerAll(labels({ confidence: 0.8 })));
    await createClassifier({ tiers: [local], cache }).classify([item('1', 'a'), item('2', 'b'), item('4', 'd')]);
    assert.deepEqual((await cache.stats()).byTier, { local: 3 });

    // Then with a live remote tier above it: the remote answers, the local cache is not used.
    let remoteUp = true;
    const remote = scriptedTier('llm', (batch) => (remoteUp ? answerAll(labels({ confidence: 0.95 }))(batch) : new TierUnavailableError('llm', 'daily quota')), { remote: true });
    const online = await createClassifier({ tiers: [remote, local], cache }).classify([item('1', 'a'), item('2', 'b')]);
    assert.deepEqual(online.map((r) => r.provider), ['llm', 'llm']);
    assert.deepEqual(remote.seen, [['1', '2']]);

    // Once the remote tier's circuit opens, the local tier's cached answers serve again.
    remoteUp = false;
    const later = createClassifier({ tiers: [remote, local], cache });
    await later.classify([item('3', 'c')]);
    assert.ok('llm' in later.stats().unavailable);
    const localCalls = local.seen.length;
    const [d] = await later.classify([item('4', 'd')]);
    assert.equal(d!.provider, 'local');
    assert.equal(local.seen.length, localCalls, 'answered from the cache, no local call');
  } finally {
    cache.close();
    cleanup();
  }
});

test('a cache that refuses writes costs the rerun, not the run', async () => {
  const { dir, cleanup } = tempDir();
  const cache = openResultCache(join(dir, 'cache.sqlite'));
  try {
    const broken = { ...cache, putMany: () => { throw new Error('SQLITE_BUSY: database is locked'); } };
    const classifier = createClassifier({ tiers: [scriptedTier('llm', answerAll(labels()))], cache: broken });
    const out = await classifier.classify([item('1', 'a'), item('2', 'b')]);
    assert.deepEqual(out.map((r) => r.provider), ['llm', 'llm']);
    assert.equal(classifier.stats().tierErrors.cache, 1);
  } finally {
    cache.close();
    cleanup();
  }
});

test('a damaged cache row is a miss, not a crash', async () => {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'cache.sqlite');
  const cache = openResultCache(path);
  try {
    const tier = scriptedTier('llm', answerAll(labels()));
    await createClassifier({ tiers: [tier], cache }).classify([item('1', 'a')]);
    const db = new Database(path);
    db.prepare('UPDATE results SET labels = ?').run('{not json');
    db.close();
    const out = await createClassifier({ tiers: [tier], cache }).classify([item('1', 'a')]);
    assert.equal(out[0]!.provider, 'llm');
    assert.equal(tier.seen.length, 2, 'asked again');
  } finally {
    cache.close();
    cleanup();
  }
});

test('cascade: only local answers below the threshold reach remote tiers', async () => {
  const remote = scriptedTier('llm', answerAll(labels({ confidence: 0.95 })), { remote: true });
  const local = scriptedTier('local', (batch) => new Map(batch.map((b) => [b.id, labels({ confidence: b.tweet.text === 'unsure' ? 0.4 : 0.9 })] as const)));
  const classifier = createClassifier({ tiers: [remote, local], escalateBelow: 0.6 });
  const out = await classifier.classify([item('1', 'sure'), item('2', 'unsure'), item('3', 'sure')]);
  assert.deepEqual(out.map((r) => r.provider), ['local', 'llm', 'local']);
  assert.deepEqual(remote.seen, [['2']]);
  assert.equal(classifier.stats().escalated, 1);
});

test('consistency rules are applied to every answer: incident none implies urgency low', async () => {
  const tier = scriptedTier('llm', answerAll(labels({ incident: 'none', urgency: 'high' })));
  const [out] = await createClassifier({ tiers: [tier] }).classify([item('1', 'a')]);
  assert.equal(out!.urgency, 'low');
});

test('cascade with a cache: an unsure local answer cached on a failed escalation is escalated again on the rerun', async () => {
  const { dir, cleanup } = tempDir();
  const cache = openResultCache(join(dir, 'cache.sqlite'));
  try {
    let remoteUp = false;
    const remote = scriptedTier('llm', (batch) => (remoteUp ? answerAll(labels({ confidence: 0.95 }))(batch) : new Error('503')), { remote: true });
    const local = scriptedTier('local', answerAll(labels({ confidence: 0.4 })));
    const first = await createClassifier({ tiers: [remote, local], cache, escalateBelow: 0.6 }).classify([item('1', 'unsure')]);
    assert.equal(first[0]!.provider, 'local');
    remoteUp = true;
    const rerun = await createClassifier({ tiers: [remote, local], cache, escalateBelow: 0.6 }).classify([item('1', 'unsure')]);
    assert.equal(rerun[0]!.provider, 'llm');
  } finally {
    cache.close();
    cleanup();
  }
});

test('cached answers of a tier whose circuit opened are still used', async () => {
  const { dir, cleanup } = tempDir();
  const cache = openResultCache(join(dir, 'cache.sqlite'));
  try {
    const llm = scriptedTier('llm', (batch) => (batch.some((b) => b.tweet.text === 'new') ? new TierUnavailableError('llm', 'daily quota') : answerAll(labels())(batch)));
    const rules = scriptedTier('rules', answerAll(labels({ confidence: 0.3 })), { cacheable: false });
    await createClassifier({ tiers: [llm, rules], cache }).classify([item('1', 'old')]);
    const classifier = createClassifier({ tiers: [llm, rules], cache, batchSize: 1, concurrency: 1 });
    const out = await classifier.classify([item('1', 'new'), item('2', 'old')]);
    assert.ok('llm' in classifier.stats().unavailable);
    assert.deepEqual(out.map((r) => r.provider), ['rules', 'llm']);
    assert.equal((await classifier.classify([item('3', 'old')]))[0]!.provider, 'llm', 'cache consulted after the circuit opened');
  } finally {
    cache.close();
    cleanup();
  }
});
