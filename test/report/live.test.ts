import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toLabelResult } from '../../src/labels.js';
import { createLiveTrends, type TrendsEvent } from '../../src/report/live.js';

const HOUR = 3_600_000;
const quiet = toLabelResult({ is_claim: false, sentiment: 'neutral', topic: 'other', incident: 'none', urgency: 'low', confidence: 0.8 }, 'rules')!;
const outage = toLabelResult({ is_claim: true, sentiment: 'negative', topic: 'fibre', incident: 'outage', urgency: 'high', confidence: 0.9 }, 'rules')!;

test('live trends: a spike in chat claims is pushed once as an alert; API results are counted without texts', async () => {
  let clock = Date.parse('2024-03-05T00:00:00Z');
  const trends = createLiveTrends({ tz: 'UTC', settleMs: 5, now: () => clock });
  const events: TrendsEvent[] = [];
  trends.subscribe((e) => events.push(e));
  const settled = () => new Promise((resolve) => setTimeout(resolve, 30));
  // 30 quiet hours of chat, one outage claim an hour.
  for (let h = 0; h < 30; h++) {
    trends.recordChat(quiet, `bonjour ${h}`, clock + h * HOUR);
    trends.recordChat(outage, `plus de réseau ${h}`, clock + h * HOUR + 60_000);
  }
  await settled();
  assert.ok(events.some((e) => e.type === 'trends'));
  assert.equal(events.filter((e) => e.type === 'alert').length, 0);
  // Hour 30: twelve outage claims through the API (no text).
  clock += 30 * HOUR + 10 * 60_000;
  trends.recordApi(new Array(12).fill(outage));
  await settled();
  const alerts = events.filter((e) => e.type === 'alert');
  assert.equal(alerts.length, 1);
  assert.deepEqual({ ...alerts[0]!.alert, score: 0 }, { start: '2024-03-06T06:00:00+00:00', end: '2024-03-06T07:00:00+00:00', field: 'incident', value: 'outage', count: 12, expected: 1, score: 0 });
  // The bucket keeps rising: no second alert for it.
  trends.recordApi(new Array(5).fill(outage));
  await settled();
  assert.equal(events.filter((e) => e.type === 'alert').length, 1);

  const view = trends.view('fr');
  assert.equal(view.data.kpis.volume, 77);
  assert.ok(view.data.urgentClaims.every((c) => c.source === 'chat'), 'API rows are never listed: no text kept');
  assert.ok(view.charts.some((c) => c.id === 'volume' && c.svg.startsWith('<svg')));
  assert.equal(view.charts.find((c) => c.id === 'volume')!.title, 'Volume et taux de réclamation');
  assert.equal(trends.view('fr'), view, 'no change, no new rendering');
  trends.close();
});
