import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAggregator, defaultGranularity, type AggregateRow } from '../../src/report/aggregate.js';
import { parseDate } from '../../src/report/dates.js';
import { termsOf, TopTerms } from '../../src/report/terms.js';
import { createZone, DAY } from '../../src/report/zone.js';

const zone = createZone('Europe/Paris');
const base: AggregateRow = { isClaim: false, sentiment: 'neutral', topic: 'other', incident: 'none', urgency: 'low', confidence: 0.8, provider: 'rules' };
const at = (text: string): number => parseDate(text, zone)!;
const finish = (agg: ReturnType<typeof createAggregator>, by?: 'hour' | 'day' | 'week') => agg.finish({ by, dateColumn: 'date', sources: ['x.csv'], now: new Date(0) });

test('aggregate: KPIs, with the satisfaction formula 100 × (positive + ½ neutral) / rows', () => {
  const agg = createAggregator({ zone, escalateBelow: 0.6 });
  agg.add({ ...base, sentiment: 'positive', confidence: 0.9, provider: 'gemini' });
  agg.add({ ...base, sentiment: 'neutral', confidence: 0.5 });
  agg.add({ ...base, isClaim: true, sentiment: 'negative', incident: 'outage', urgency: 'high', confidence: 0.4 });
  agg.add({ ...base, isClaim: true, sentiment: 'negative', incident: 'billing', topic: 'billing', urgency: 'medium', confidence: 1 });
  const k = finish(agg).kpis;
  assert.equal(k.volume, 4);
  assert.equal(k.claims, 2);
  assert.equal(k.claimRate, 0.5);
  assert.equal(k.satisfaction, 37.5);
  assert.equal(k.highUrgencyShare, 0.25);
  assert.equal(k.meanConfidence, 0.7);
  assert.deepEqual(k.providers, { rules: 3, gemini: 1 });
  assert.deepEqual(k.belowThreshold, { threshold: 0.6, count: 2, share: 0.5 });
});

test('aggregate: buckets by hour, day and week in the zone; the heatmap by local day and hour', () => {
  const agg = createAggregator({ zone, escalateBelow: 0.6 });
  // Monday 2024-03-04 14:30 Paris = 13:30 UTC; Sunday 2024-03-10 23:30 Paris is still in that week.
  agg.add({ ...base, at: at('2024-03-04T13:30:00Z'), isClaim: true, incident: 'outage' });
  agg.add({ ...base, at: at('2024-03-10 23:30:00') });
  agg.add({ ...base, at: at('2024-03-11 00:10:00') });
  const byDay = finish(agg, 'day');
  assert.deepEqual(byDay.series.map((b) => [b.label, b.count]), [['2024-03-04', 1], ['2024-03-05', 0], ['2024-03-06', 0], ['2024-03-07', 0], ['2024-03-08', 0], ['2024-03-09', 0], ['2024-03-10', 1], ['2024-03-11', 1]]);
  assert.equal(byDay.series[0]!.start, '2024-03-04T00:00:00+01:00');
  assert.equal(byDay.series[0]!.end, '2024-03-05T00:00:00+01:00');
  assert.equal(byDay.series[0]!.incidentClaims.outage, 1);
  const byWeek = finish(agg, 'week');
  assert.deepEqual(byWeek.series.map((b) => [b.start, b.count]), [['2024-03-04T00:00:00+01:00', 2], ['2024-03-11T00:00:00+01:00', 1]]);
  assert.equal(finish(agg, 'hour').series.length, 24 * 6 + 11);
  const heat = byDay.matrices.dayHour!;
  assert.equal(heat.values[0]![14], 1, 'Monday 14h');
  assert.equal(heat.values[6]![23], 1, 'Sunday 23h');
  assert.equal(heat.values[0]![0], 1, 'Monday 0h');
  // A bucket across the DST change is 23 hours long.
  const dst = createAggregator({ zone, escalateBelow: 0.6 });
  dst.add({ ...base, at: at('2024-03-31 12:00:00') });
  assert.deepEqual([finish(dst, 'day').series[0]!.start, finish(dst, 'day').series[0]!.end], ['2024-03-31T00:00:00+01:00', '2024-04-01T00:00:00+02:00']);
});

