import type { ChartSpec } from './charts.js';
import { valueName, type Lang, type Strings } from './i18n.js';
import type { ReportData } from './report-data.js';

// The report as one HTML file: styles inline, charts as inline SVG, no script at all. The
// CSP meta forbids every fetch, so the file shows the same offline, from file:// or a mail.

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every text that goes into the page goes through here (tweets can hold `<script>`). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const CSS = `
*{box-sizing:border-box}
body{margin:0 auto;max-width:1280px;padding:1rem;font:14px/1.45 system-ui,sans-serif;color:#202124;background:#fff}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.5rem 0 .5rem;border-bottom:1px solid #dadce0;padding-bottom:.2rem}
.meta{color:#5f6368;margin:.2rem 0}.note{background:#fef7e0;border-left:4px solid #f9ab00;padding:.4rem .6rem;margin:.5rem 0}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.6rem;margin:1rem 0}
.kpi{border:1px solid #dadce0;border-radius:6px;padding:.5rem .7rem}.kpi .v{font-size:1.5rem;font-weight:600}.kpi .l{color:#5f6368;font-size:.8rem}.kpi .f{color:#5f6368;font-size:.72rem}
.charts{display:flex;flex-wrap:wrap;gap:1rem}
figure.chart{margin:0;flex:1 1 100%;min-width:0;break-inside:avoid;page-break-inside:avoid}
figure.chart.half{flex:0 1 calc(50% - .5rem);min-width:18rem}
figure.chart figcaption{font-weight:600;margin:.3rem 0}
figure.chart svg{width:100%;height:auto;display:block}
table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{border:1px solid #dadce0;padding:.25rem .4rem;text-align:left;vertical-align:top}
th{background:#f1f3f4}td.text{white-space:pre-wrap;word-break:break-word}td.src{word-break:break-all;font-size:.75rem}.table-wrap{overflow-x:auto}
.badge{display:inline-block;border-radius:999px;padding:0 .4rem;margin:0 .15rem .15rem 0;font-size:.75rem;background:#e8eaed}
.high{background:#c5221f;color:#fff}.medium{background:#e37400;color:#fff}
@media (max-width:600px){body{padding:.5rem}figure.chart.half{flex-basis:100%}.kpi .v{font-size:1.2rem}}
@media print{body{max-width:none;padding:0;font-size:11px}h2{break-after:avoid}.kpis{grid-template-columns:repeat(4,1fr)}figure.chart.half{flex-basis:calc(50% - .5rem)}tr{break-inside:avoid}@page{size:A4;margin:12mm}}
`;

export interface RenderedChart {
  readonly spec: ChartSpec;
  readonly svg: string;
}

const pct = (x: number, lang: Lang): string => `${(x * 100).toLocaleString(lang, { maximumFractionDigits: 1 })} %`;
const num = (x: number, lang: Lang): string => x.toLocaleString(lang, { maximumFractionDigits: 3 });

function figure(chart: RenderedChart): string {
  const half = chart.spec.width < 700 ? ' half' : '';
  return `<figure class="chart${half}" data-chart="${escapeHtml(chart.spec.id)}"><figcaption>${escapeHtml(chart.spec.title)}</figcaption>${chart.svg}</figure>`;
}

