// `npm run bench model`: the local model tier. Training time on the bundled train.csv, then
// tweets/s of the model alone and of the offline auto chain (model + rules) on the 100k file,
// next to the rules alone measured in the same run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture } from '../helpers.js';
import { runCli } from './classify.js';

const rate = (summaryPath: string): number => Math.round((JSON.parse(readFileSync(summaryPath, 'utf8')) as { rowsPerSecond: number }).rowsPerSecond);

export function benchLocalModel(dir: string, file100k: string): Record<string, number> {
  const model = join(dir, 'model');
  const train = runCli(['train', fixture('train.csv'), '--out', model, '--unlabeled', fixture('tweets.csv')], 1200);
  const classify = (provider: string): number => {
    const summary = join(dir, `summary-${provider}.json`);
    runCli(['classify', file100k, '-o', join(dir, `out-${provider}.csv`), '--provider', provider, '--model-dir', model, '--no-cache', '--quiet', '--summary-json', summary], 100_000);
    return rate(summary);
  };
  const modelAlone = classify('model');
  const auto = classify('auto');
  const rules = classify('rules');
  return {
    'fmc train on train.csv (1,200 rows), s': Number(train.seconds.toFixed(1)),
    'peak RSS while training, MB': Math.round(train.maxRssMb),
    'model tier, tweets/s (target >= 5,000)': modelAlone,
    'offline auto (model + rules), tweets/s': auto,
    'rules alone, tweets/s (same run)': rules,
    'ratio auto / rules': Number((auto / rules).toFixed(3)),
  };
}
