import type { ConversationStats } from '../../../admin/stats.js';
import type { Correction } from '../../../corrections/store.js';
import type { CannedReply } from '../../../replies/store.js';
import type { Account } from '../../../store/users.js';
import { api, savedSession, type Session } from './api.js';
import { byId, h } from './dom.js';
import { fetchLabelTable } from './label-table.js';
import { formatDateTime, formatDuration, formatNumber, initLocale, onLocaleChange, t } from './locale.js';
import { keepSession } from './session-keeper.js';

// The admin page: every value drawn here comes from the API and goes in as text.

initLocale(byId<HTMLSelectElement>('lang'));
const ROLES = ['admin', 'agent', 'customer'] as const;

function start(session: Session): void {
  const token = session.token;
  const keeper = keepSession(session);
  const notice = byId('admin-notice');
  const say = (message: string): void => void (notice.textContent = message);
  const fail = (err: unknown): void => say((err as Error).message);
  keeper.onEnded((err) => {
    byId('admin').hidden = true;
    byId('admin-denied').hidden = false;
    say(err.message);
  });
  byId('admin').hidden = false;
  byId('whoami').textContent = session.user.username;

  async function users(): Promise<void> {
    const list = (await api<{ users: Account[] }>('/api/admin/users', { token })).users;
    byId('users-body').replaceChildren(
      ...list.map((u) => {
        const role = h('select', { 'aria-label': `${t('admin.role')} ${u.username}`, 'data-testid': 'role' }, ...ROLES.map((r) => h('option', { value: r, selected: r === u.role }, t(`role.${r}`))));
        role.addEventListener('change', () => void change(`/api/admin/users/${encodeURIComponent(u.username)}/role`, { role: role.value }));
        const toggle = h('button', { type: 'button', 'data-testid': 'toggle' }, t(u.disabled ? 'admin.enable' : 'admin.disable'));
        toggle.addEventListener('click', () => void change(`/api/admin/users/${encodeURIComponent(u.username)}/disabled`, { disabled: !u.disabled }));
        const reset = h('button', { type: 'button', 'data-testid': 'reset' }, t('admin.reset'));
        reset.addEventListener('click', () => {
          const field = h('input', { type: 'password', minlength: 8, 'aria-label': t('admin.new-password', { name: u.username }), 'data-testid': 'new-password' });
          const ok = h('button', { type: 'submit' }, t('admin.reset'));
          const form = h('form', {}, field, ok);
          form.addEventListener('submit', (event) => {
            event.preventDefault();
            void change(`/api/admin/users/${encodeURIComponent(u.username)}/password`, { password: field.value });
          });
          reset.replaceWith(form);
          field.focus();
        });
        return h(
          'tr',
          { class: u.disabled ? 'disabled' : undefined, dataset: { user: u.username } },
          h('td', {}, u.username, u.displayName ? ` (${u.displayName})` : ''),
          h('td', {}, role),
          h('td', { 'data-testid': 'state' }, t(u.disabled ? 'admin.disabled' : 'admin.active')),
          h('td', {}, h('span', { class: 'actions' }, toggle, reset)),
        );
      }),
    );
  }

  async function change(path: string, json: unknown): Promise<void> {
    try {
      await api(path, { method: 'POST', json, token });
      say(t('admin.saved'));
    } catch (err) {
      fail(err);
    }
    await users().catch(fail);
  }

  const addUser = byId<HTMLFormElement>('user-add');
  addUser.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(addUser);
    try {
      await api('/api/admin/users', { method: 'POST', json: { username: data.get('username'), role: data.get('role'), password: data.get('password') }, token });
      addUser.reset();
      say(t('admin.saved'));
      await users();
    } catch (err) {
      fail(err);
    }
  });

  const kpi = (label: string, value: string, id: string): HTMLElement => h('div', { class: 'kpi', 'data-testid': id }, h('span', {}, label), h('span', { class: 'v' }, value));
  async function stats(): Promise<void> {
    const days = byId<HTMLSelectElement>('stats-days').value;
    const s = await api<ConversationStats>(`/api/admin/stats?days=${days}`, { token });
    const urgencies = ['high', 'medium', 'low', 'none'] as const;
    const urgencyName = (u: (typeof urgencies)[number]): string => (u === 'none' ? t('admin.none') : t(`urgency.${u}`));
    byId('stats-kpis').replaceChildren(
      kpi(t('admin.median'), s.medianFirstResponseSeconds === null ? '–' : formatDuration(s.medianFirstResponseSeconds * 1000), 'median'),
      kpi(t('admin.breaches'), `${formatNumber(s.slaBreaches.total)} (${urgencies.map((u) => `${urgencyName(u)} ${formatNumber(s.slaBreaches[u])}`).join(', ')})`, 'breaches'),
      kpi(t('admin.claims'), `${formatNumber(s.claims.claim)} / ${t('admin.no-claims')} ${formatNumber(s.claims.noClaim)}`, 'claims'),
      kpi(t('admin.urgency'), urgencies.map((u) => `${urgencyName(u)} ${formatNumber(s.urgency[u])}`).join(', '), 'urgency'),
    );
    byId('stats-days-table').replaceChildren(
      h('thead', {}, h('tr', {}, h('th', {}, t('admin.date')), h('th', {}, t('admin.stats')), h('th', {}, t('admin.customer-messages')), h('th', {}, t('admin.staff-messages')))),
      h('tbody', {}, ...s.days.map((d) => h('tr', { 'data-testid': 'day', dataset: { date: d.date } }, h('td', {}, d.date), h('td', {}, formatNumber(d.conversations)), h('td', {}, formatNumber(d.customerMessages)), h('td', {}, formatNumber(d.staffMessages))))),
    );
  }
  byId('stats-days').addEventListener('change', () => void stats().catch(fail));

  async function replies(): Promise<void> {
    const list = (await api<{ replies: CannedReply[] }>('/api/replies', { token })).replies;
    byId('replies-list').replaceChildren(
      ...list.map((r) => {
        const remove = h('button', { type: 'button', 'data-testid': 'remove-reply' }, t('admin.remove'));
        remove.addEventListener('click', async () => {
          await api(`/api/replies/${encodeURIComponent(r.shortcut)}`, { method: 'DELETE', token }).catch(fail);
          await replies().catch(fail);
        });
        return h('li', { dataset: { shortcut: r.shortcut } }, h('strong', {}, `/${r.shortcut}`), ' ', h('span', { class: 'reply-title' }, r.title), ' ', remove, h('span', { class: 'reply-body' }, r.body));
      }),
    );
  }
  const addReply = byId<HTMLFormElement>('reply-add');
  addReply.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(addReply);
    const title = String(data.get('title') ?? '').trim();
    try {
      await api('/api/replies', { method: 'POST', json: { shortcut: data.get('shortcut'), ...(title && { title }), body: data.get('body') }, token });
      addReply.reset();
      say(t('admin.saved'));
      await replies();
    } catch (err) {
      fail(err);
    }
  });

  async function corrections(): Promise<void> {
    const [list, table] = await Promise.all([api<{ corrections: Correction[] }>('/api/admin/corrections', { token }).then((r) => r.corrections), fetchLabelTable()]);
    const fields = table.fields.map((f) => f.name as keyof Correction['labels']);
    byId('corrections-body').replaceChildren(
      ...list.map((c) => {
        const changed = fields
          .filter((f) => c.original === null || String(c.original[f]) !== String(c.labels[f]))
          .map((f) => `${f}: ${c.original === null ? '–' : String(c.original[f])} → ${String(c.labels[f])}`)
          .join(', ');
        return h('tr', {}, h('td', {}, formatDateTime(c.createdAt)), h('td', {}, c.correctedBy), h('td', {}, c.text), h('td', {}, changed));
      }),
    );
  }

  const all = (): void => void Promise.all([users(), stats(), replies(), corrections()]).catch(fail);
  all();
  onLocaleChange(all);
}

const session = savedSession();
if (session?.user.role === 'admin') start(session);
else byId('admin-denied').hidden = false;
