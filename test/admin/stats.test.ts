import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conversationStats, median } from '../../src/admin/stats.js';
import { DEFAULT_SLA_MINUTES } from '../../src/server/console/sla.js';

const DAY = 86_400_000;
const now = Date.parse('2026-03-10T12:00:00Z');
const at = (iso: string): number => Date.parse(iso);

test('stats: volume per day, median first response, SLA breaches by urgency, claims and urgency mix', () => {
  const s = conversationStats({
    now,
    days: 3,
    sla: DEFAULT_SLA_MINUTES,
    conversations: [
      { id: 'a', createdAt: at('2026-03-10T08:00:00Z'), urgency: 'high', claim: true },
      { id: 'b', createdAt: at('2026-03-09T08:00:00Z'), urgency: 'medium', claim: false },
      { id: 'c', createdAt: at('2026-03-09T09:00:00Z'), urgency: null, claim: false },
      { id: 'd', createdAt: at('2026-03-10T11:00:00Z'), urgency: 'high', claim: true },
      // Before the window: not counted.
      { id: 'old', createdAt: now - 10 * DAY, urgency: 'low', claim: true },
    ],
    messages: [
      // a: answered after 20 min (high target 15: a breach).
      { conversationId: 'a', staff: false, at: at('2026-03-10T08:00:00Z') },
      { conversationId: 'a', staff: true, at: at('2026-03-10T08:20:00Z') },
      // b: an agent wrote first (not an answer), then the customer, answered after 10 min (medium 60: fine).
      { conversationId: 'b', staff: true, at: at('2026-03-09T07:59:00Z') },
      { conversationId: 'b', staff: false, at: at('2026-03-09T08:00:00Z') },
      { conversationId: 'b', staff: true, at: at('2026-03-09T08:10:00Z') },
      // c: unlabeled, never answered, waiting 27 h: past the low target (240 min).
      { conversationId: 'c', staff: false, at: at('2026-03-09T09:00:00Z') },
      // d: waiting 60 min unanswered, high: a breach.
      { conversationId: 'd', staff: false, at: at('2026-03-10T11:00:00Z') },
    ],
  });
  assert.deepEqual(
    s.days.map((d) => [d.date, d.conversations, d.customerMessages, d.staffMessages]),
    [
      ['2026-03-08', 0, 0, 0],
      ['2026-03-09', 2, 2, 2],
      ['2026-03-10', 2, 2, 1],
    ],
  );
  assert.equal(s.answered, 2);
  assert.equal(s.medianFirstResponseSeconds, 15 * 60, 'median of 20 and 10 minutes');
  assert.deepEqual(s.slaBreaches, { high: 2, medium: 0, low: 0, none: 1, total: 3 });
  assert.deepEqual(s.claims, { claim: 2, noClaim: 2 });
  assert.deepEqual(s.urgency, { high: 2, medium: 1, low: 0, none: 1 });
});

test('median: odd, even, empty', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), null);
});
