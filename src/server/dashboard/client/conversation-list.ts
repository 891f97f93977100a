import type { ConversationView } from '../../relay/store.js';
import { api, type Session } from './api.js';
import { claimBadge, urgencyBadge } from './badges.js';
import type { ChatPane } from './chat-pane.js';
import { shownName, type ConsoleState, type FoundConversation } from './console-api.js';
import { byId, h } from './dom.js';
import { formatDateTime, formatDuration, onLocaleChange, t } from './locale.js';
import type { Notifier } from './notifier.js';
import type { Frame, RelayClient } from './relay-client.js';

const RANK = { high: 3, medium: 2, low: 1 } as const;
const STATE = { open: 0, pending: 1, closed: 2 } as const;

// The server's order (open, pending, closed; unassigned first; most urgent; most recent),
// redone here for live updates; customers' summaries carry no owner or urgency, so theirs is
// by state, then most recent.
function byConsoleOrder(a: ConversationView, b: ConversationView): number {
  if (a.status !== b.status) return STATE[a.status] - STATE[b.status];
  if (!a.assignee !== !b.assignee) return a.assignee ? 1 : -1;
  const urgency = (b.urgency ? RANK[b.urgency] : 0) - (a.urgency ? RANK[a.urgency] : 0);
  return urgency !== 0 ? urgency : b.updatedAt.localeCompare(a.updatedAt);
}

// The waiting times are redrawn this often: a minute-resolution clock needs no more.
const TICK_MS = 30_000;

export interface ConversationList {
  onFrame(frame: Frame): void;
  /** Shows only these (a search or filter), in this order, with their hits; undefined shows all. */
  showOnly(results: readonly FoundConversation[] | undefined): void;
  get(id: string): ConversationView | undefined;
  /** "Assign to me" clicked here: the change that follows is no news to announce. */
  expectSelfAssign(id: string): void;
}

export interface ListDeps {
  readonly session: Session;
  readonly relay: RelayClient;
  readonly chat: ChatPane;
  readonly state: ConsoleState;
  readonly notifier: Notifier;
  /** A conversation was picked (its actions show; the phone's drawer closes). */
  readonly onPick: (conversation: ConversationView) => void;
}

/**
 * Agents: every conversation, kept live by `watch`, with status, owner, urgency and claim,
 * unread count and the time the customer has waited (red past the SLA target). Customers:
 * their own, with their message count, and a button to open a new one.
 */
