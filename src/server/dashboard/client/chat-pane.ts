import type { ConversationView } from '../../relay/store.js';
import type { AttachmentMeta } from '../../../attachments/store.js';
import { attachmentLink } from './attachments.js';
import type { ConsoleApi } from './console-api.js';
import { byId, h } from './dom.js';
import { labelChips } from './label-editor.js';
import type { LabelTable } from './label-table.js';
import { formatDateTime, formatTime, onLocaleChange, t } from './locale.js';
import type { Frame, RelayClient } from './relay-client.js';

export interface ChatPane {
  open(conversation: ConversationView): void;
  /** The open conversation's id, if any. */
  current(): string | undefined;
  onFrame(frame: Frame): void;
}

export interface ChatUser {
  readonly id: number;
  readonly role: 'admin' | 'agent' | 'customer';
}

interface Shown {
  // A customer is not sent a staff sender's login (username): the display name or "agent" stands for it.
  readonly sender: { readonly id: number; readonly username?: string; readonly role: string; readonly displayName?: string };
  readonly text: string;
  readonly createdAt: string;
  /** Own messages: sent (on its way, not yet acknowledged), stored (the server acknowledged it). */
  state?: 'sent' | 'stored';
  seq?: number;
  attachment?: AttachmentMeta;
}

/**
 * One conversation: its messages (time, sender, delivery state of one's own; labels for
 * agents), live, and a box to write in (Enter sends, Shift+Enter makes a new line). With a
 * token (agents, admins), each label chip can be corrected.
 */
