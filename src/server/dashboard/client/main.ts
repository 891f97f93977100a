import { forget, login, savedSession, type Session } from './api.js';
import { createChatPane } from './chat-pane.js';
import { createClassifyPane } from './classify-pane.js';
import { createConversationList } from './conversation-list.js';
import { byId } from './dom.js';
import { fetchLabelTable } from './label-table.js';
import { connectRelay, type Frame } from './relay-client.js';
import { attachReplyPicker } from './reply-picker.js';
import { discardDraft, guardSession } from './session-ended.js';
import { keepSession } from './session-keeper.js';
import { createTrendsPane, type TrendsPane } from './trends-pane.js';

async function start(session: Session): Promise<void> {
  byId('login').hidden = true;
  byId('app').hidden = false;
  byId('whoami').textContent = `${session.user.username} (${session.user.role})`;
  byId('classify').hidden = session.user.role === 'customer';
  const online = byId('online');
  const keeper = keepSession(session);
  let guard: ReturnType<typeof guardSession> | undefined;
  // Frames can arrive while the list is still loading: they wait here instead of being lost.
  let deliver: ((frame: Frame) => void) | undefined;
  const early: Frame[] = [];
  const relay = connectRelay(
    session.token,
    (frame) => (deliver ? deliver(frame) : early.push(frame)),
    (up) => {
      online.textContent = up ? 'live' : 'offline';
      online.className = up ? 'badge live' : 'badge offline';
    },
    // The session really ended (renewal refused): say so, keep the page and the draft.
    () => guard?.ended(),
  );
  guard = guardSession(keeper, relay);
  const table = await fetchLabelTable();
  const chat = createChatPane(relay, session.user.username, table, session.user.role === 'customer' ? undefined : session.token);
  const trends: TrendsPane | undefined = session.user.role === 'customer' ? undefined : createTrendsPane(session);
  const conversations = await createConversationList(session, relay, chat);
  deliver = (frame) => {
    conversations.onFrame(frame);
    chat.onFrame(frame);
    trends?.onFrame(frame);
  };
  for (const frame of early.splice(0)) deliver(frame);
  if (session.user.role !== 'customer') createClassifyPane(session, table);
  if (session.user.role !== 'customer') attachReplyPicker(byId<HTMLInputElement>('chat-input'), session.token);
  byId('logout').addEventListener('click', async () => {
    relay.close();
    await keeper.logout();
    forget();
    discardDraft();
    location.reload();
  });
}

const form = byId<HTMLFormElement>('login-form');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  try {
    await start(await login(String(data.get('username')), String(data.get('password'))));
  } catch (err) {
    byId('login-error').textContent = (err as Error).message;
  }
});

const saved = savedSession();
if (saved) start(saved).catch(() => forget());
