import { h } from './dom.js';
import { t } from './locale.js';

export type Urgency = 'low' | 'medium' | 'high';

export function urgencyBadge(urgency: Urgency | null): HTMLElement {
  return h('span', { class: `badge urgency-${urgency ?? 'none'}`, 'data-testid': 'urgency', dataset: { value: urgency ?? 'none' } }, t(`urgency.${urgency ?? 'none'}`));
}

export function claimBadge(claim: boolean): HTMLElement | null {
  return claim ? h('span', { class: 'badge claim', 'data-testid': 'claim' }, t('label.claim')) : null;
}
