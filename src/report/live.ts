import type { LabelResult } from '../labels.js';
import { createAggregator, type Aggregator } from './aggregate.js';
import { buildCharts } from './charts.js';
import { STRINGS, type Lang } from './i18n.js';
import { loadChartRenderer, renderSvg } from './render-svg.js';
import type { Alert, ReportData } from './report-data.js';
import { createZone } from './zone.js';

// The server's trends: the report's aggregator fed live (chat messages with their text,
// /api/classify results counted without it), the same spike detection, the same charts.

export interface TrendsView {
  readonly version: number;
  readonly data: ReportData;
  readonly charts: readonly { readonly id: string; readonly title: string; readonly svg: string }[];
}

export type TrendsEvent = { type: 'trends'; version: number } | { type: 'alert'; alert: Alert };

export interface LiveTrends {
  /** A customer's chat message and its labels; `at` is its time (epoch ms). */
  recordChat(labels: LabelResult, text: string, at: number): void;
  /** Results of /api/classify: counted now, their texts never kept. */
  recordApi(results: readonly LabelResult[]): void;
  /** Figures and rendered charts, recomputed only when something was recorded since. */
  view(lang: Lang): TrendsView;
  /** `trends` after changes (at most once per `settleMs`), `alert` once per new alert. */
  subscribe(listener: (event: TrendsEvent) => void): () => void;
  close(): void;
}

export interface LiveTrendsOptions {
  readonly tz?: string;
  readonly escalateBelow?: number;
  /** Changes are gathered this long before listeners hear of them and spikes are looked for. */
  readonly settleMs?: number;
  readonly now?: () => number;
}

const SOURCES = ['chat', '/api/classify'];

export function createLiveTrends(options: LiveTrendsOptions = {}): LiveTrends {
  loadChartRenderer();
  const zone = createZone(options.tz ?? 'Europe/Paris');
  const now = options.now ?? Date.now;
  const aggregator: Aggregator = createAggregator({ zone, escalateBelow: options.escalateBelow ?? 0.6 });
  const listeners = new Set<(event: TrendsEvent) => void>();
  // Alerts already pushed, by bucket and incident: a bucket that keeps rising alerts once.
  const announced = new Set<string>();
  let version = 0;
  let timer: NodeJS.Timeout | undefined;
  const views = new Map<Lang, TrendsView>();

  const figures = (): ReportData => aggregator.finish({ dateColumn: 'time', sources: SOURCES, now: new Date(now()) });
  const emit = (event: TrendsEvent): void => {
    for (const listener of listeners) listener(event);
  };
  function settle(): void {
    timer = undefined;
    const data = figures();
    for (const alert of data.alerts) {
      const key = `${alert.value}|${alert.start}`;
      if (announced.has(key)) continue;
      announced.add(key);
      emit({ type: 'alert', alert });
    }
    emit({ type: 'trends', version });
  }
  function changed(): void {
    version++;
    views.clear();
    timer ??= setTimeout(settle, options.settleMs ?? 1000).unref();
  }
  const base = (r: LabelResult) => ({ isClaim: r.is_claim, sentiment: r.sentiment, topic: r.topic, incident: r.incident, urgency: r.urgency, confidence: r.confidence, provider: r.provider });

  return {
    recordChat(labels, text, at) {
      aggregator.add({ ...base(labels), text, at, source: 'chat' });
      changed();
    },
    recordApi(results) {
      if (results.length === 0) return;
      const at = now();
      for (const r of results) aggregator.add({ ...base(r), at });
      changed();
    },
    view(lang) {
      let view = views.get(lang);
      if (!view) {
        const data = figures();
        const charts = buildCharts(data, STRINGS[lang]).map((spec) => ({ id: spec.id, title: spec.title, svg: renderSvg(spec) }));
        views.set(lang, (view = { version, data, charts }));
      }
      return view;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      if (timer) clearTimeout(timer);
      listeners.clear();
    },
  };
}
