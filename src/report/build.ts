import { writeFileAtomic } from '../cli/atomic-write.js';
import { FmcError } from '../errors.js';
import { createAggregator } from './aggregate.js';
import { buildCharts } from './charts.js';
import { buildHtml } from './html.js';
import { STRINGS, type Lang } from './i18n.js';
import { readClassified } from './read-classified.js';
import { renderSvg } from './render-svg.js';
import type { Granularity, ReportData } from './report-data.js';
import type { SpikeOptions } from './spikes.js';
import { createZone } from './zone.js';

export interface BuildReportOptions {
  readonly tz: string;
  readonly by?: Granularity | undefined;
  readonly dateColumn?: string | undefined;
  readonly escalateBelow: number;
  readonly spikes?: Partial<SpikeOptions> | undefined;
  readonly now?: Date;
}

/** read -> aggregate -> figures, for any number of classified files. */
export async function buildReportData(files: readonly string[], options: BuildReportOptions): Promise<ReportData> {
  const zone = createZone(options.tz);
  const aggregator = createAggregator({ zone, escalateBelow: options.escalateBelow });
  const { dateColumn } = await readClassified(files, aggregator, { zone, dateColumn: options.dateColumn });
  try {
    return aggregator.finish({ by: options.by, spikes: options.spikes, dateColumn, sources: files, now: options.now });
  } catch (err) {
    if (err instanceof RangeError) throw new FmcError('FMC_ERR_USAGE', `${err.message}: choose a coarser --by (day or week)`);
    throw err;
  }
}

/** The figures as one self-contained HTML page, charts rendered to SVG here. */
export function renderReportHtml(data: ReportData, lang: Lang): string {
  const t = STRINGS[lang];
  const charts = buildCharts(data, t).map((spec) => ({ spec, svg: renderSvg(spec) }));
  return buildHtml(data, charts, t, lang);
}

/** `fmc classify --report`: the HTML report of files just written, with fmc report's defaults. */
export async function writeReportHtml(files: readonly string[], htmlPath: string, options: { escalateBelow?: number | undefined; lang?: Lang; tz?: string } = {}): Promise<void> {
  const data = await buildReportData(files, { tz: options.tz ?? 'Europe/Paris', escalateBelow: options.escalateBelow ?? 0.6 });
  await writeFileAtomic(htmlPath, renderReportHtml(data, options.lang ?? 'en'), '--report');
}
