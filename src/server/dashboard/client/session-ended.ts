import { forget, login, type ApiError } from './api.js';
import type { MessageKey } from './catalogue.js';
import { byId } from './dom.js';
import { t } from './locale.js';
import type { RelayClient } from './relay-client.js';
import type { SessionKeeper } from './session-keeper.js';

// When a session really ends, the page stays as it is (conversation, draft, scroll) and a
// dialog says why and asks for the password again. Logging back in as the same user picks up
// where the tab was: the socket reconnects and resumes, the draft is still in the input.

const DRAFT_KEY = 'fmc.draft';

const REASONS: Readonly<Record<string, MessageKey>> = {
  FMC_ERR_SESSION_EXPIRED: 'session.reason.expired',
  FMC_ERR_SESSION_REVOKED: 'session.reason.revoked',
  FMC_ERR_REFRESH_REUSED: 'session.reason.reused',
};

function draftInput(): HTMLInputElement | HTMLTextAreaElement | null {
  return document.getElementById('chat-input') as HTMLInputElement | HTMLTextAreaElement | null;
}

/** The draft survives a reload too (per tab, like the session): saved as it is typed. */
function keepDraft(): void {
  const input = draftInput();
  if (!input) return;
  const saved = sessionStorage.getItem(DRAFT_KEY);
  if (saved && input.value === '') input.value = saved;
  const save = (): void => sessionStorage.setItem(DRAFT_KEY, input.value);
  input.addEventListener('input', save);
  // The chat pane empties the input when it sends; save after it has.
  input.form?.addEventListener('submit', () => setTimeout(save));
}

export function discardDraft(): void {
  sessionStorage.removeItem(DRAFT_KEY);
}

/** Wires renewals to the socket and a real end of the session to the dialog. */
export function guardSession(keeper: SessionKeeper, relay: RelayClient): { ended(error?: ApiError): void } {
  const dialog = byId<HTMLElement>('session-ended');
  const form = byId<HTMLFormElement>('session-ended-form');
  const reason = byId<HTMLElement>('session-ended-reason');
  const error = byId<HTMLElement>('session-ended-error');
  keepDraft();
  keeper.onRenewed((token) => relay.reauth(token));

  const show = (err?: ApiError): void => {
    if (!dialog.hidden) return;
    const key = (err?.code && REASONS[err.code]) || 'session.reason.other';
    reason.dataset.i18n = key;
    reason.textContent = t(key);
    error.textContent = '';
    dialog.hidden = false;
    form.querySelector<HTMLInputElement>('input[name=password]')?.focus();
  };
  keeper.onEnded(show);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const me = keeper.current().user;
    const password = String(new FormData(form).get('password'));
    try {
      const next = await login(me.username, password);
      form.reset();
      dialog.hidden = true;
      keeper.resume(next);
      relay.reconnect();
    } catch (err) {
      error.textContent = (err as Error).message;
    }
  });
  byId('session-ended-other').addEventListener('click', () => {
    forget();
    location.reload();
  });
  return { ended: show };
}
