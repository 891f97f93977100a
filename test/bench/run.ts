// `npm run bench`: prints figures measured in this one run, ratios first. Not part of npm test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTweets, measureCache, parseOnlyRowsPerSecond, runCli } from './classify.js';
import { benchLongJsonlLine } from './io.js';
import { benchLearningCurve, benchProviders } from './accuracy.js';
import { benchLocalModel } from './model.js';
import { benchGemini } from './llm.js';
import { benchServe } from './serve.js';
import { benchReport } from './report.js';
import { benchActiveLearning } from './active-learning.js';
import { crossValidate } from './cross-validate.js';
import { benchWorkers } from './workers.js';
import { benchConsole } from './console.js';
import { benchCachePg } from './cache-pg.js';

const only = process.argv.slice(2);
const wanted = (name: string): boolean => only.length === 0 || only.includes(name);
const dir = mkdtempSync(join(tmpdir(), 'fmc-bench-'));
const figures: Record<string, Record<string, number | string>> = {};

function report(section: string, values: Record<string, number | string>): void {
  figures[section] = values;
  process.stdout.write(`\n== ${section}\n`);
  for (const [k, v] of Object.entries(values)) process.stdout.write(`  ${k.padEnd(60)} ${typeof v === 'number' ? v.toLocaleString('en', { maximumFractionDigits: 2 }) : v}\n`);
}

