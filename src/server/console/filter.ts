import type { Topic, Urgency } from '../../labels.js';
import type { ConversationState, ConversationSummary } from '../relay/store.js';

// The console's conversation filters, pure: the search route applies them to summaries.

export interface ConversationFilter {
  readonly status?: ConversationState;
  /** `me`, `none` (unassigned), or a user name. */
  readonly owner?: string;
  /** An urgency, or `none` for conversations not labeled yet. */
  readonly urgency?: Urgency | 'none';
  readonly topic?: Topic;
  readonly claim?: boolean;
  /** Created at or after this instant (an ISO date or date-time; a bare date is UTC midnight). */
  readonly from?: string;
  /** Created before this instant; a bare date counts its whole (UTC) day. */
  readonly to?: string;
}

/** The filters only agents and admins may use: they read the triage and the owner. */
export const STAFF_FILTERS = ['owner', 'urgency', 'topic', 'claim'] as const satisfies readonly (keyof ConversationFilter)[];

const DAY_MS = 86_400_000;
const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The instant a `from`/`to` bound means, in ms; NaN when it is not a date. */
export function boundOf(value: string, end: boolean): number {
  const ms = Date.parse(BARE_DATE.test(value) ? `${value}T00:00:00.000Z` : value);
  return end && BARE_DATE.test(value) ? ms + DAY_MS : ms;
}

export function matchesFilter(c: ConversationSummary, filter: ConversationFilter, me: { readonly username: string }): boolean {
  if (filter.status !== undefined && c.status !== filter.status) return false;
  if (filter.owner !== undefined) {
    const owner = c.assignee?.username ?? null;
    if (filter.owner === 'none' ? owner !== null : owner !== (filter.owner === 'me' ? me.username : filter.owner.toLowerCase())) return false;
  }
  if (filter.urgency !== undefined && (c.urgency ?? 'none') !== filter.urgency) return false;
  if (filter.topic !== undefined && !c.topics.includes(filter.topic)) return false;
  if (filter.claim !== undefined && c.claim !== filter.claim) return false;
  const created = Date.parse(c.createdAt);
  if (filter.from !== undefined && created < boundOf(filter.from, false)) return false;
  if (filter.to !== undefined && created >= boundOf(filter.to, true)) return false;
  return true;
}
