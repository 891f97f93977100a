import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHealth } from '../../src/server/health.js';
import type { HealthCheck, Tier } from '../../src/tiers/tier.js';

function fakeTier(name: string, check: () => Promise<HealthCheck>): Tier {
  return { name, version: `${name}-1`, cacheable: true, remote: true, maxBatch: 10, classify: async () => new Map(), check };
}

const writable = { probeWrite: () => ({ ok: true, detail: 'writable' }) };

test('tier probes are cached: a burst of health checks probes each tier once per TTL', async () => {
  let calls = 0;
  let clock = 0;
  const tier = fakeTier('llm', async () => {
    calls++;
    return { ok: true, detail: 'up' };
  });
  const health = createHealth({ data: writable, pipeline: { tiers: [tier], probes: [], cache: undefined }, version: 't', tierTtlMs: 30_000, now: () => clock });
  for (let i = 0; i < 5; i++) assert.equal((await health.check()).status, 'ok');
  assert.equal(calls, 1);
  clock += 30_000;
  await health.check();
  assert.equal(calls, 2, 'probed again once the TTL is over');
});

test('a hanging probe costs at most the timeout and marks the server degraded, not down', async () => {
  const hanging = fakeTier('llm', () => new Promise<HealthCheck>(() => undefined));
  const rules = fakeTier('rules', async () => ({ ok: true, detail: 'offline' }));
  const failedAtStart = { name: 'ollama', check: { ok: false, detail: 'ollama: connection refused' } };
  const health = createHealth({ data: writable, pipeline: { tiers: [hanging, rules], probes: [failedAtStart], cache: undefined }, version: 't', tierTimeoutMs: 50 });
  const started = Date.now();
  const report = await health.check();
  assert.ok(Date.now() - started < 1000);
  assert.equal(report.status, 'degraded');
  assert.deepEqual(report.checks.tiers.llm, { ok: false, detail: 'llm: no answer within 50 ms', live: true });
  assert.equal(report.checks.tiers.rules?.ok, true);
  assert.deepEqual(report.checks.tiers.ollama, { ok: false, detail: 'ollama: connection refused', live: false }, 'reported from start-up, never re-probed');
});

test('no live tier answering, or a DB that takes no write: unavailable', async () => {
  const down = fakeTier('rules', async () => {
    throw new Error('boom');
  });
  const noTier = createHealth({ data: writable, pipeline: { tiers: [down], probes: [], cache: undefined }, version: 't' });
  assert.equal((await noTier.check()).status, 'unavailable');
  const up = fakeTier('rules', async () => ({ ok: true, detail: 'offline' }));
  const readOnly = { probeWrite: () => ({ ok: false, detail: 'not writable: EROFS' }) };
  const noDb = createHealth({ data: readOnly, pipeline: { tiers: [up], probes: [], cache: undefined }, version: 't' });
  const report = await noDb.check();
  assert.equal(report.status, 'unavailable');
  assert.equal(report.checks.db.detail, 'not writable: EROFS');
});
