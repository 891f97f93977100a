// The dashboard's one page and its stylesheet. The script is an ES module compiled from
// ./client/ by tsc (no bundler); the page has no inline script, so helmet's CSP stays strict.

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fmc dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/style.css">
<script type="module" src="/dashboard/main.js"></script>
</head>
<body>
<header><h1>fmc</h1><span id="whoami"></span> <span id="online" class="badge offline">offline</span> <button id="logout" type="button">Log out</button></header>
<section id="login">
  <form id="login-form">
    <h2>Log in</h2>
    <label>User name <input name="username" autocomplete="username" required></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit">Log in</button>
    <p id="login-error" role="alert"></p>
  </form>
</section>
<div id="session-ended" role="alertdialog" aria-modal="true" aria-labelledby="session-ended-title" hidden>
  <form id="session-ended-form">
    <h2 id="session-ended-title">Session ended</h2>
    <p id="session-ended-reason"></p>
    <p>Your draft is kept. Enter your password to continue where you were.</p>
    <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit">Log in again</button>
    <button id="session-ended-other" type="button">Another account</button>
    <p id="session-ended-error" role="alert"></p>
  </form>
</div>
<main id="app" hidden>
  <aside>
    <h2>Conversations</h2>
    <button id="new-conversation" type="button">New conversation</button>
    <ul id="conversations"></ul>
  </aside>
  <section id="chat">
    <h2 id="chat-title">Pick a conversation</h2>
    <ol id="messages"></ol>
    <p id="chat-notice" role="status"></p>
    <form id="chat-form" hidden>
      <input id="chat-input" maxlength="4000" placeholder="Write a message" autocomplete="off">
      <button type="submit">Send</button>
    </form>
  </section>
  <section id="classify" hidden>
    <h2>Classify a file</h2>
    <form id="classify-form">
      <input id="classify-file" type="file" accept=".csv,text/csv" required>
      <button type="submit">Classify</button>
      <a id="classify-download" hidden>Download labeled CSV</a>
    </form>
    <p id="classify-status" role="status"></p>
    <div id="classify-charts"></div>
    <div class="table-wrap"><table id="classify-table"></table></div>
  </section>
  <section id="trends" hidden>
    <h2>Trends</h2>
    <ul id="trends-alerts"></ul>
    <div id="trends-kpis"></div>
    <div id="trends-charts"></div>
  </section>
</main>
</body>
</html>
`;

export const PAGE_CSS = `
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f4f5f7; }
header { display: flex; gap: .75rem; align-items: center; padding: .5rem 1rem; background: #1d2330; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0 auto 0 0; }
[hidden] { display: none !important; }
#login { display: grid; place-items: center; padding: 3rem; }
#login form, section, aside { background: #fff; border-radius: 6px; padding: 1rem; box-shadow: 0 1px 2px #0002; }
#login label { display: block; margin: .5rem 0; }
#app { display: grid; grid-template-columns: 18rem 1fr; grid-template-areas: "list chat" "classify classify" "trends trends"; gap: 1rem; padding: 1rem; }
aside { grid-area: list; } #chat { grid-area: chat; } #classify { grid-area: classify; }
#conversations { list-style: none; padding: 0; margin: .5rem 0 0; }
#conversations li { padding: .4rem; border-bottom: 1px solid #eee; cursor: pointer; display: flex; flex-wrap: wrap; gap: .3rem; align-items: center; }
#conversations li.selected { background: #e8eefc; }
#conversations li.closed { opacity: .55; }
.who { font-weight: 600; margin-right: auto; } .meta { color: #667; font-size: .8rem; width: 100%; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 999px; font-size: .75rem; background: #e3e6ec; }
.urgency-high { background: #d93025; color: #fff; } .urgency-medium { background: #f29900; color: #fff; } .urgency-low { background: #1e8e3e; color: #fff; }
.claim { background: #6f42c1; color: #fff; } .live { background: #1e8e3e; color: #fff; } .offline { background: #999; color: #fff; }
#messages { list-style: none; padding: 0; max-height: 50vh; overflow-y: auto; }
#messages li { margin: .3rem 0; padding: .4rem .6rem; border-radius: 6px; background: #f0f2f5; max-width: 80%; }
#messages li.mine { margin-left: auto; background: #dce8fd; }
.sender { font-weight: 600; margin-right: .5rem; } .labels { margin-top: .2rem; display: flex; gap: .25rem; }
.chip { cursor: pointer; } .chip:hover { outline: 1px solid #4a6fd8; } .labels.corrected .chip { box-shadow: inset 0 0 0 1px #1d2330; }
#chat-form { display: flex; gap: .5rem; } #chat-input { flex: 1; padding: .4rem; }
#trends { grid-area: trends; } #trends-kpis { display: flex; flex-wrap: wrap; gap: .5rem; margin: .5rem 0; }
#trends-kpis .kpi { border: 1px solid #ddd; border-radius: 6px; padding: .3rem .6rem; display: flex; flex-direction: column; } #trends-kpis .v { font-weight: 600; font-size: 1.1rem; }
#trends-alerts { color: #c5221f; padding-left: 1.2rem; } #trends-charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.trend-chart { margin: 0; flex: 1 1 28rem; min-width: 0; } .trend-chart svg { width: 100%; height: auto; display: block; }
#classify-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: 1rem; }
.chart { margin: 0; } .chart figcaption { font-weight: 600; }
.bar-row { display: grid; grid-template-columns: 7rem 1fr 3rem; align-items: center; gap: .3rem; }
.bar { display: block; height: .8rem; background: #4a6fd8; border-radius: 2px; min-width: 2px; }
.table-wrap { max-height: 40vh; overflow: auto; margin-top: 1rem; }
#session-ended { position: fixed; inset: 0; display: grid; place-items: center; background: #1d233099; z-index: 10; }
#session-ended form { background: #fff; border-radius: 6px; padding: 1rem; max-width: 26rem; box-shadow: 0 2px 8px #0004; }
#session-ended label { display: block; margin: .5rem 0; }
#chat-form { position: relative; }
#reply-suggestions { position: absolute; bottom: 100%; left: 0; right: 0; list-style: none; margin: 0 0 .25rem; padding: .25rem; background: #fff; border: 1px solid #ccd; border-radius: 6px; box-shadow: 0 2px 8px #0003; max-height: 16rem; overflow-y: auto; z-index: 5; }
#reply-suggestions li { padding: .3rem .4rem; cursor: pointer; border-radius: 4px; } #reply-suggestions li.active { background: #e8eefc; }
.reply-title { color: #445; } .reply-body { display: block; color: #667; font-size: .8rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
table { border-collapse: collapse; font-size: .8rem; } td, th { border: 1px solid #ddd; padding: .2rem .4rem; text-align: left; }
`;
