import * as echarts from 'echarts';
import type { ChartSpec } from './charts.js';

/**
 * One chart as an SVG string, by ECharts' server-side renderer: no DOM, no script in the
 * output, every text escaped by zrender. The viewBox lets CSS scale it to any width.
 */
export function renderSvg(spec: ChartSpec): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: spec.width, height: spec.height });
  try {
    chart.setOption(spec.option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
