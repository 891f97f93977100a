import type { LabelResult } from '../../../labels.js';
import { api } from './api.js';
import { urgencyBadge } from './badges.js';
import { h } from './dom.js';

// Agents correct a customer message's labels here: each label is a chip; a click turns it
// into a list of the field's values, and picking one posts the correction. The new labels
// come back as a `labels` frame (to every agent in the room), which redraws the chips.

type Field = 'is_claim' | 'sentiment' | 'topic' | 'incident' | 'urgency';
const FIELDS: readonly Field[] = ['urgency', 'is_claim', 'sentiment', 'topic', 'incident'];

let fields: Promise<Record<Field, string[]>> | undefined;
/** The values of each field, from the server's one schema (asked once). */
const fieldValues = (token: string): Promise<Record<Field, string[]>> =>
  (fields ??= api<{ fields: Record<Field, string[]> }>('/api/corrections/fields', { token }).then((r) => r.fields));

const shown = (field: Field, value: string): string => (field === 'is_claim' ? (value === 'true' ? 'claim' : 'no claim') : value);

function chip(field: Field, value: string): HTMLElement {
  if (field === 'urgency') {
    const badge = urgencyBadge(value as 'low' | 'medium' | 'high');
    badge.dataset.field = field;
    badge.classList.add('chip');
    badge.title = 'click to correct';
    return badge;
  }
  return h('span', { class: `badge chip${field === 'is_claim' && value === 'true' ? ' claim' : ''}`, dataset: { field }, title: 'click to correct' }, shown(field, value));
}

export interface CorrectionTarget {
  readonly token: string;
  readonly conversationId: string;
  readonly seq: number;
  /** Shown when the server refuses the correction. */
  readonly onError: (message: string) => void;
}

/** The labels of one message as chips; with a target, each chip can be corrected. */
export function labelChips(labels: LabelResult, target?: CorrectionTarget): HTMLElement {
  const values: Record<Field, string> = { is_claim: String(labels.is_claim), sentiment: labels.sentiment, topic: labels.topic, incident: labels.incident, urgency: labels.urgency };
  const line = h('div', { class: `labels${labels.provider === 'correction' ? ' corrected' : ''}`, 'data-testid': 'labels' }, ...FIELDS.map((f) => chip(f, values[f])));
  if (!target) return line;
  line.addEventListener('click', async (event) => {
    const clicked = (event.target as HTMLElement).closest<HTMLElement>('.chip');
    const field = clicked?.dataset.field as Field | undefined;
    if (!clicked || !field) return;
    const options = (await fieldValues(target.token))[field];
    const select = h('select', { dataset: { field }, 'aria-label': `correct ${field}` }, ...options.map((v) => {
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
        select.replaceWith(chip(field, values[field]));
      }
    });
    clicked.replaceWith(select);
    select.focus();
  });
  return line;
}
