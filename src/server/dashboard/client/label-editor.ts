import type { LabelResult } from '../../../labels.js';
import { api } from './api.js';
import { urgencyBadge } from './badges.js';
import { h } from './dom.js';
import { t } from './locale.js';
import type { LabelTable } from './label-table.js';

// Agents correct a customer message's labels here: each label is a chip; a click turns it
// into a list of the field's values, and picking one posts the correction. The new labels
// come back as a `labels` frame (to every agent in the room), which redraws the chips.

const shown = (field: string, value: string): string => (field === 'is_claim' ? t(value === 'true' ? 'label.claim' : 'label.no-claim') : value);

function chip(field: string, value: string): HTMLElement {
  if (field === 'urgency') {
    const badge = urgencyBadge(value as 'low' | 'medium' | 'high');
    badge.dataset.field = field;
    badge.classList.add('chip');
    badge.title = t('label.correct-hint');
    return badge;
  }
  return h('span', { class: `badge chip${field === 'is_claim' && value === 'true' ? ' claim' : ''}`, dataset: { field }, title: t('label.correct-hint') }, shown(field, value));
}

export interface CorrectionTarget {
  readonly token: string;
  readonly conversationId: string;
  readonly seq: number;
  /** Shown when the server refuses the correction. */
  readonly onError: (message: string) => void;
}

/**
 * The labels of one message as chips, in the label table's fields (urgency and claim first);
 * with a target, each chip can be corrected to any value the table lists.
 */
export function labelChips(labels: LabelResult, table: LabelTable, target?: CorrectionTarget): HTMLElement {
  const raw = labels as unknown as Record<string, unknown>;
  const values: Record<string, string> = Object.fromEntries(table.fields.map((f) => [f.name, String(raw[f.name])]));
  const first = ['urgency', 'is_claim'];
  const order = [...first.filter((f) => f in values), ...table.fields.map((f) => f.name).filter((f) => !first.includes(f))];
  const line = h('div', { class: `labels${labels.provider === 'correction' ? ' corrected' : ''}`, 'data-testid': 'labels' }, ...order.map((f) => chip(f, values[f]!)));
  if (!target) return line;
  line.addEventListener('click', (event) => {
    const clicked = (event.target as HTMLElement).closest<HTMLElement>('.chip');
    const field = clicked?.dataset.field;
    const options = table.fields.find((f) => f.name === field)?.values;
    if (!clicked || !field || !options) return;
    const select = h('select', { dataset: { field }, 'aria-label': t('label.correct-field', { field }) }, ...options.map((v) => {
      const option = h('option', { value: v }, shown(field, v));
      option.selected = v === values[field];
      return option;
    }));
    select.addEventListener('change', async () => {
      const value = field === 'is_claim' ? select.value === 'true' : select.value;
      try {
        await api('/api/corrections', { method: 'POST', token: target.token, json: { conversationId: target.conversationId, seq: target.seq, labels: { [field]: value } } });
      } catch (err) {
        target.onError((err as Error).message);
        select.replaceWith(chip(field, values[field]!));
      }
    });
    clicked.replaceWith(select);
    select.focus();
  });
  return line;
}
