import type { EChartsOption } from 'echarts';
import { INCIDENTS, SENTIMENTS, URGENCIES } from '../labels.js';
import { valueName, type Strings } from './i18n.js';
import type { Matrix, ReportData } from './report-data.js';

// The chart specifications, once: pure functions from the report's figures to ECharts
// options. The HTML report renders them to SVG at build time, and so does the server for
// the dashboard's Trends view: both show the same charts from the same code.

export interface ChartSpec {
  /** Stable id: the HTML's data-chart attribute, the dashboard's too. */
  readonly id: string;
  readonly title: string;
  readonly width: number;
  readonly height: number;
  readonly option: EChartsOption;
}

const COLORS = {
  negative: '#c5221f', neutral: '#9aa0a6', positive: '#188038',
  outage: '#c5221f', slowness: '#e37400', billing: '#7b1fa2', support: '#1967d2', equipment: '#00897b', none: '#9aa0a6',
  low: '#188038', medium: '#e37400', high: '#c5221f',
} as Record<string, string>;

const WIDE = { width: 960, height: 340 };
const HALF = { width: 470, height: 320 };
const base = { animation: false, textStyle: { fontFamily: 'system-ui, sans-serif' } } as const;
const grid = { left: 56, right: 56, top: 40, bottom: 56 };

function heatmap(id: string, title: string, m: Matrix, rowName: (r: string) => string, colName: (c: string) => string, size: { width: number; height: number }): ChartSpec {
  const data: [number, number, number][] = [];
  let max = 0;
  m.values.forEach((row, r) =>
    row.forEach((v, c) => {
      data.push([c, r, v]);
      max = Math.max(max, v);
    }),
  );
  return {
    id,
    title,
    ...size,
    option: {
      ...base,
      grid: { left: 110, right: 20, top: 20, bottom: 80 },
      xAxis: { type: 'category', data: m.columns.map(colName), splitArea: { show: true }, axisLabel: { interval: 0, rotate: m.columns.length > 8 ? 0 : 30 } },
      yAxis: { type: 'category', data: m.rows.map(rowName), splitArea: { show: true } },
      visualMap: { min: 0, max: Math.max(1, max), calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120, inRange: { color: ['#f1f3f4', '#1967d2'] } },
      series: [{ type: 'heatmap', data, label: { show: m.columns.length <= 8, fontSize: 11 } }],
    },
  };
}

/** Every chart the figures allow, in reading order; time charts only when rows had dates. */
export function buildCharts(data: ReportData, t: Strings): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const v = (value: string): string => valueName(t, value);
  const labels = data.series.map((b) => b.label);
  if (data.series.length > 0) {
    charts.push({
      id: 'volume',
      title: t.chartVolume,
      ...WIDE,
      option: {
        ...base,
        grid,
        legend: { top: 0 },
        xAxis: { type: 'category', data: labels },
        yAxis: [{ type: 'value', name: t.seriesVolume }, { type: 'value', name: '%', max: 100, min: 0 }],
        series: [
          { type: 'bar', name: t.seriesVolume, data: data.series.map((b) => b.count), itemStyle: { color: '#1967d2' } },
          { type: 'line', name: t.seriesClaimRate, yAxisIndex: 1, data: data.series.map((b) => Math.round(b.claimRate * 1000) / 10), itemStyle: { color: '#c5221f' }, showSymbol: data.series.length <= 60 },
        ],
      },
    });
    charts.push({
      id: 'sentiment',
      title: t.chartSentiment,
      ...WIDE,
      option: {
        ...base,
        grid,
        legend: { top: 0 },
        xAxis: { type: 'category', data: labels },
        yAxis: { type: 'value' },
        series: SENTIMENTS.map((s) => ({ type: 'bar' as const, stack: 'sentiment', name: v(s), data: data.series.map((b) => b.sentiment[s]), itemStyle: { color: COLORS[s] } })),
      },
    });
    // Each alert pinned on its incident's line, at its bucket.
    const pins = (incident: string) =>
      data.alerts
        .filter((a) => a.value === incident)
        .map((a) => ({ name: a.start, coord: [data.series.find((b) => b.start === a.start)?.label ?? a.start, a.count] as [string, number], value: a.count }));
    charts.push({
      id: 'incidents',
      title: t.chartIncidents,
      ...WIDE,
      option: {
        ...base,
        grid,
        legend: { top: 0 },
        xAxis: { type: 'category', data: labels },
        yAxis: { type: 'value' },
        series: INCIDENTS.filter((i) => i !== 'none').map((i) => ({
          type: 'line' as const,
          name: v(i),
          data: data.series.map((b) => b.incidentClaims[i]),
          itemStyle: { color: COLORS[i] },
          showSymbol: data.series.length <= 60,
          ...(pins(i).length > 0 ? { markPoint: { silent: true, symbolSize: 44, data: pins(i) } } : {}),
        })),
      },
    });
  }
  if (data.matrices.dayHour) {
    charts.push(heatmap('heatmap', t.chartHeatmap, data.matrices.dayHour, (d) => t.days[['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].indexOf(d)] ?? d, (h) => h, WIDE));
  }
  charts.push(heatmap('topic-incident', t.chartTopicIncident, data.matrices.topicIncident, v, v, HALF));
  const ut = data.matrices.urgencyTopic;
  charts.push({
    id: 'urgency-topic',
    title: t.chartUrgencyTopic,
    ...HALF,
    option: {
      ...base,
      grid: { left: 48, right: 16, top: 40, bottom: 70 },
      legend: { top: 0 },
      xAxis: { type: 'category', data: ut.columns.map(v), axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: 'value' },
      series: URGENCIES.map((u, r) => ({ type: 'bar' as const, stack: 'urgency', name: v(u), data: [...ut.values[r]!], itemStyle: { color: COLORS[u] } })),
    },
  });
  charts.push({
    id: 'confidence',
    title: t.chartConfidence,
    ...HALF,
    option: {
      ...base,
      grid: { left: 56, right: 16, top: 20, bottom: 40 },
      xAxis: { type: 'category', data: data.confidence.bins.map((b) => `${b.toFixed(1)}–${(b + 0.1).toFixed(1)}`), axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: 'value' },
      series: [{ type: 'bar', data: [...data.confidence.counts], itemStyle: { color: '#5f6368' } }],
    },
  });
  for (const incident of INCIDENTS) {
    const top = data.terms[incident];
    if (!top || top.length === 0) continue;
    const reversed = [...top].reverse();
    charts.push({
      id: `terms-${incident}`,
      title: t.chartTerms(v(incident)),
      ...HALF,
      option: {
        ...base,
        grid: { left: 110, right: 30, top: 10, bottom: 30 },
        xAxis: { type: 'value' },
        yAxis: { type: 'category', data: reversed.map((x) => x.term), axisLabel: { interval: 0 } },
        series: [{ type: 'bar', data: reversed.map((x) => x.count), itemStyle: { color: COLORS[incident] }, label: { show: true, position: 'right' } }],
      },
    });
  }
  return charts;
}
