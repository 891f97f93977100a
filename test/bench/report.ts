// `npm run bench report`: fmc report against fmc classify --provider rules on the same rows,
// each in a fresh process, for 100k and 1M rows: rows/s and peak RSS, as ratios.
import { join } from 'node:path';
import { generateTweets, runCli } from './classify.js';

export async function benchReport(dir: string, file100k: string): Promise<Record<string, number | string>> {
  const file1m = join(dir, 'tweets-1m-report.csv');
  await generateTweets(file1m, 1_000_000);
  const figures: Record<string, number | string> = {};
  for (const [label, file, rows] of [['100k', file100k, 100_000], ['1M', file1m, 1_000_000]] as const) {
    const classified = join(dir, `classified-${label}.csv`);
    const classify = runCli(['classify', file, '-o', classified, '--provider', 'rules', '--no-cache', '--quiet'], rows);
    const report = runCli(['report', classified, '-o', join(dir, `report-${label}.html`), '--json', join(dir, `report-${label}.json`), '--no-cache', '--quiet'], rows);
    figures[`${label}: fmc classify --provider rules, rows/s (wall), peak RSS MB`] = `${Math.round(classify.rowsPerSecond)}, ${Math.round(classify.maxRssMb)}`;
    figures[`${label}: fmc report (HTML + JSON), rows/s (wall), peak RSS MB`] = `${Math.round(report.rowsPerSecond)}, ${Math.round(report.maxRssMb)}`;
    figures[`${label}: rows/s ratio report / classify`] = Number((report.rowsPerSecond / classify.rowsPerSecond).toFixed(2));
    figures[`${label}: peak RSS ratio report / classify (target <= 1)`] = Number((report.maxRssMb / classify.maxRssMb).toFixed(2));
  }
  return figures;
}
