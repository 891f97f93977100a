import { api, type Session } from './api.js';
import { byId, h } from './dom.js';
import { formatNumber, locale, onLocaleChange, t } from './locale.js';
import type { Frame } from './relay-client.js';

// The Trends view: GET /api/trends gives the report's figures and its charts already drawn
// as SVG by the server (the same chart code as `fmc report`); the relay says when they
// changed (`trends`) and pushes spike alerts (`alert`) to watching agents.

interface Alert {
  readonly start: string;
  readonly end: string;
  readonly value: string;
  readonly count: number;
  readonly expected: number;
  readonly score: number;
}

interface TrendsView {
  readonly version: number;
  readonly data: { readonly kpis: { volume: number; claimRate: number; satisfaction: number; highUrgencyShare: number; meanConfidence: number }; readonly alerts: readonly Alert[] };
  readonly charts: readonly { readonly id: string; readonly title: string; readonly svg: string }[];
}

const pct = (x: number): string => new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(x);
// Parsed as SVG (XML), never as HTML: the markup cannot carry a script into the page.
const parser = new DOMParser();
const svgNode = (markup: string): Node => document.importNode(parser.parseFromString(markup, 'image/svg+xml').documentElement, true);

const alertItem = (a: Alert): HTMLElement =>
  h('li', { 'data-testid': 'alert' }, h('strong', {}, t('trends.spike', { value: a.value })), ` ${t('trends.spike-detail', { count: a.count, start: a.start, end: a.end, expected: a.expected, score: a.score })}`);

export interface TrendsPane {
  onFrame(frame: Frame): void;
}

export function createTrendsPane(session: Session): TrendsPane {
  const section = byId('trends');
  section.hidden = false;
  const kpis = byId('trends-kpis');
  const charts = byId('trends-charts');
  const alerts = byId('trends-alerts');
  let shown = -1;
  let shownLang = '';
  let loading: Promise<void> | undefined;
  let again = false;

  async function load(): Promise<void> {
    // The charts' texts come from the server, in the page's language.
    const lang = locale();
    const view = await api<TrendsView>(`/api/trends?lang=${lang}`, { token: session.token });
    if (view.version === shown && lang === shownLang) return;
    shown = view.version;
    shownLang = lang;
    const k = view.data.kpis;
    kpis.replaceChildren(
      ...(
        [
          ['volume', formatNumber(k.volume)],
          ['claim-rate', pct(k.claimRate)],
          ['satisfaction', `${formatNumber(k.satisfaction)} / 100`],
          ['high-urgency', pct(k.highUrgencyShare)],
          ['mean-confidence', formatNumber(k.meanConfidence)],
        ] as const
      ).map(([key, value]) => h('div', { class: 'kpi', 'data-testid': `kpi-${key}` }, h('span', { class: 'l' }, t(`trends.${key}`)), h('span', { class: 'v' }, value))),
    );
    charts.replaceChildren(...view.charts.map((c) => h('figure', { class: 'trend-chart', 'data-chart': c.id }, h('figcaption', {}, c.title), svgNode(c.svg))));
    alerts.replaceChildren(...[...view.data.alerts].reverse().map(alertItem));
  }
  // One request at a time; a change announced meanwhile triggers one more.
  function refresh(): void {
    if (loading) {
      again = true;
      return;
    }
    loading = load()
      .catch(() => undefined)
      .finally(() => {
        loading = undefined;
        if (again) {
          again = false;
          refresh();
        }
      });
  }
  refresh();
  onLocaleChange(refresh);
  return {
    onFrame(frame) {
      if (frame.type === 'trends') refresh();
      else if (frame.type === 'alert') {
        alerts.prepend(alertItem(frame.alert));
        refresh();
      }
    },
  };
}
