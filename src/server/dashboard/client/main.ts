import { forget, login, savedSession, type Session } from './api.js';
import { createChatPane } from './chat-pane.js';
import { createClassifyPane } from './classify-pane.js';
import { consoleApi } from './console-api.js';
import { createConversationActions } from './conversation-actions.js';
import { createConversationList } from './conversation-list.js';
import { byId } from './dom.js';
import { createDrawer } from './drawer.js';
import { createFilters } from './filters.js';
import { initLocale, t } from './locale.js';
import { fetchLabelTable } from './label-table.js';
import { createNotifier } from './notifier.js';
import { connectRelay, type Frame } from './relay-client.js';
import { attachReplyPicker } from './reply-picker.js';
import { attachFiles } from './attachments.js';
import { discardDraft, guardSession } from './session-ended.js';
import { keepSession } from './session-keeper.js';
import { createTrendsPane, type TrendsPane } from './trends-pane.js';

initLocale(byId<HTMLSelectElement>('lang'));

async function start(session: Session): Promise<void> {
  byId('login').hidden = true;
  byId('app').hidden = false;
  byId('logout').hidden = false;
  byId('admin-link').hidden = session.user.role !== 'admin';
  const staff = session.user.role !== 'customer';
  byId('whoami').textContent = `${session.user.username} (${t(`role.${session.user.role}`)})`;
  byId('classify').hidden = !staff;
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
      online.dataset.i18n = up ? 'app.online' : 'app.offline';
      online.textContent = t(up ? 'app.online' : 'app.offline');
      online.className = up ? 'badge live' : 'badge offline';
    },
    // The session really ended (renewal refused): say so, keep the page and the draft.
    () => guard?.ended(),
  );
  guard = guardSession(keeper, relay);
  const calls = consoleApi(session);
  const [table, state] = await Promise.all([fetchLabelTable(), calls.state()]);
  const chat = createChatPane(relay, session.user, table, calls, staff ? session.token : undefined);
  const trends: TrendsPane | undefined = staff ? createTrendsPane(session) : undefined;
  const notifier = createNotifier();
  const drawer = createDrawer();
  let selfAssign: (id: string) => void = () => undefined;
  const actions = createConversationActions(session, calls, state, (id) => selfAssign(id));
  const conversations = await createConversationList({
    session,
    relay,
    chat,
    state,
    notifier,
    onPick: (conversation) => {
      actions.show(conversation);
      drawer.close();
    },
  });
  selfAssign = conversations.expectSelfAssign;
  const filters = createFilters(session, calls, state, table, conversations);
  deliver = (frame) => {
    // Two summaries of one conversation can come in either order, and the list fetched at
    // start may be later than a frame still on its way: the older is dropped for every pane
    // (the list keeps the latest one it was handed).
    if (frame.type === 'conversation' && (conversations.get(frame.conversation.id)?.version ?? -1) > frame.conversation.version) return;
    conversations.onFrame(frame);
    chat.onFrame(frame);
    actions.onFrame(frame);
    filters.onFrame(frame);
    trends?.onFrame(frame);
  };
  for (const frame of early.splice(0)) deliver(frame);
  if (staff) createClassifyPane(session, table);
  if (staff) attachReplyPicker(byId<HTMLInputElement>('chat-input'), session.token);
  attachFiles(relay, () => chat.current(), session.token);
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