export function buildHtml(data: ReportData, charts: readonly RenderedChart[], t: Strings, lang: Lang): string {
  const e = escapeHtml;
  const k = data.kpis;
  const v = (value: string): string => e(valueName(t, value));
  const by = data.dates.by === 'hour' ? t.byHour : data.dates.by === 'day' ? t.byDay : data.dates.by === 'week' ? t.byWeek : '';
  const notes: string[] = [];
  if (data.dates.column === null) notes.push(t.noDates);
  if (data.dates.unparseable > 0) notes.push(t.unparseable(data.dates.unparseable, data.dates.firstUnparseable ?? ''));
  const providers = Object.entries(k.providers)
    .map(([p, n]) => `${e(p)} ${pct(n / Math.max(1, k.volume), lang)}`)
    .join(' · ');
  const card = (label: string, value: string, foot = ''): string =>
    `<div class="kpi"><div class="l">${e(label)}</div><div class="v">${value}</div>${foot ? `<div class="f">${foot}</div>` : ''}</div>`;
  const main = charts.filter((c) => !c.spec.id.startsWith('terms-'));
  const terms = charts.filter((c) => c.spec.id.startsWith('terms-'));
  const urgent = data.urgentClaims
    .map(
      (c) =>
        `<tr><td>${e(c.date ?? '')}</td><td class="text">${e(c.text)}</td><td><span class="badge ${e(c.urgency)}">${v(c.urgency)}</span><span class="badge">${v(c.incident)}</span><span class="badge">${v(c.topic)}</span><span class="badge">${v(c.sentiment)}</span><span class="badge">${num(c.confidence, lang)}</span></td><td class="src">${e(c.source)}</td></tr>`,
    )
    .join('\n');
  const alerts = data.alerts
    .map((a) => `<tr><td>${e(a.start)} → ${e(a.end)}</td><td>${v(a.value)}</td><td>${a.count}</td><td>${num(a.expected, lang)}</td><td>${num(a.score, lang)}</td></tr>`)
    .join('\n');
  const period = data.dates.first ? `${t.period}: ${e(data.dates.first)} → ${e(data.dates.last ?? '')} (${e(data.dates.tz)}, ${e(by)}) · ` : '';
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${e(t.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${e(t.title)}</h1>
<p class="meta">${period}${k.volume.toLocaleString(lang)} ${e(t.rowsFrom)} ${data.sources.map(e).join(', ')}</p>
<p class="meta">${e(t.generated)} ${e(data.generatedAt)}</p>
</header>
${notes.map((n) => `<p class="note">${e(n)}</p>`).join('\n')}
<section class="kpis">
${card(t.kpiVolume, k.volume.toLocaleString(lang), e(t.kpiClaims(k.claims.toLocaleString(lang))))}
${card(t.kpiClaimRate, pct(k.claimRate, lang))}
${card(t.kpiSatisfaction, `${num(k.satisfaction, lang)} / 100`, e(t.kpiSatisfactionFormula))}
${card(t.kpiHighUrgency, pct(k.highUrgencyShare, lang))}
${card(t.kpiConfidence, num(k.meanConfidence, lang))}
${card(t.kpiBelow(k.belowThreshold.threshold), pct(k.belowThreshold.share, lang), e(t.kpiBelowNote))}
${card(t.kpiProviders, `<span style="font-size:.9rem">${providers}</span>`)}
${card(t.sectionAlerts, String(data.alerts.length))}
</section>
<section class="charts">
${main.map(figure).join('\n')}
</section>
<h2>${e(t.sectionTerms)}</h2>
<section class="charts">
${terms.length > 0 ? terms.map(figure).join('\n') : `<p>${e(t.noClaims)}</p>`}
</section>
<h2>${e(t.sectionUrgent)}</h2>
${urgent ? `<div class="table-wrap"><table data-table="urgent"><thead><tr><th>${e(t.colDate)}</th><th>${e(t.colText)}</th><th>${e(t.colLabels)}</th><th>${e(t.colSource)}</th></tr></thead><tbody>\n${urgent}\n</tbody></table></div>` : `<p>${e(t.noClaims)}</p>`}
<h2>${e(t.sectionAlerts)}</h2>
<p class="meta">${e(t.alertMethod)}</p>
${alerts ? `<div class="table-wrap"><table data-table="alerts"><thead><tr><th>${e(t.colBucket)}</th><th>${e(t.colIncident)}</th><th>${e(t.colCount)}</th><th>${e(t.colExpected)}</th><th>${e(t.colScore)}</th></tr></thead><tbody>\n${alerts}\n</tbody></table></div>` : `<p>${e(t.noAlerts)}</p>`}
</body>
</html>
`;
}