export function createChatPane(relay: RelayClient, me: ChatUser, table: LabelTable, consoleApi: ConsoleApi, token?: string): ChatPane {
  const list = byId<HTMLOListElement>('messages');
  const form = byId<HTMLFormElement>('chat-form');
  const input = byId<HTMLTextAreaElement>('chat-input');
  const title = byId<HTMLElement>('chat-title');
  const notice = byId<HTMLElement>('chat-notice');
  const staff = me.role !== 'customer';
  let current: ConversationView | undefined;
  // By seq once stored; by clientId while on the way.
  const rows = new Map<number, { row: HTMLLIElement; shown: Shown }>();
  const outgoing = new Map<string, { row: HTMLLIElement; shown: Shown }>();
  let readUpTo = 0;

  // Customers see the agent's display name, or "Support agent": never a login.
  const senderName = (s: Shown['sender']): string => (s.id === me.id ? t('chat.you') : staff || s.role === 'customer' ? (s.displayName ?? s.username ?? '') : (s.displayName ?? t('chat.agent')));

  function draw(shown: Shown): HTMLLIElement {
    const mine = shown.sender.id === me.id;
    const state = shown.state === 'sent' ? 'sent' : 'stored';
    return h(
      'li',
      { class: mine ? 'mine' : shown.sender.role, dataset: shown.seq === undefined ? {} : { seq: String(shown.seq) } },
      h(
        'div',
        { class: 'head' },
        h('span', { class: 'sender' }, senderName(shown.sender)),
        h('time', { datetime: shown.createdAt, title: formatDateTime(shown.createdAt) }, formatTime(shown.createdAt)),
        mine ? h('span', { class: 'state', 'data-testid': 'state', dataset: { state } }, t(`chat.state.${state}`)) : null,
      ),
      h('div', { class: 'text' }, shown.text),
      shown.attachment ? attachmentLink(shown.attachment) : null,
    );
  }

  function place(entry: { row: HTMLLIElement; shown: Shown }, replacing?: HTMLLIElement): void {
    if (replacing) replacing.replaceWith(entry.row);
    else list.append(entry.row);
    entry.row.scrollIntoView({ block: 'end' });
  }

  function markRead(seq: number): void {
    if (!current || seq <= readUpTo) return;
    readUpTo = seq;
    consoleApi.markRead(current.id, seq);
  }

  function showState(conversation: ConversationView): void {
    const closed = conversation.status === 'closed';
    form.hidden = closed;
    if (closed) notice.dataset.i18n = 'chat.closed';
    else delete notice.dataset.i18n;
    notice.textContent = closed ? t('chat.closed') : '';
  }

  const send = (): void => {
    const text = input.value.trim();
    if (!current || text === '') return;
    const clientId = relay.send(current.id, text);
    const shown: Shown = { sender: { id: me.id, username: '', role: me.role }, text, createdAt: new Date().toISOString(), state: 'sent' };
    const entry = { row: draw(shown), shown };
    outgoing.set(clientId, entry);
    place(entry);
    input.value = '';
    fit();
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    send();
  });
  // The box grows with its text, up to the CSS max-height, then scrolls.
  const fit = (): void => {
    input.style.height = 'auto';
    input.style.height = `${input.scrollHeight + 2}px`;
  };
  input.addEventListener('input', fit);
  input.addEventListener('keydown', (event) => {
    // Enter sends; Shift+Enter is a new line; an IME composing (accents, Asian scripts) keeps its Enter.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });

  onLocaleChange(() => {
    if (current) title.textContent = staff ? t('chat.with', { name: current.customer.username }) : t('chat.support');
    for (const entries of [rows, outgoing]) for (const entry of entries.values()) {
      const row = draw(entry.shown);
      entry.row.replaceWith(row);
      const labels = entry.row.querySelector('.labels');
      if (labels) row.append(labels);
      entry.row = row;
    }
  });

  return {
    current: () => current?.id,
    open(conversation) {
      if (current && current.id !== conversation.id) relay.leave(current.id);
      const same = current?.id === conversation.id;
      current = conversation;
      if (!same) {
        rows.clear();
        outgoing.clear();
        list.replaceChildren();
        readUpTo = 0;
      }
      delete title.dataset.i18n;
      title.textContent = staff ? t('chat.with', { name: conversation.customer.username }) : t('chat.support');
      showState(conversation);
      if (!same) relay.join(conversation.id);
      if (!form.hidden) input.focus({ preventScroll: true });
    },
    onFrame(frame) {
      if (!current) return;
      if (frame.type === 'ack' && frame.conversationId === current.id) {
        const entry = outgoing.get(frame.clientId);
        if (!entry) return;
        outgoing.delete(frame.clientId);
        entry.shown.state = 'stored';
        entry.shown.seq = frame.seq;
        const old = rows.get(frame.seq);
        const row = draw(entry.shown);
        // The room's copy may have come first: the acknowledged row takes its place.
        if (old) old.row.remove();
        place({ row, shown: entry.shown }, entry.row);
        entry.row = row;
        rows.set(frame.seq, entry);
        markRead(frame.seq);
      } else if (frame.type === 'message' && frame.conversationId === current.id) {
        markRead(frame.seq);
        if (rows.has(frame.seq)) return;
        // One's own message from another tab, or from before a reload: stored, by definition.
        const shown: Shown = {
          sender: frame.sender,
          text: frame.text,
          createdAt: frame.createdAt,
          seq: frame.seq,
          ...(frame.sender.id === me.id && { state: 'stored' as const }),
          ...(frame.attachment && { attachment: frame.attachment }),
        };
        const entry = { row: draw(shown), shown };
        rows.set(frame.seq, entry);
        place(entry);
      } else if (frame.type === 'labels' && frame.conversationId === current.id) {
        const row = rows.get(frame.seq)?.row;
        // A later frame for the same message (a correction) replaces the chips.
        const chips = labelChips(frame.labels, table, token ? { token, conversationId: frame.conversationId, seq: frame.seq, onError: (message) => (notice.textContent = message) } : undefined);
        const existing = row?.querySelector('.labels');
        if (existing) existing.replaceWith(chips);
        else row?.append(chips);
      } else if (frame.type === 'conversation' && frame.conversation.id === current.id) {
        current = frame.conversation;
        showState(frame.conversation);
      } else if (frame.type === 'error' && (frame.conversationId === undefined || frame.conversationId === current.id)) {
        notice.textContent = frame.message;
      }
    },
  };
}
