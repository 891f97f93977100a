import { byId, h } from './dom.js';
import { labelChips } from './label-editor.js';
import type { LabelTable } from './label-table.js';
import type { Frame, RelayClient } from './relay-client.js';

export interface ChatPane {
  open(conversationId: string, title: string): void;
  onFrame(frame: Frame): void;
}

/**
 * One conversation: its messages (with labels for agents), live, and a box to write. With a
 * token (agents, admins), each label chip can be corrected.
 */
export function createChatPane(relay: RelayClient, me: string, table: LabelTable, token?: string): ChatPane {
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
        // A later frame for the same message (a correction) replaces the chips.
        const chips = labelChips(frame.labels, table, token ? { token, conversationId: frame.conversationId, seq: frame.seq, onError: (message) => (notice.textContent = message) } : undefined);
        const existing = row?.querySelector('.labels');
        if (existing) existing.replaceWith(chips);
        else row?.append(chips);
      } else if (frame.type === 'conversation' && frame.conversation.id === current && frame.conversation.status === 'closed') {
        notice.textContent = 'This conversation is closed.';
        form.hidden = true;
      } else if (frame.type === 'error' && (frame.conversationId === undefined || frame.conversationId === current)) {
        notice.textContent = frame.message;
      }
    },
  };
}