export async function createConversationList(deps: ListDeps): Promise<ConversationList> {
  const { session, relay, chat, state, notifier } = deps;
  const list = byId<HTMLUListElement>('conversations');
  const create = byId<HTMLButtonElement>('new-conversation');
  const staff = session.user.role !== 'customer';
  const known = new Map<string, ConversationView>();
  const readSeq = new Map(Object.entries(state.reads));
  let results: readonly FoundConversation[] | undefined;
  // Assigned to myself from this page: no need to tell me.
  const selfAssigned = new Set<string>();

  const unread = (c: ConversationView): number => (c.id === chat.current() ? 0 : Math.max(0, c.lastSeq - (readSeq.get(c.id) ?? 0)));
  // A conversation not labeled yet is held to the most lenient target, as the server's sla.ts does.
  const dueAt = (c: ConversationView): number | undefined =>
    c.waitingSince && c.status !== 'closed' ? Date.parse(c.waitingSince) + state.slaMinutes[c.urgency ?? 'low'] * 60_000 : undefined;

  function item(c: ConversationView, hits: FoundConversation['hits'] = []): HTMLLIElement {
    const now = Date.now();
    const due = staff ? dueAt(c) : undefined;
    const overdue = due !== undefined && now > due;
    const count = unread(c);
    const meta = h(
      'span',
      { class: 'meta' },
      h('span', { 'data-testid': 'count' }, t('list.messages', { count: c.lastSeq })),
      staff ? h('span', { 'data-testid': 'owner' }, c.assignee ? t('list.owner', { name: shownName(c.assignee) }) : t('list.unassigned')) : null,
      c.waitingSince && c.status !== 'closed'
        ? h('span', { 'data-testid': 'waiting', class: overdue ? 'overdue' : '' }, t('list.waiting', { duration: formatDuration(now - Date.parse(c.waitingSince)) }), overdue ? ` · ${t('list.overdue')}` : '')
        : null,
    );
    const button = h(
      'button',
      { type: 'button', 'aria-current': c.id === chat.current() ? 'true' : undefined },
      h('span', { class: 'who' }, staff ? c.customer.username : t('list.customer-item', { date: formatDateTime(c.createdAt) })),
      h('span', { class: `badge status-${c.status}`, 'data-testid': 'status', dataset: { value: c.status } }, t(`status.${c.status}`)),
      staff ? urgencyBadge(c.urgency ?? null) : null,
      staff ? claimBadge(c.claim ?? false) : null,
      count > 0 ? h('span', { class: 'badge unread', 'data-testid': 'unread' }, t('list.unread', { count })) : null,
      meta,
      ...hits.map((hit) => h('span', { class: 'hit', 'data-testid': 'hit' }, hit.excerpt)),
    );
    return h('li', { class: `${c.status}${c.id === chat.current() ? ' selected' : ''}${overdue ? ' overdue' : ''}`, dataset: { id: c.id }, 'data-testid': 'conversation' }, button);
  }

  const render = (): void => {
    // Redrawing replaces the buttons: a keyboard user's focus goes back to the same conversation.
    const focused = list.contains(document.activeElement) ? document.activeElement?.closest('li')?.dataset.id : undefined;
    const shown = results
      ? results.map((r) => item(known.get(r.id) ?? r, r.hits))
      : [...known.values()].sort(byConsoleOrder).map((c) => item(c));
    list.replaceChildren(...(shown.length > 0 ? shown : [h('li', { class: 'empty' }, t('list.empty'))]));
    if (focused) list.querySelector<HTMLElement>(`li[data-id="${CSS.escape(focused)}"] > button`)?.focus();
  };

  function pick(conversation: ConversationView): void {
    chat.open(conversation);
    readSeq.set(conversation.id, Math.max(readSeq.get(conversation.id) ?? 0, conversation.lastSeq));
    render();
    deps.onPick(conversation);
  }

  list.addEventListener('click', (event) => {
    const id = (event.target as HTMLElement).closest('li')?.dataset.id;
    const conversation = id ? (known.get(id) ?? results?.find((r) => r.id === id)) : undefined;
    if (conversation) pick(conversation);
  });

  create.hidden = staff;
  create.addEventListener('click', async () => {
    const conversation = await api<ConversationView>('/api/conversations', { method: 'POST', token: session.token });
    known.set(conversation.id, conversation);
    pick(conversation);
  });

  /** A high-urgency conversation that was not, or a conversation newly mine: worth a sound or a notification. */
  function announce(before: ConversationView | undefined, after: ConversationView): void {
    if (!staff || after.status === 'closed') return;
    if (after.urgency === 'high' && before?.urgency !== 'high') notifier.notify(t('notify.high', { name: after.customer.username }), `high-${after.id}`);
    const mine = after.assignee?.id === session.user.id;
    if (mine && before?.assignee?.id !== session.user.id) {
      if (selfAssigned.delete(after.id)) return;
      notifier.notify(t('notify.assigned', { name: after.customer.username }), `assigned-${after.id}`);
    }
  }

  // The list first (so the watch's replay of it announces nothing), then live through watch.
  for (const c of (await api<{ conversations: ConversationView[] }>('/api/conversations', { token: session.token })).conversations) known.set(c.id, c);
  if (staff) relay.watch();
  render();
  setInterval(render, TICK_MS);
  onLocaleChange(render);

  return {
    get: (id) => known.get(id),
    showOnly(found) {
      results = found;
      render();
    },
    onFrame(frame) {
      if (frame.type === 'conversation') {
        const before = known.get(frame.conversation.id);
        known.set(frame.conversation.id, frame.conversation);
        announce(before, frame.conversation);
        render();
      } else if (frame.type === 'message') {
        // Customers watch nothing: their count and order follow the messages of the open conversation.
        const c = known.get(frame.conversationId);
        if (c && frame.seq > c.lastSeq) {
          known.set(c.id, { ...c, lastSeq: frame.seq, updatedAt: frame.createdAt });
          if (c.id === chat.current()) readSeq.set(c.id, frame.seq);
          render();
        }
      }
    },
    expectSelfAssign: (id) => void selfAssigned.add(id),
  };
}
