import type { ConversationView } from '../../relay/store.js';
import { ApiError, type Session } from './api.js';
import { shownName, type ConsoleApi, type ConsoleState } from './console-api.js';
import { byId, h } from './dom.js';
import { onLocaleChange, t } from './locale.js';
import type { Frame } from './relay-client.js';

export interface ConversationActions {
  show(conversation: ConversationView): void;
  onFrame(frame: Frame): void;
}

/**
 * The open conversation's status and owner, above the messages: assign to me or to another
 * agent, mark pending, resolve, reopen (agents and admins); customers may only resolve.
 * The new state comes back as a `conversation` frame, which redraws these.
 */
export function createConversationActions(session: Session, consoleApi: ConsoleApi, state: ConsoleState, onSelfAssign: (id: string) => void): ConversationActions {
  const box = byId<HTMLElement>('chat-actions');
  const status = byId<HTMLElement>('chat-status');
  const assignMe = byId<HTMLButtonElement>('assign-me');
  const assignTo = byId<HTMLSelectElement>('assign-to');
  const pending = byId<HTMLButtonElement>('mark-pending');
  const close = byId<HTMLButtonElement>('close-conversation');
  const reopen = byId<HTMLButtonElement>('reopen-conversation');
  const notice = byId<HTMLElement>('chat-notice');
  const staff = session.user.role !== 'customer';
  let current: ConversationView | undefined;

  const fillAssignees = (): void => {
    assignTo.replaceChildren(
      h('option', { value: '', disabled: true }, t('actions.assign-to')),
      h('option', { value: '-' }, t('actions.unassign')),
      ...state.agents.map((a) => h('option', { value: a.username }, shownName(a))),
    );
  };

  function draw(): void {
    if (!current) return;
    box.hidden = false;
    status.className = `badge status-${current.status}`;
    status.dataset.value = current.status;
    status.textContent = t('actions.status', { status: t(`status.${current.status}`) });
    const closed = current.status === 'closed';
    for (const node of [assignMe, assignTo.parentElement!, pending, reopen]) node.hidden = !staff;
    assignMe.hidden = !staff || current.assignee?.id === session.user.id;
    pending.hidden = !staff || current.status !== 'open';
    close.hidden = closed;
    reopen.hidden = !staff || current.status === 'open';
    assignTo.value = '';
  }

  const run = async (action: () => Promise<ConversationView>): Promise<void> => {
    try {
      current = await action();
      draw();
    } catch (err) {
      notice.textContent = err instanceof ApiError ? err.message : String(err);
    }
  };
  const id = (): string => current!.id;
  assignMe.addEventListener('click', () => {
    onSelfAssign(id());
    void run(() => consoleApi.assign(id(), session.user.username));
  });
  assignTo.addEventListener('change', () => {
    const chosen = assignTo.value;
    if (chosen === '') return;
    if (chosen === session.user.username) onSelfAssign(id());
    void run(() => consoleApi.assign(id(), chosen === '-' ? null : chosen));
  });
  pending.addEventListener('click', () => void run(() => consoleApi.setStatus(id(), 'pending')));
  close.addEventListener('click', () => void run(() => consoleApi.setStatus(id(), 'closed')));
  reopen.addEventListener('click', () => void run(() => consoleApi.setStatus(id(), 'open')));

  fillAssignees();
  onLocaleChange(() => {
    fillAssignees();
    draw();
  });
  return {
    show(conversation) {
      current = conversation;
      draw();
    },
    onFrame(frame) {
      if (frame.type === 'conversation' && frame.conversation.id === current?.id) {
        current = frame.conversation;
        draw();
      }
    },
  };
}
