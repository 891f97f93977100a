import type { ConversationView } from '../../relay/store.js';
import { api, type Session } from './api.js';
import { claimBadge, urgencyBadge } from './badges.js';
import type { ChatPane } from './chat-pane.js';
import { byId, h } from './dom.js';
import type { Frame, RelayClient } from './relay-client.js';

const RANK = { high: 3, medium: 2, low: 1 } as const;

// The server's order (open first, most urgent, most recent), redone here for live updates;
// customers' summaries carry no urgency, so theirs is open first, most recent.
function byOpenUrgency(a: ConversationView, b: ConversationView): number {
  if (a.status !== b.status) return a.status === 'open' ? -1 : 1;
  const urgency = (b.urgency ? RANK[b.urgency] : 0) - (a.urgency ? RANK[a.urgency] : 0);
  return urgency !== 0 ? urgency : b.updatedAt.localeCompare(a.updatedAt);
}

export interface ConversationList {
  onFrame(frame: Frame): void;
}

/**
 * Agents: every conversation, kept live by `watch`, badges included. Customers: their own,
 * and a button to open a new one.
 */
export async function createConversationList(session: Session, relay: RelayClient, chat: ChatPane): Promise<ConversationList> {
  const list = byId<HTMLUListElement>('conversations');
  const create = byId<HTMLButtonElement>('new-conversation');
  const staff = session.user.role !== 'customer';
  const known = new Map<string, ConversationView>();
  let selected: string | undefined;

  const render = (): void => {
    const items = [...known.values()].sort(byOpenUrgency).map((c) =>
      h(
        'li',
        { class: `${c.status}${c.id === selected ? ' selected' : ''}`, dataset: { id: c.id }, 'data-testid': 'conversation' },
        h('span', { class: 'who' }, staff ? c.customer.username : `conversation of ${new Date(c.createdAt).toLocaleString()}`),
        staff && urgencyBadge(c.urgency ?? null),
        staff && claimBadge(c.claim ?? false),
        h('span', { class: 'meta' }, `${c.lastSeq} msg${c.status === 'closed' ? ', closed' : ''}`),
      ),
    );
    list.replaceChildren(...items);
  };
  list.addEventListener('click', (event) => {
    const item = (event.target as HTMLElement).closest('li');
    const conversation = item?.dataset.id ? known.get(item.dataset.id) : undefined;
    if (!conversation) return;
    selected = conversation.id;
    chat.open(conversation.id, staff ? `Conversation with ${conversation.customer.username}` : 'Support');
    render();
  });

  create.hidden = staff;
  create.addEventListener('click', async () => {
    const conversation = await api<ConversationView>('/api/conversations', { method: 'POST', token: session.token });
    known.set(conversation.id, conversation);
    selected = conversation.id;
    render();
    chat.open(conversation.id, 'Support');
  });

  if (staff) relay.watch();
  else for (const c of (await api<{ conversations: ConversationView[] }>('/api/conversations', { token: session.token })).conversations) known.set(c.id, c);
  render();

  return {
    onFrame(frame) {
      if (frame.type !== 'conversation') return;
      known.set(frame.conversation.id, frame.conversation);
      render();
    },
  };
}
