import { byId } from './dom.js';

// On a phone (the CSS switches under 768 px) the conversation list is a drawer over the chat:
// the header's button opens it, picking a conversation or Escape closes it, focus follows.

export interface Drawer {
  close(): void;
}

export function createDrawer(): Drawer {
  const toggle = byId<HTMLButtonElement>('drawer-toggle');
  const closer = byId<HTMLButtonElement>('drawer-close');
  const pane = byId<HTMLElement>('list-pane');
  toggle.hidden = false;
  const set = (open: boolean): void => {
    const was = document.body.classList.contains('drawer-open');
    document.body.classList.toggle('drawer-open', open);
    toggle.setAttribute('aria-expanded', String(open));
    if (open && !was) pane.querySelector<HTMLElement>('button, input, select')?.focus();
    if (!open && was && pane.contains(document.activeElement)) toggle.focus();
  };
  toggle.addEventListener('click', () => set(!document.body.classList.contains('drawer-open')));
  closer.addEventListener('click', () => set(false));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') set(false);
  });
  return { close: () => set(false) };
}
