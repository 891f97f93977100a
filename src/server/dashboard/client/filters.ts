import { ApiError, type Session } from './api.js';
import { shownName, type ConsoleApi, type ConsoleState } from './console-api.js';
import type { ConversationList } from './conversation-list.js';
import { byId, h } from './dom.js';
import type { LabelTable } from './label-table.js';
import { onLocaleChange, t } from './locale.js';
import type { Frame } from './relay-client.js';

export interface Filters {
  onFrame(frame: Frame): void;
}

// Dates are picked in the agent's own day: a bound is sent as the instant its local midnight is.
const localMidnight = (date: string, plusDays = 0): string => {
  const d = new Date(`${date}T00:00:00`);
  d.setDate(d.getDate() + plusDays);
  return d.toISOString();
};

/**
 * The search box and filters over the list: the server searches the message texts (it
 * decrypts them in memory) and applies the filters; the list then shows only the answer,
 * searched again when a conversation changes.
 */
export function createFilters(session: Session, consoleApi: ConsoleApi, state: ConsoleState, table: LabelTable, list: ConversationList): Filters {
  const form = byId<HTMLFormElement>('filters');
  const status = byId<HTMLElement>('filter-status');
  const staff = session.user.role !== 'customer';
  form.querySelectorAll<HTMLElement>('.staff').forEach((node) => (node.hidden = !staff));
  const owner = form.elements.namedItem('owner') as HTMLSelectElement;
  for (const a of state.agents) owner.append(h('option', { value: a.username }, shownName(a)));
  const topic = form.elements.namedItem('topic') as HTMLSelectElement;
  for (const value of table.fields.find((f) => f.name === 'topic')?.values ?? []) topic.append(h('option', { value }, value));

  let active: URLSearchParams | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let shownCount = 0;

  function query(): URLSearchParams | undefined {
    const data = new FormData(form);
    const params = new URLSearchParams();
    data.forEach((value, name) => {
      const v = String(value).trim();
      if (v === '') return;
      if (name === 'from') params.set('from', localMidnight(v));
      else if (name === 'to') params.set('to', localMidnight(v, 1));
      else params.set(name, v);
    });
    return [...params.keys()].length > 0 ? params : undefined;
  }

  const showCount = (): void => {
    status.textContent = active ? t('filters.results', { count: shownCount }) : '';
  };

  async function apply(): Promise<void> {
    active = query();
    if (!active) {
      list.showOnly(undefined);
      shownCount = 0;
      showCount();
      return;
    }
    try {
      const found = await consoleApi.search(active);
      list.showOnly(found.conversations);
      shownCount = found.conversations.length;
      showCount();
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.message : String(err);
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void apply();
  });
  // Selects and dates apply at once; the text waits for Enter or the button.
  form.addEventListener('change', (event) => {
    if ((event.target as HTMLElement).id !== 'filter-q') void apply();
  });
  form.addEventListener('reset', () => setTimeout(() => void apply()));
  onLocaleChange(showCount);

  return {
    onFrame(frame) {
      if (!active || (frame.type !== 'conversation' && frame.type !== 'labels')) return;
      clearTimeout(timer);
      timer = setTimeout(() => void apply(), 400);
    },
  };
}
