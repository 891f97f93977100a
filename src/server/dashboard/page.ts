// The dashboard's one page and its stylesheet. The script is an ES module compiled from
// ./client/ by tsc (no bundler); the page has no inline script, so helmet's CSP stays strict.

import { translate, type Locale, type MessageKey } from './client/catalogue.js';

/**
 * The page in one language: each static text carries its catalogue key (`data-i18n`), so the
 * browser can switch language without a reload; the server fills it in first, so the page
 * paints in the negotiated language.
 */
export function renderPage(locale: Locale): string {
  const tx = (key: MessageKey): string => translate(locale, key);
  const text = (key: MessageKey): string => `data-i18n="${key}">${tx(key)}`;
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<title>${tx('app.title')}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/style.css">
<script type="module" src="/dashboard/main.js"></script>
</head>
<body>
<header>
  <button id="drawer-toggle" type="button" aria-controls="list-pane" aria-expanded="false" hidden><span aria-hidden="true">☰</span> <span class="sr-only" ${text('app.conversations-toggle')}</span></button>
  <h1>fmc</h1>
  <span id="whoami"></span>
  <span id="online" class="badge offline" role="status" ${text('app.offline')}</span>
  <label class="lang"><span class="sr-only" ${text('app.language')}</span><select id="lang"></select></label>
  <button id="logout" type="button" hidden ${text('app.logout')}</button>
</header>
<section id="login">
  <form id="login-form">
    <h2 ${text('login.title')}</h2>
    <label><span ${text('login.username')}</span> <input name="username" autocomplete="username" required></label>
    <label><span ${text('login.password')}</span> <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit" ${text('login.submit')}</button>
    <p id="login-error" role="alert"></p>
  </form>
</section>
<div id="session-ended" role="alertdialog" aria-modal="true" aria-labelledby="session-ended-title" hidden>
  <form id="session-ended-form">
    <h2 id="session-ended-title" ${text('session.ended')}</h2>
    <p id="session-ended-reason"></p>
    <p ${text('session.keep')}</p>
    <label><span ${text('session.password')}</span> <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit" ${text('session.again')}</button>
    <button id="session-ended-other" type="button" ${text('session.other')}</button>
    <p id="session-ended-error" role="alert"></p>
  </form>
</div>
<main id="app" hidden>
  <aside id="list-pane" aria-labelledby="list-title">
    <div class="pane-head">
      <h2 id="list-title" ${text('list.title')}</h2>
      <button id="drawer-close" type="button" class="icon" data-i18n-label="app.close-drawer" aria-label="${tx('app.close-drawer')}">×</button>
    </div>
    <button id="new-conversation" type="button" ${text('list.new')}</button>
    <button id="notify" type="button" hidden ${text('notify.enable')}</button>
    <p id="notify-status" role="status"></p>
    <form id="filters" role="search">
      <label class="wide"><span ${text('filters.search')}</span><input id="filter-q" name="q" type="search" maxlength="200" data-i18n-placeholder="filters.search-placeholder" placeholder="${tx('filters.search-placeholder')}"></label>
      <label><span ${text('filters.status')}</span><select name="status"><option value="" ${text('filters.any')}</option><option value="open" ${text('status.open')}</option><option value="pending" ${text('status.pending')}</option><option value="closed" ${text('status.closed')}</option></select></label>
      <label class="staff"><span ${text('filters.owner')}</span><select name="owner"><option value="" ${text('filters.any')}</option><option value="me" ${text('filters.owner.me')}</option><option value="none" ${text('filters.owner.none')}</option></select></label>
      <label class="staff"><span ${text('filters.urgency')}</span><select name="urgency"><option value="" ${text('filters.any')}</option><option value="high" ${text('urgency.high')}</option><option value="medium" ${text('urgency.medium')}</option><option value="low" ${text('urgency.low')}</option><option value="none" ${text('urgency.none')}</option></select></label>
      <label class="staff"><span ${text('filters.topic')}</span><select name="topic"><option value="" ${text('filters.any')}</option></select></label>
      <label class="staff"><span ${text('filters.claim')}</span><select name="claim"><option value="" ${text('filters.any')}</option><option value="true" ${text('filters.claim.yes')}</option><option value="false" ${text('filters.claim.no')}</option></select></label>
      <label><span ${text('filters.from')}</span><input name="from" type="date"></label>
      <label><span ${text('filters.to')}</span><input name="to" type="date"></label>
      <div class="wide buttons"><button type="submit" ${text('filters.apply')}</button><button type="reset" ${text('filters.reset')}</button></div>
    </form>
    <p id="filter-status" role="status"></p>
    <ul id="conversations"></ul>
  </aside>
  <section id="chat" aria-labelledby="chat-title">
    <div class="chat-head">
      <h2 id="chat-title" ${text('chat.pick')}</h2>
      <div id="chat-actions" hidden>
        <span id="chat-status" class="badge"></span>
        <button id="assign-me" type="button" ${text('actions.assign-me')}</button>
        <label><span class="sr-only" ${text('actions.assign-to')}</span><select id="assign-to"></select></label>
        <button id="mark-pending" type="button" ${text('actions.pending')}</button>
        <button id="close-conversation" type="button" ${text('actions.close')}</button>
        <button id="reopen-conversation" type="button" ${text('actions.reopen')}</button>
      </div>
    </div>
    <ol id="messages" aria-live="polite" aria-relevant="additions" data-i18n-label="chat.messages" aria-label="${tx('chat.messages')}"></ol>
    <p id="chat-notice" role="status"></p>
    <form id="chat-form" hidden>
      <label for="chat-input" class="sr-only" ${text('chat.input')}</label>
      <button id="attach-button" type="button" class="attach" data-i18n-label="attach.button" aria-label="${tx('attach.button')}" title="${tx('attach.button')}">📎</button>
      <input id="attach-file" type="file" accept="image/png,image/jpeg,image/gif,image/webp,application/pdf" hidden>
      <textarea id="chat-input" rows="1" maxlength="4000" data-i18n-placeholder="chat.placeholder" placeholder="${tx('chat.placeholder')}" autocomplete="off" enterkeyhint="send"></textarea>
      <button type="submit" ${text('chat.send')}</button>
    </form>
  </section>
  <section id="classify" hidden>
    <h2 ${text('classify.title')}</h2>
    <form id="classify-form">
      <label><span class="sr-only" ${text('classify.file')}</span><input id="classify-file" type="file" accept=".csv,text/csv" required></label>
      <button type="submit" ${text('classify.submit')}</button>
      <a id="classify-download" hidden ${text('classify.download')}</a>
    </form>
    <p id="classify-status" role="status"></p>
    <div id="classify-charts"></div>
    <div class="table-wrap"><table id="classify-table"></table></div>
  </section>
  <section id="trends" hidden>
    <h2 ${text('trends.title')}</h2>
    <ul id="trends-alerts"></ul>
    <div id="trends-kpis"></div>
    <div id="trends-charts"></div>
  </section>
</main>
</body>
</html>
`;
}

// Phone first in spirit: under 768 px the list is a drawer over the chat, and the chat is
// exactly the viewport under the header (100dvh follows the on-screen keyboard), so the
// input stays in view. Colours keep text at 4.5:1 or more against its background.
export const PAGE_CSS = `
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f4f5f7; overflow-x: hidden; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
[hidden] { display: none !important; }
button, select, input, textarea { font: inherit; }
button { cursor: pointer; }
:focus-visible { outline: 2px solid #1a56db; outline-offset: 2px; }
header { display: flex; gap: .5rem; align-items: center; height: 3rem; padding: 0 .75rem; background: #1d2330; color: #fff; min-width: 0; }
header h1 { font-size: 1.1rem; margin: 0 auto 0 0; min-width: 0; }
header select, header button { max-width: 8rem; flex: none; }
#drawer-toggle { font-size: 1.2rem; line-height: 1; padding: .2rem .5rem; }
#whoami { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
#login { display: grid; place-items: center; padding: 2rem 1rem; }
#login form, section, aside { background: #fff; border-radius: 6px; padding: 1rem; box-shadow: 0 1px 2px #0002; min-width: 0; }
#login label { display: block; margin: .5rem 0; } #login input { display: block; width: 100%; padding: .4rem; }
#app { display: grid; grid-template-columns: 20rem minmax(0, 1fr); grid-template-areas: "list chat" "classify classify" "trends trends"; gap: 1rem; padding: 1rem; }
aside { grid-area: list; display: flex; flex-direction: column; gap: .5rem; height: calc(100dvh - 5rem); overflow-y: auto; }
#chat { grid-area: chat; display: flex; flex-direction: column; height: calc(100dvh - 5rem); min-height: 20rem; }
#classify { grid-area: classify; }
.pane-head, .chat-head { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; }
.pane-head h2, .chat-head h2 { margin: 0; font-size: 1.1rem; margin-right: auto; overflow-wrap: anywhere; }
#drawer-close, #drawer-toggle { display: none; }
.icon { background: none; border: 0; font-size: 1.5rem; line-height: 1; padding: 0 .3rem; }
#chat-actions { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; }
#chat-actions > * { max-width: 100%; min-width: 0; } #assign-to { width: 12rem; max-width: 100%; }
#filters { display: grid; grid-template-columns: 1fr 1fr; gap: .3rem .5rem; font-size: .85rem; }
#filters label { display: flex; flex-direction: column; min-width: 0; } #filters .wide { grid-column: 1 / -1; }
#filters input, #filters select { width: 100%; min-width: 0; padding: .2rem; }
#filters .buttons { display: flex; gap: .5rem; }
#conversations { list-style: none; padding: 0; margin: 0; }
#conversations li { border-bottom: 1px solid #e3e6ec; }
#conversations li > button { display: flex; flex-wrap: wrap; gap: .3rem; align-items: center; width: 100%; text-align: left; background: none; border: 0; padding: .5rem .4rem; color: inherit; }
#conversations li.selected > button { background: #e8eefc; }
#conversations li.closed { opacity: .7; }
#conversations li.overdue > button { box-shadow: inset 4px 0 0 #c5221f; }
.who { font-weight: 600; margin-right: auto; overflow-wrap: anywhere; }
.meta { color: #5a6170; font-size: .8rem; width: 100%; display: flex; flex-wrap: wrap; gap: .2rem .6rem; }
.meta .overdue { color: #b3261e; font-weight: 600; }
.hit { color: #3c4250; font-size: .8rem; width: 100%; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .75rem; background: #e3e6ec; color: #1d2330; }
.urgency-high { background: #c5221f; color: #fff; } .urgency-medium { background: #a15c00; color: #fff; } .urgency-low { background: #1e7e34; color: #fff; }
.claim { background: #6f42c1; color: #fff; } .live { background: #1e7e34; color: #fff; } .offline { background: #5f6368; color: #fff; }
.unread { background: #1a56db; color: #fff; font-weight: 600; }
.status-open { background: #d7f0dd; } .status-pending { background: #fdecc8; } .status-closed { background: #e3e6ec; }
#messages { list-style: none; padding: 0; margin: .5rem 0; flex: 1; min-height: 0; overflow-y: auto; }
#messages li { margin: .3rem 0; padding: .4rem .6rem; border-radius: 8px; background: #f0f2f5; max-width: 85%; width: fit-content; overflow-wrap: anywhere; }
#messages li.mine { margin-left: auto; background: #dce8fd; }
#messages .head { display: flex; flex-wrap: wrap; gap: .2rem .5rem; font-size: .75rem; color: #5a6170; }
#messages .text { white-space: pre-wrap; }
.sender { font-weight: 600; color: #1d2330; } .labels { margin-top: .2rem; display: flex; flex-wrap: wrap; gap: .25rem; }
.chip { cursor: pointer; } .chip:hover { outline: 1px solid #4a6fd8; } .labels.corrected .chip { box-shadow: inset 0 0 0 1px #1d2330; }
#chat-notice:empty, #notify-status:empty, #filter-status:empty { display: none; }
#chat-form { display: flex; gap: .5rem; align-items: flex-end; padding-bottom: env(safe-area-inset-bottom); }
#chat-input { flex: 1; min-width: 0; padding: .5rem; resize: none; max-height: 8rem; border: 1px solid #aab; border-radius: 6px; }
#chat-form button { padding: .5rem .9rem; }
#trends { grid-area: trends; } #trends-kpis { display: flex; flex-wrap: wrap; gap: .5rem; margin: .5rem 0; }
#trends-kpis .kpi { border: 1px solid #ddd; border-radius: 6px; padding: .3rem .6rem; display: flex; flex-direction: column; } #trends-kpis .v { font-weight: 600; font-size: 1.1rem; }
#trends-alerts { color: #b3261e; padding-left: 1.2rem; } #trends-charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.trend-chart { margin: 0; flex: 1 1 20rem; min-width: 0; } .trend-chart svg { width: 100%; height: auto; display: block; }
#classify-form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; } #classify-file { max-width: 100%; }
#classify-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(14rem, 100%), 1fr)); gap: 1rem; }
.chart { margin: 0; } .chart figcaption { font-weight: 600; }
.bar-row { display: grid; grid-template-columns: 7rem 1fr 3rem; align-items: center; gap: .3rem; }
.bar { display: block; height: .8rem; background: #4a6fd8; border-radius: 2px; min-width: 2px; }
.table-wrap { max-height: 40vh; overflow: auto; margin-top: 1rem; }
#session-ended { position: fixed; inset: 0; display: grid; place-items: center; background: #1d233099; z-index: 10; }
#session-ended form { background: #fff; border-radius: 6px; padding: 1rem; max-width: 26rem; box-shadow: 0 2px 8px #0004; }
#session-ended label { display: block; margin: .5rem 0; }
#chat-form { position: relative; } #chat-form .attach { padding: .5rem .6rem; }
.attachment { display: inline-block; margin-top: .2rem; word-break: break-all; }
#reply-suggestions { position: absolute; bottom: 100%; left: 0; right: 0; list-style: none; margin: 0 0 .25rem; padding: .25rem; background: #fff; border: 1px solid #ccd; border-radius: 6px; box-shadow: 0 2px 8px #0003; max-height: 16rem; overflow-y: auto; z-index: 5; }
#reply-suggestions li { padding: .3rem .4rem; cursor: pointer; border-radius: 4px; } #reply-suggestions li.active { background: #e8eefc; }
.reply-title { color: #445; } .reply-body { display: block; color: #667; font-size: .8rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
table { border-collapse: collapse; font-size: .8rem; } td, th { border: 1px solid #ddd; padding: .2rem .4rem; text-align: left; }
@media (max-width: 767px) {
  header { padding: 0 .5rem; gap: .4rem; } #whoami { display: none; }
  #app { display: block; padding: 0; }
  #app > section { border-radius: 0; box-shadow: none; margin-bottom: .5rem; }
  #drawer-toggle:not([hidden]) { display: inline-block; }
  aside { position: fixed; top: 3rem; bottom: 0; left: 0; z-index: 10; width: min(22rem, 88vw); height: auto; border-radius: 0; transform: translateX(-105%); visibility: hidden; transition: transform .2s, visibility .2s; box-shadow: 2px 0 8px #0004; }
  body.drawer-open aside { transform: none; visibility: visible; }
  #drawer-close { display: inline-block; }
  #chat { height: calc(100dvh - 3rem); min-height: 0; padding: .5rem; }
  #messages li { max-width: 92%; }
}
`;
