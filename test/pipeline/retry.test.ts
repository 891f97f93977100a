import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, createInvoker } from '../../src/pipeline/retry.js';
import { TierRetryableError, type Tier, type TierAnswer } from '../../src/tiers/tier.js';

// The invoker's timing rules with small tiers written for the test; the LLM tiers' own tests
// (test/tiers/) drive the same invoker through real clients and fake servers.

const labels = { is_claim: false, sentiment: 'neutral', topic: 'other', incident: 'none', urgency: 'low', confidence: 0.9 } as const;
const item = (id: string) => ({ id, tweet: { text: id, folded: id, isRetweet: false, isCanned: false } });

function timedTier(fail: (n: number) => Error | undefined): Tier & { starts: number[]; ids: string[] } {
  const starts: number[] = [];
  /** The first item's id of each call, in the order of `starts`. */
  const ids: string[] = [];
  return {
    name: 'llm',
    version: 'v1',
    cacheable: false,
    remote: true,
    maxBatch: 10,
    starts,
    ids,
    async classify(batch) {
      starts.push(performance.now());
      ids.push(batch[0]!.id);
      const err = fail(starts.length);
      if (err) throw err;
      return new Map<string, TierAnswer>(batch.map((b) => [b.id, labels]));
    },
    async check() {
      return { ok: true, detail: 'ok' };
    },
  };
}

test('--rpm spaces request starts evenly; the first goes at once', async () => {
  const tier = timedTier(() => undefined);
  const invoke = createInvoker({ timeoutMs: 1000, rpm: 600 });
  const t0 = performance.now();
  await Promise.all(['a', 'b', 'c', 'd'].map((id) => invoke(tier, [item(id)], new AbortController().signal)));
  const offsets = tier.starts.map((t) => t - t0).sort((x, y) => x - y);
  assert.ok(offsets[0]! < 50, `first at ${offsets[0]}`);
  // Slots are 100 ms apart from the first; a busy machine can only make a start late, never
  // early, so each start is checked against its slot rather than against its late neighbour.
  for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i]! >= i * 100 - 5, `start ${i} at ${offsets[i]} ms (rpm 600 = a slot every 100 ms)`);
});

test('a server-requested wait holds back the other calls to that tier too', async () => {
  const tier = timedTier((n) => (n === 1 ? new TierRetryableError('llm', '429', 300) : undefined));
  const invoke = createInvoker({ timeoutMs: 1000 });
  const signal = new AbortController().signal;
  const t0 = performance.now();
  const first = invoke(tier, [item('a')], signal);
  await sleep(50);
  const second = invoke(tier, [item('b')], signal);
  await Promise.all([first, second]);
  assert.equal(tier.starts.length, 3, 'a, a again, b');
  for (const t of tier.starts.slice(1)) assert.ok(t - t0 >= 290, `started at ${t - t0} ms, inside the 300 ms hold`);
});

test('a 429 without a wait holds the other calls for its backoff; a 5xx holds only its own retry', async () => {
  // backoffMs 400: the first step waits 200-400 ms from the refusal.
  const run = async (error: TierRetryableError) => {
    const tier = timedTier((n) => (n === 1 ? error : undefined));
    const invoke = createInvoker({ timeoutMs: 1000, backoffMs: 400 });
    const signal = new AbortController().signal;
    const first = invoke(tier, [item('a')], signal);
    await sleep(50);
    await Promise.all([first, invoke(tier, [item('b')], signal)]);
    const refused = tier.starts[0]!;
    const b = tier.starts[tier.ids.indexOf('b')]!;
    const aAgain = tier.starts[tier.ids.lastIndexOf('a')]!;
    return { bAfterRefusal: b - refused, bBeforeRetry: b < aAgain };
  };
  // A late timer only makes b later: the bound holds however busy the machine is.
  const rateLimited = await run(new TierRetryableError('llm', 'llm: rate limited', undefined, true));
  assert.ok(rateLimited.bAfterRefusal >= 195, `b started ${rateLimited.bAfterRefusal.toFixed(0)} ms after the 429, inside its hold (200 ms at least)`);
  const serverError = await run(new TierRetryableError('llm', 'llm: HTTP 503'));
  assert.ok(serverError.bBeforeRetry, `b waited for a's retry after a 5xx (b at +${serverError.bAfterRefusal.toFixed(0)} ms)`);
});

test('the 429 that makes a request give up still holds the others', async () => {
  const tier = timedTier((n) => (n === 1 ? new TierRetryableError('llm', 'llm: rate limited', undefined, true) : undefined));
  const invoke = createInvoker({ timeoutMs: 1000, backoffMs: 400, maxAttempts: 1 });
  const signal = new AbortController().signal;
  await assert.rejects(invoke(tier, [item('a')], signal), /gave up after 1 attempts/);
  await invoke(tier, [item('b')], signal);
  assert.ok(tier.starts[1]! - tier.starts[0]! >= 195, `b started ${(tier.starts[1]! - tier.starts[0]!).toFixed(0)} ms after the 429`);
});

test('backoff doubles per attempt, stays within [step/2, step] and under the cap', () => {
  for (const r of [0, 0.5, 0.999]) {
    assert.ok(backoffDelay(1, 500, 20_000, () => r) >= 250 && backoffDelay(1, 500, 20_000, () => r) <= 500);
    assert.ok(backoffDelay(3, 500, 20_000, () => r) >= 1000 && backoffDelay(3, 500, 20_000, () => r) <= 2000);
    assert.ok(backoffDelay(20, 500, 20_000, () => r) <= 20_000);
  }
  assert.notEqual(backoffDelay(2, 500, 20_000, () => 0), backoffDelay(2, 500, 20_000, () => 0.9), 'jitter');
});

test('a tier that answers from memory (immediate) gets the caller\'s signal itself, no --timeout timer; the others a combined one', async () => {
  const seen: AbortSignal[] = [];
  const tier = (immediate: boolean): Tier => ({
    ...timedTier(() => undefined),
    name: immediate ? 'rules' : 'llm',
    remote: !immediate,
    ...(immediate && { immediate }),
    async classify(batch, signal) {
      seen.push(signal);
      return new Map<string, TierAnswer>(batch.map((b) => [b.id, labels]));
    },
  });
  const invoke = createInvoker({ timeoutMs: 1000 });
  const signal = new AbortController().signal;
  assert.equal((await invoke(tier(true), [item('a')], signal)).size, 1);
  await invoke(tier(false), [item('b')], signal);
  assert.equal(seen[0], signal);
  assert.notEqual(seen[1], signal);
});

test('a run abort is not retried', async () => {
  const controller = new AbortController();
  const tier = timedTier(() => {
    controller.abort();
    return new TierRetryableError('llm', '503');
  });
  await assert.rejects(createInvoker({ timeoutMs: 1000, backoffMs: 10 })(tier, [item('a')], controller.signal));
  assert.equal(tier.starts.length, 1);
});
