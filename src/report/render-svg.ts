import { createRequire } from 'node:module';
import type * as ECharts from 'echarts';
import type { ChartSpec } from './charts.js';

// ECharts is required, not imported: its ES build is ~2,000 files (0.44 s and 44 MB
// measured at start-up), its CommonJS bundle one file (0.08 s, 19 MB); and only what draws
// charts loads it (`fmc classify` shares modules with the report and pays nothing).
const require = createRequire(import.meta.url);
let loaded: typeof ECharts | undefined;

/**
 * Loads the renderer now. A server calls it at start-up: loaded by the first dashboard
 * view instead, it stalled the relay's event loop mid-traffic (seconds on a loaded machine).
 */
export function loadChartRenderer(): typeof ECharts {
  return (loaded ??= require('echarts') as typeof ECharts);
}
const echarts = loadChartRenderer;

/**
 * One chart as an SVG string, by ECharts' server-side renderer: no DOM, no script in the
 * output, every text escaped by zrender. The viewBox lets CSS scale it to any width.
 */
export function renderSvg(spec: ChartSpec): string {
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width: spec.width, height: spec.height });
  try {
    chart.setOption(spec.option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