// The 100k-row file, generated once for the sections that need it.
let file100kPromise: Promise<string> | undefined;
function file100k(): Promise<string> {
  file100kPromise ??= (async () => {
    const path = join(dir, 'tweets-100k.csv');
    await generateTweets(path, 100_000);
    return path;
  })();
  return file100kPromise;
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function summaryRate(path: string): number {
  return (JSON.parse(readFileSync(path, 'utf8')) as { rowsPerSecond: number }).rowsPerSecond;
}

try {
  if (wanted('core')) {
    const file100kPath = await file100k();
    const file1m = join(dir, 'tweets-1m.csv');
    await generateTweets(file1m, 1_000_000);
    // Each side in a fresh process, taken in turns, five of each: the ratio is of the medians,
    // so one slow run (these machines are shared) moves neither side.
    const summary = join(dir, 'summary.json');
    const parseRates: number[] = [];
    const fmcRates: number[] = [];
    const wallRates: number[] = [];
    for (let round = 0; round < 5; round++) {
      parseRates.push(parseOnlyRowsPerSecond(file100kPath));
      const run = runCli(['classify', file100kPath, '-o', join(dir, 'out.csv'), '--provider', 'rules', '--no-cache', '--quiet', '--summary-json', summary], 100_000);
      fmcRates.push(summaryRate(summary));
      wallRates.push(run.rowsPerSecond);
    }
    const parseRate = median(parseRates);
    const rulesRate = median(fmcRates);
    const big = runCli(['classify', file1m, '-o', join(dir, 'out-1m.csv'), '--provider', 'rules', '--no-cache', '--quiet', '--summary-json', summary], 1_000_000);
    const rounded = (xs: number[]): string => xs.map((x) => Math.round(x / 1000)).join(', ') + ' (k rows/s)';
    report('core: fmc classify --provider rules --no-cache (100k rows)', {
      'csv-parse alone, rows/s (median of 5 fresh processes)': Math.round(parseRate),
      '  csv-parse runs': rounded(parseRates),
      'fmc classify, rows/s (pipeline, from summary; median of 5)': Math.round(rulesRate),
      '  fmc runs': rounded(fmcRates),
      'fmc classify, rows/s (wall, incl. start-up; median)': Math.round(median(wallRates)),
      'ratio fmc / csv-parse (target >= 0.6)': Number((rulesRate / parseRate).toFixed(2)),
      'peak RSS on 1M rows, MB (target <= 200)': Math.round(big.maxRssMb),
      '1M rows: rows/s (pipeline), wall time s': `${Math.round(summaryRate(summary))}, ${big.seconds.toFixed(1)}`,
    });

    // Cached rerun through the CLI: `auto` offline is the model + rules hybrid, whose answers
    // are cached; the stand-in shows the same for the rules' own cost per row.
    const cachePath = join(dir, 'cache.sqlite');
    const cliArgs = ['classify', file100kPath, '-o', join(dir, 'out-cached.csv'), '--provider', 'auto', '--cache', cachePath, '--quiet', '--summary-json', summary];
    const first = (runCli(cliArgs, 100_000), summaryRate(summary));
    const again = (runCli(cliArgs, 100_000), summaryRate(summary));
    const hits = (JSON.parse(readFileSync(summary, 'utf8')) as { cache: { hits: number } }).cache.hits;
    const standIn = await measureCache(file100kPath, join(dir, 'cache-standin.sqlite'));
    report('cache: rerun of the 100k file', {
      'fmc classify --provider auto, first run, rows/s': Math.round(first),
      'same command again (cache warm), rows/s': Math.round(again),
      'cached rerun speed-up (rerun / first run)': Number((again / first).toFixed(1)),
      '  cache hits in the rerun': hits,
      'stand-in cacheable tier (rules answers), cold rows/s': Math.round(standIn.coldRowsPerSecond),
      'same rows again, all cache hits, rows/s': Math.round(standIn.warmRowsPerSecond),
      'cached rerun speed-up (warm / cold)': Number((standIn.warmRowsPerSecond / standIn.coldRowsPerSecond).toFixed(1)),
      'rules computing the same rows, rows/s': Math.round(standIn.rulesRowsPerSecond),
      '  (a hit costs more than the rules: why they are not cached)': `${(standIn.rulesRowsPerSecond / standIn.warmRowsPerSecond).toFixed(1)}x`,
    });
  }

  if (wanted('io')) report('io: a 300 MB JSONL line, skipped by --max-record-size (--skip-invalid)', await benchLongJsonlLine(dir));
  if (wanted('accuracy')) {
    report('accuracy: fmc eval fixtures/dev.csv per provider, built-in model (train + extra, not dev); is_claim / sentiment / topic / incident / urgency', benchProviders(dir));
    report('accuracy: learning curve, dev accuracy by labeled rows (nested random subsets of train + extra; all 3,164 = the built-in model above)', await benchLearningCurve());
  }
  if (wanted('model')) report('local model: fmc train, then --provider model / auto --no-cache (100k rows)', benchLocalModel(dir, await file100k()));
  if (wanted('report')) report('report: fmc report vs fmc classify --provider rules on the same rows (fresh processes)', await benchReport(dir, await file100k()));
  if (wanted('llm')) report('llm: fmc classify --provider gemini, fake API with 300 ms latency (4,000 tweets)', await benchGemini(dir));
  if (wanted('cache-pg')) report('cache-pg: two batch machines on one PostgreSQL, fake Gemini at 300 ms (2,000 tweets a file)', await benchCachePg(dir));
  if (wanted('workers')) report(`workers: fmc classify --queue over 1, 2, 4 fmc worker processes (fake Ollama, 1 s a request, one per worker; then rules)`, await benchWorkers(dir));
  if (wanted('serve')) {
    const serve = await benchServe(dir);
    report('serve: POST /api/classify, one tweet per request, rules, 10 connections, 10 s', {
      'requests/s (target >= 2,000)': serve.requestsPerSecond,
      'p50 latency, ms': serve.p50Ms,
      'p99 latency, ms (target < 10)': serve.p99Ms,
      'max latency, ms': serve.maxMs,
      'server-side p99 (histogram bucket bound), ms': serve.serverP99BoundMs,
      'load average (1 min) at the end': Number(serve.loadAverage.toFixed(1)),
      'errors + timeouts': serve.errors,
      'non-2xx answers': serve.non2xx,
    });
  }
  // `accuracy` draws the active-learning curves too (they are accuracy figures); a bare `npm run bench` skips them (minutes of training).
  if (only.includes('active-learning') || only.includes('accuracy')) {
    // Not in the default run: about ten minutes of training on two cores.
    const curves = await benchActiveLearning();
    const row: Record<string, string> = {};
    curves.uncertain.forEach((u, i) => {
      const r = curves.random[i]!;
      row[`${u.labels} labels: mean dev accuracy, uncertain / random`] = `${u.mean.toFixed(3)} / ${r.mean.toFixed(3)} (${u.mean >= r.mean ? '+' : ''}${((u.mean - r.mean) * 100).toFixed(1)} pt)`;
    });
    const after = curves.uncertain.slice(1);
    row['rounds where uncertain beats random'] = `${after.filter((u, i) => u.mean > curves.random[i + 1]!.mean).length} of ${after.length}`;
    report('active learning: train + extra as the pool, 300 random then 200 a round, dev accuracy (fast training setting)', row);
  }
  if (wanted('console')) report('console: the dashboard in Chromium (1280x800, loopback)', await benchConsole());
  // The relay bench runs its own server child and exits when done; its figures print as they are.
  if (only.includes('cv')) report('cv: rules, model and hybrid cross-validated on train + extra (5 folds), is_claim sentiment topic incident urgency', await crossValidate());
  if (wanted('relay')) spawnSync(process.execPath, [join(import.meta.dirname, 'relay.js')], { stdio: 'inherit', timeout: 120_000 });
  // Real fmc serve processes, on SQLite and then three on one PostgreSQL (one killed mid-run).
  if (wanted('relay-pg')) spawnSync(process.execPath, [join(import.meta.dirname, 'relay-pg.js')], { stdio: 'inherit', timeout: 600_000 });
  if (wanted('relay-sync')) spawnSync(process.execPath, [join(import.meta.dirname, 'relay-sync.js')], { stdio: 'inherit', timeout: 300_000 });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (process.env.FMC_BENCH_JSON) process.stdout.write(JSON.stringify(figures) + '\n');
