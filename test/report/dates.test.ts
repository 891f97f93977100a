import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDate } from '../../src/report/dates.js';
import { createZone, isoInZone } from '../../src/report/zone.js';

const paris = createZone('Europe/Paris');
const utc = createZone('UTC');
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

test('dates: ISO with offset, Z, a space instead of T, fractions', () => {
  assert.equal(iso(parseDate('2024-03-05T14:02:11Z', paris)), '2024-03-05T14:02:11.000Z');
  assert.equal(iso(parseDate('2020-12-28 07:26:23+00:00', paris)), '2020-12-28T07:26:23.000Z');
  assert.equal(iso(parseDate('2024-03-05T14:02:11.250+01:00', paris)), '2024-03-05T13:02:11.250Z');
  assert.equal(iso(parseDate('2024-03-05T14:02:11-0500', paris)), '2024-03-05T19:02:11.000Z');
});

test('dates: a time without an offset is wall-clock time in the zone, DST included', () => {
  // Winter: Paris is UTC+1; summer: UTC+2.
  assert.equal(iso(parseDate('2024-03-05 14:02:11', paris)), '2024-03-05T13:02:11.000Z');
  assert.equal(iso(parseDate('2024-07-05 14:02:11', paris)), '2024-07-05T12:02:11.000Z');
  assert.equal(iso(parseDate('2024-07-05 14:02:11', utc)), '2024-07-05T14:02:11.000Z');
  assert.equal(iso(parseDate('2024-03-05', paris)), '2024-03-04T23:00:00.000Z');
  // 2024-10-27 02:30 happens twice in Paris: the earlier (summer time) one.
  assert.equal(iso(parseDate('2024-10-27 02:30:00', paris)), '2024-10-27T00:30:00.000Z');
  // 2024-03-31 02:30 never happens: read with the offset before the jump.
  assert.equal(iso(parseDate('2024-03-31 02:30:00', paris)), '2024-03-31T01:30:00.000Z');
});

test('dates: French day-first exports and Twitter API dates and epochs', () => {
  assert.equal(iso(parseDate('05/03/2024 14:02', paris)), '2024-03-05T13:02:00.000Z');
  assert.equal(iso(parseDate('05/03/2024 14:02:11', utc)), '2024-03-05T14:02:11.000Z');
  assert.equal(iso(parseDate('5/3/2024', utc)), '2024-03-05T00:00:00.000Z');
  assert.equal(iso(parseDate('Tue Mar 05 14:02:11 +0000 2024', paris)), '2024-03-05T14:02:11.000Z');
  assert.equal(iso(parseDate('Tue Mar 05 14:02:11 +0200 2024', paris)), '2024-03-05T12:02:11.000Z');
  assert.equal(iso(parseDate('1709647331', paris)), '2024-03-05T14:02:11.000Z');
  assert.equal(iso(parseDate('1709647331000', paris)), '2024-03-05T14:02:11.000Z');
});

test('dates: what is not a date is undefined, not a guess', () => {
  for (const bad of ['', 'hier', '2024-13-01', '31/02/2024', '2024-02-30 10:00', 'Tue Foo 05 14:02:11 +0000 2024', '12345', '2024-03-05T25:00']) {
    assert.equal(parseDate(bad, paris), undefined, bad);
  }
});

test('zone: instants shown as wall-clock time with their offset', () => {
  assert.equal(isoInZone(Date.parse('2024-07-05T12:00:00Z'), paris), '2024-07-05T14:00:00+02:00');
  assert.equal(isoInZone(Date.parse('2024-01-05T12:00:00Z'), paris), '2024-01-05T13:00:00+01:00');
  assert.equal(isoInZone(Date.parse('2024-01-05T12:00:00Z'), createZone('America/New_York')), '2024-01-05T07:00:00-05:00');
});
