import type { CannedReply } from '../../../replies/store.js';
import { api } from './api.js';
import { h } from './dom.js';

// Canned replies in the message input: typing "/" then letters lists the replies whose
// shortcut or title matches; Enter or Tab (or a click) puts the reply's text in place of
// "/shortcut", ready to edit before sending. Titles and texts go in as text nodes.

// The list is fetched again when older than this, so an admin's change reaches open tabs.
const STALE_MS = 60_000;
const SHOWN = 8;

export interface ReplyPicker {
  /** The replies shown for the input's current text (tests and the admin page use the same filter). */
  matches(query: string): CannedReply[];
}

/** The `/query` being typed: from a "/" at the start or after a space, to the caret. */
export function slashQuery(value: string, caret: number): { start: number; query: string } | undefined {
  const before = value.slice(0, caret);
  const match = /(^|\s)\/([\p{L}\p{N}_-]*)$/u.exec(before);
  return match ? { start: before.length - match[2]!.length - 1, query: match[2]!.toLowerCase() } : undefined;
}

export function filterReplies(replies: readonly CannedReply[], query: string): CannedReply[] {
  const q = query.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  const fold = (s: string): string => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  const prefix = replies.filter((r) => r.shortcut.startsWith(q));
  const title = replies.filter((r) => !r.shortcut.startsWith(q) && fold(r.title).includes(q));
  return [...prefix, ...title].slice(0, SHOWN);
}

export function attachReplyPicker(input: HTMLInputElement | HTMLTextAreaElement, token: string): ReplyPicker {
  let replies: CannedReply[] = [];
  let fetchedAt = 0;
  let shown: CannedReply[] = [];
  let active = 0;
  const box = h('ul', { id: 'reply-suggestions', role: 'listbox', 'aria-label': 'Canned replies', hidden: true });
  input.insertAdjacentElement('afterend', box);
  input.setAttribute('aria-controls', 'reply-suggestions');
  input.setAttribute('aria-autocomplete', 'list');

  const load = async (): Promise<void> => {
    if (Date.now() - fetchedAt < STALE_MS) return;
    fetchedAt = Date.now();
    try {
      replies = (await api<{ replies: CannedReply[] }>('/api/replies', { token })).replies;
    } catch {
      fetchedAt = 0;
    }
  };

  const close = (): void => {
    box.hidden = true;
    shown = [];
    input.removeAttribute('aria-activedescendant');
  };

  const render = (): void => {
    const found = slashQuery(input.value, input.selectionStart ?? input.value.length);
    shown = found ? filterReplies(replies, found.query) : [];
    if (shown.length === 0) return close();
    active = Math.min(active, shown.length - 1);
    box.replaceChildren(
      ...shown.map((r, i) =>
        h(
          'li',
          { id: `reply-${i}`, role: 'option', 'aria-selected': i === active ? 'true' : 'false', class: i === active ? 'active' : undefined, dataset: { shortcut: r.shortcut } },
          h('strong', {}, `/${r.shortcut}`),
          ' ',
          h('span', { class: 'reply-title' }, r.title),
          h('span', { class: 'reply-body' }, r.body),
        ),
      ),
    );
    box.hidden = false;
    input.setAttribute('aria-activedescendant', `reply-${active}`);
  };

  const insert = (reply: CannedReply): void => {
    const caret = input.selectionStart ?? input.value.length;
    const found = slashQuery(input.value, caret);
    if (!found) return;
    input.value = input.value.slice(0, found.start) + reply.body + input.value.slice(caret);
    const at = found.start + reply.body.length;
    input.setSelectionRange(at, at);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    close();
    input.focus();
  };

  input.addEventListener('input', () => {
    if (!slashQuery(input.value, input.selectionStart ?? input.value.length)) return close();
    active = 0;
    void load().then(render);
    render();
  });
  // Capture phase, on the form: runs before the input's own Enter-sends handler, if any.
  (input.form ?? input).addEventListener(
    'keydown',
    (event) => {
      const e = event as KeyboardEvent;
      if (box.hidden || shown.length === 0 || e.target !== input) return;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        active = (active + (e.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
        render();
      } else if (e.key === 'Enter' || e.key === 'Tab') insert(shown[active]!);
      else if (e.key === 'Escape') close();
      else return;
      e.preventDefault();
      e.stopImmediatePropagation();
    },
    true,
  );
  box.addEventListener('mousedown', (event) => {
    const li = (event.target as HTMLElement).closest('li');
    const reply = shown.find((r) => r.shortcut === li?.dataset.shortcut);
    if (!reply) return;
    event.preventDefault();
    insert(reply);
  });
  input.addEventListener('blur', () => setTimeout(close, 150));

  return { matches: (query) => filterReplies(replies, query) };
}
