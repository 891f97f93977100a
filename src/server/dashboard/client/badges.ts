import { h } from './dom.js';

export type Urgency = 'low' | 'medium' | 'high';

export function urgencyBadge(urgency: Urgency | null): HTMLElement {
  return h('span', { class: `badge urgency-${urgency ?? 'none'}`, 'data-testid': 'urgency' }, urgency ?? 'unlabeled');
}

export function claimBadge(claim: boolean): HTMLElement | null {
  return claim ? h('span', { class: 'badge claim', 'data-testid': 'claim' }, 'claim') : null;
}
