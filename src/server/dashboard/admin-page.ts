// The admin page (/admin): accounts, conversation statistics, canned replies and label
// corrections. Same rules as the console page: static text from the catalogue, no inline
// script (helmet's CSP), everything drawn from data as text nodes by ./client/admin.ts.

import { translate, type Locale, type MessageKey } from './client/catalogue.js';
import { ROLES } from '../../store/users.js';

export function renderAdminPage(locale: Locale): string {
  const tx = (key: MessageKey): string => translate(locale, key);
  const text = (key: MessageKey): string => `data-i18n="${key}">${tx(key)}`;
  const roles = ROLES.map((r) => `<option value="${r}">${tx(`role.${r}`)}</option>`).join('');
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${tx('admin.title')}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/style.css">
<link rel="stylesheet" href="/admin/style.css">
<script type="module" src="/dashboard/admin.js"></script>
</head>
<body class="admin">
<header><h1 ${text('admin.title')}</h1> <span id="whoami"></span> <label class="lang"><span class="sr-only" ${text('app.language')}</span><select id="lang"></select></label> <a href="/" ${text('admin.back')}</a></header>
<p id="admin-denied" role="alert" hidden ${text('admin.forbidden')}</p>
<main id="admin" hidden>
  <p id="admin-notice" role="status"></p>
  <section id="admin-users" aria-labelledby="users-title">
    <h2 id="users-title" ${text('admin.users')}</h2>
    <div class="table-wrap"><table><thead><tr><th ${text('admin.user')}</th><th ${text('admin.role')}</th><th ${text('admin.state')}</th><th></th></tr></thead><tbody id="users-body"></tbody></table></div>
    <form id="user-add">
      <h3 ${text('admin.add')}</h3>
      <label><span ${text('admin.user')}</span> <input name="username" required maxlength="32" autocomplete="off"></label>
      <label><span ${text('admin.role')}</span> <select name="role">${roles}</select></label>
      <label><span ${text('admin.password')}</span> <input name="password" type="password" required minlength="8" autocomplete="new-password"></label>
      <button type="submit" ${text('admin.add')}</button>
    </form>
  </section>
  <section id="admin-stats" aria-labelledby="stats-title">
    <h2 id="stats-title" ${text('admin.stats')}</h2>
    <label><span ${text('admin.days')}</span> <select id="stats-days"><option>7</option><option selected>14</option><option>30</option><option>90</option></select></label>
    <div id="stats-kpis" class="kpis"></div>
    <h3 ${text('admin.volume')}</h3>
    <div class="table-wrap"><table id="stats-days-table"></table></div>
  </section>
  <section id="admin-replies" aria-labelledby="replies-title">
    <h2 id="replies-title" ${text('admin.replies')}</h2>
    <ul id="replies-list"></ul>
    <form id="reply-add">
      <label><span ${text('admin.shortcut')}</span> <input name="shortcut" required maxlength="32" autocomplete="off"></label>
      <label><span ${text('admin.reply-title')}</span> <input name="title" maxlength="80" autocomplete="off"></label>
      <label class="wide"><span ${text('admin.reply-text')}</span> <textarea name="body" required maxlength="2000" rows="3"></textarea></label>
      <button type="submit" ${text('admin.add-reply')}</button>
    </form>
  </section>
  <section id="admin-corrections" aria-labelledby="corrections-title">
    <h2 id="corrections-title" ${text('admin.corrections')}</h2>
    <div class="table-wrap"><table><thead><tr><th ${text('admin.when')}</th><th ${text('admin.by')}</th><th ${text('admin.text')}</th><th ${text('admin.change')}</th></tr></thead><tbody id="corrections-body"></tbody></table></div>
  </section>
</main>
</body>
</html>
`;
}

export const ADMIN_CSS = `
body.admin header a { color: #fff; }
#admin { display: grid; gap: 1rem; padding: 1rem; max-width: 72rem; margin: 0 auto; }
#admin section { overflow-x: auto; }
#admin form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin-top: .75rem; }
#admin form h3 { width: 100%; margin: 0; font-size: 1rem; }
#admin label { display: flex; flex-direction: column; gap: .2rem; } #admin label.wide { flex: 1 1 20rem; } #admin-stats > label { display: inline-flex; }
#admin td .actions { display: flex; flex-wrap: wrap; gap: .3rem; }
.kpis { display: flex; flex-wrap: wrap; gap: .5rem; margin: .5rem 0; }
.kpi { border: 1px solid #ddd; border-radius: 6px; padding: .3rem .6rem; display: flex; flex-direction: column; } .kpi .v { font-weight: 600; font-size: 1.1rem; }
#replies-list { list-style: none; padding: 0; } #replies-list li { border-bottom: 1px solid #eee; padding: .4rem 0; }
#replies-list .reply-body { white-space: pre-wrap; color: #445; display: block; }
tr.disabled td { opacity: .6; }
#admin-denied { padding: 2rem; }
`;
