import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadServerEnv } from '../../src/config.js';
import { DEFAULT_SLA_MINUTES, isOverdue, parseSlaMinutes, slaDueAt } from '../../src/server/console/sla.js';

test('sla: FMC_SLA_MINUTES parsed per urgency; left-out urgencies keep their default', () => {
  assert.deepEqual(parseSlaMinutes('high=15,medium=60,low=240'), { high: 15, medium: 60, low: 240 });
  assert.deepEqual(parseSlaMinutes(' low = 480 , HIGH=5 '), { high: 5, medium: 60, low: 480 });
  assert.deepEqual(parseSlaMinutes(undefined), DEFAULT_SLA_MINUTES);
  assert.deepEqual(parseSlaMinutes(''), DEFAULT_SLA_MINUTES);
  assert.deepEqual(loadServerEnv({ FMC_SLA_MINUTES: 'high=10' }).slaMinutes, { high: 10, medium: 60, low: 240 });
});

test('sla: a bad entry is an FMC_ERR_CONFIG naming it', () => {
  assert.throws(() => parseSlaMinutes('high=15,urgent=5'), { code: 'FMC_ERR_CONFIG', message: /entry 2 \("urgent=5"\): unknown urgency "urgent"; use low, medium, high/ });
  assert.throws(() => parseSlaMinutes('high:15'), { code: 'FMC_ERR_CONFIG', message: /entry 1 .*expected urgency=minutes/ });
  assert.throws(() => parseSlaMinutes('high=0'), { code: 'FMC_ERR_CONFIG', message: /above 0/ });
  assert.throws(() => loadServerEnv({ FMC_SLA_MINUTES: 'medium=soon' }), { code: 'FMC_ERR_CONFIG' });
});

test('sla: due time and overdue from the wait start and the urgency (unlabeled counts as low)', () => {
  const since = '2026-01-05T10:00:00.000Z';
  const at = (iso: string): number => Date.parse(iso);
  assert.equal(slaDueAt(DEFAULT_SLA_MINUTES, since, 'high'), '2026-01-05T10:15:00.000Z');
  assert.equal(slaDueAt(DEFAULT_SLA_MINUTES, since, null), '2026-01-05T14:00:00.000Z');
  assert.equal(slaDueAt(DEFAULT_SLA_MINUTES, null, 'high'), null);
  assert.equal(isOverdue(DEFAULT_SLA_MINUTES, since, 'high', at('2026-01-05T10:14:59.000Z')), false);
  assert.equal(isOverdue(DEFAULT_SLA_MINUTES, since, 'high', at('2026-01-05T10:15:01.000Z')), true);
  assert.equal(isOverdue(DEFAULT_SLA_MINUTES, since, 'medium', at('2026-01-05T10:15:01.000Z')), false);
  assert.equal(isOverdue(DEFAULT_SLA_MINUTES, null, 'high', at('2030-01-01T00:00:00.000Z')), false, 'nobody waiting');
});