test('aggregate: default granularity follows the span', () => {
  assert.equal(defaultGranularity(2 * DAY), 'hour');
  assert.equal(defaultGranularity(30 * DAY), 'day');
  assert.equal(defaultGranularity(400 * DAY), 'week');
});

test('aggregate: no dates, no series, no heatmap, no alerts', () => {
  const agg = createAggregator({ zone, escalateBelow: 0.6 });
  agg.add({ ...base, text: 'x' });
  const data = agg.finish({ dateColumn: null, sources: ['x.csv'] });
  assert.deepEqual([data.series, data.alerts, data.matrices.dayHour, data.dates.by], [[], [], null, null]);
});

test('aggregate: the 20 most urgent claims, urgency then confidence then latest; texts kept as they are', () => {
  const agg = createAggregator({ zone, escalateBelow: 0.6 });
  for (let i = 0; i < 500; i++) {
    agg.add({ ...base, isClaim: true, incident: 'outage', urgency: i % 50 === 0 ? 'high' : 'medium', confidence: (i % 10) / 10, text: `claim ${i}`, at: at('2024-03-04 10:00:00') + i * 60_000, source: `x.csv:${i + 2}` });
  }
  agg.add({ ...base, isClaim: false, urgency: 'high', confidence: 1, text: 'not a claim' });
  agg.add({ ...base, isClaim: true, incident: 'outage', urgency: 'high', confidence: 0.99, text: '<script>alert(1)</script>' });
  const urgent = finish(agg).urgentClaims;
  assert.equal(urgent.length, 20);
  assert.equal(urgent[0]!.text, '<script>alert(1)</script>');
  assert.deepEqual(urgent.slice(1, 11).map((c) => c.urgency), new Array(10).fill('high'));
  assert.ok(!urgent.some((c) => c.text === 'not a claim'));
  assert.equal(urgent[1]!.text, 'claim 450', 'high, confidence 0, latest first among equals');
  assert.equal(urgent[11]!.urgency, 'medium');
  assert.equal(urgent[11]!.confidence, 0.9);
});

test('terms: folded, stop words and brand names out, once per text; bounded counters keep the heavy hitters', () => {
  assert.deepEqual(termsOf("Plus de RÉSEAU depuis hier, réseau coupé @free https://t.co/x #panne l'appli"), ['reseau', 'coupe', 'appli']);
  const top = new TopTerms(10);
  for (let i = 0; i < 5000; i++) {
    top.add(`rare${i}`);
    if (i % 3 === 0) top.add('panne');
    if (i % 5 === 0) top.add('facture');
  }
  const found = top.top(2);
  assert.deepEqual(found.map((t) => t.term), ['panne', 'facture']);
  assert.ok(found[0]!.count <= 1667 && found[0]!.count > 1000, `a lower bound of the true 1667: ${found[0]!.count}`);
});

test('aggregate: terms per incident among claims only', () => {
  const agg = createAggregator({ zone, escalateBelow: 0.6 });
  agg.add({ ...base, isClaim: true, incident: 'outage', text: 'Réseau en panne' });
  agg.add({ ...base, isClaim: true, incident: 'outage', text: 'reseau coupé' });
  agg.add({ ...base, isClaim: false, incident: 'outage', text: 'réseau réseau réseau voisin' });
  agg.add({ ...base, isClaim: true, incident: 'billing', text: 'facture fausse' });
  const terms = finish(agg).terms;
  assert.deepEqual(terms.outage, [{ term: 'reseau', count: 2 }, { term: 'coupe', count: 1 }, { term: 'panne', count: 1 }]);
  assert.deepEqual(terms.billing?.map((t) => t.term), ['facture', 'fausse']);
  assert.equal(terms.none, undefined);
});
