import type { LabelResult } from '../../../labels.js';
import { claimBadge, urgencyBadge } from './badges.js';
import { byId, h } from './dom.js';
import type { LabelTable } from './label-table.js';
import type { Frame, RelayClient } from './relay-client.js';

export interface ChatPane {
  open(conversationId: string, title: string): void;
  onFrame(frame: Frame): void;
}

/** Urgency and claim first, with their own badges; every other field of the table after them. */
function labelLine(labels: LabelResult, table: LabelTable): HTMLElement {
  const values = labels as unknown as Record<string, unknown>;
  const rest = table.fields.filter((f) => f.name !== 'urgency' && f.name !== 'is_claim').map((f) => h('span', { class: 'badge' }, String(values[f.name])));
  return h('div', { class: 'labels', 'data-testid': 'labels' }, urgencyBadge(labels.urgency), claimBadge(labels.is_claim), ...rest);
}

/** One conversation: its messages (with labels for agents), live, and a box to write. */
export function createChatPane(relay: RelayClient, me: string, table: LabelTable): ChatPane {
  const list = byId<HTMLOListElement>('messages');
  const form = byId<HTMLFormElement>('chat-form');
  const input = byId<HTMLInputElement>('chat-input');
  const title = byId<HTMLElement>('chat-title');
  const notice = byId<HTMLElement>('chat-notice');
  let current: string | undefined;
  const rows = new Map<number, HTMLLIElement>();

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!current || text === '') return;
    relay.send(current, text);
    input.value = '';
  });

  return {
    open(conversationId, name) {
      if (current && current !== conversationId) relay.leave(current);
      current = conversationId;
      rows.clear();
      list.replaceChildren();
      notice.textContent = '';
      title.textContent = name;
      form.hidden = false;
      relay.join(conversationId);
    },
    onFrame(frame) {
      if (frame.type === 'message' && frame.conversationId === current) {
        if (rows.has(frame.seq)) return;
        const row = h(
          'li',
          { class: frame.sender.username === me ? 'mine' : frame.sender.role, dataset: { seq: String(frame.seq) } },
          h('span', { class: 'sender' }, frame.sender.username),
          h('span', { class: 'text' }, frame.text),
        );
        rows.set(frame.seq, row);
        list.append(row);
        row.scrollIntoView({ block: 'end' });
      } else if (frame.type === 'labels' && frame.conversationId === current) {
        const row = rows.get(frame.seq);
        if (row && !row.querySelector('.labels')) row.append(labelLine(frame.labels, table));
      } else if (frame.type === 'conversation' && frame.conversation.id === current && frame.conversation.status === 'closed') {
        notice.textContent = 'This conversation is closed.';
        form.hidden = true;
      } else if (frame.type === 'error' && (frame.conversationId === undefined || frame.conversationId === current)) {
        notice.textContent = frame.message;
      }
    },
  };
}
