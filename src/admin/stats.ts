import type { Urgency } from '../labels.js';
import { URGENCIES } from '../labels.js';
import { targetMinutes, type SlaTargets } from '../server/console/sla.js';

// The admin page's figures, from facts the data DB keeps without decrypting any text: when
// conversations began, who wrote when, and each conversation's triage.

export interface StatsConversation {
  readonly id: string;
  readonly createdAt: number;
  readonly urgency: Urgency | null;
  readonly claim: boolean;
}

export interface StatsMessage {
  readonly conversationId: string;
  readonly staff: boolean;
  readonly at: number;
}

export interface ConversationStats {
  readonly since: string;
  readonly days: readonly { readonly date: string; readonly conversations: number; readonly customerMessages: number; readonly staffMessages: number }[];
  /** Over conversations that got an answer: customer's first message to the first staff message. */
  readonly medianFirstResponseSeconds: number | null;
  readonly answered: number;
  /** First answers later than the SLA target of the conversation's urgency, or none yet and past it. */
  readonly slaBreaches: Readonly<Record<Urgency | 'none', number>> & { readonly total: number };
  readonly claims: { readonly claim: number; readonly noClaim: number };
  readonly urgency: Readonly<Record<Urgency | 'none', number>>;
  readonly slaMinutes: SlaTargets;
}

const DAY = 86_400_000;
const dateOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Figures for conversations begun in the last `days` days (UTC), as of `now`. */
export function conversationStats(input: { conversations: readonly StatsConversation[]; messages: readonly StatsMessage[]; days: number; now: number; sla: SlaTargets }): ConversationStats {
  const start = Math.floor(input.now / DAY) * DAY - (input.days - 1) * DAY;
  const inWindow = input.conversations.filter((c) => c.createdAt >= start);
  const ids = new Set(inWindow.map((c) => c.id));
  const perDay = new Map<string, { conversations: number; customerMessages: number; staffMessages: number }>();
  for (let d = 0; d < input.days; d++) perDay.set(dateOf(start + d * DAY), { conversations: 0, customerMessages: 0, staffMessages: 0 });
  for (const c of inWindow) perDay.get(dateOf(c.createdAt))!.conversations++;
  const firstCustomer = new Map<string, number>();
  const firstAnswer = new Map<string, number>();
  // In time order: a staff message counts as the first answer only after the customer wrote.
  for (const m of [...input.messages].sort((a, b) => a.at - b.at)) {
    if (m.at >= start) {
      const day = perDay.get(dateOf(m.at));
      if (day) m.staff ? day.staffMessages++ : day.customerMessages++;
    }
    if (!ids.has(m.conversationId)) continue;
    if (!m.staff && !firstCustomer.has(m.conversationId)) firstCustomer.set(m.conversationId, m.at);
    if (m.staff && firstCustomer.has(m.conversationId) && !firstAnswer.has(m.conversationId)) firstAnswer.set(m.conversationId, m.at);
  }
  const delays: number[] = [];
  const breaches = { high: 0, medium: 0, low: 0, none: 0, total: 0 };
  const urgency = { high: 0, medium: 0, low: 0, none: 0 };
  let claim = 0;
  for (const c of inWindow) {
    urgency[c.urgency ?? 'none']++;
    if (c.claim) claim++;
    const asked = firstCustomer.get(c.id);
    if (asked === undefined) continue;
    const answered = firstAnswer.get(c.id);
    if (answered !== undefined) delays.push((answered - asked) / 1000);
    // Unlabeled conversations are held to the low target, as the console's clock does.
    if ((answered ?? input.now) - asked > targetMinutes(input.sla, c.urgency) * 60_000) {
      breaches[c.urgency ?? 'none']++;
      breaches.total++;
    }
  }
  const med = median(delays);
  return {
    since: new Date(start).toISOString(),
    days: [...perDay].map(([date, v]) => ({ date, ...v })),
    medianFirstResponseSeconds: med === null ? null : Math.round(med),
    answered: delays.length,
    slaBreaches: breaches,
    claims: { claim, noClaim: inWindow.length - claim },
    urgency,
    slaMinutes: input.sla,
  };
}

export const URGENCY_KEYS: readonly (Urgency | 'none')[] = [...URGENCIES, 'none'];
