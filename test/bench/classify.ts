// `npm run bench` part 1: the streaming core. Every figure that is compared is measured in
// the same run (ratios), because these machines are noisy.
import { spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { parse as parseSync } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { fixture, fmcBin, repoRoot } from '../helpers.js';

const SUFFIXES = ['', ' !', ' svp', ' merci', ' ??', ' encore', ' depuis ce matin', ' @free', ' #panne', ' ...'];

/**
 * Writes `rows` tweets built from the sample, each text made unique (a row number and a
 * varying suffix) so neither the cache nor duplicate reuse can help.
 */
export async function generateTweets(path: string, rows: number): Promise<void> {
  const sample = parseSync(readFileSync(fixture('tweets.csv')), { columns: true }) as Record<string, string>[];
  const out = createWriteStream(path);
  out.write('tweet_id,author,text,date\n');
  let buffer: string[][] = [];
  for (let i = 0; i < rows; i++) {
    const s = sample[i % sample.length]!;
    buffer.push([String(i), s.author ?? '', `${s.text}${SUFFIXES[i % SUFFIXES.length]} ${i.toString(36)}`, s.date ?? '']);
    if (buffer.length === 5000) {
      if (!out.write(stringify(buffer))) await once(out, 'drain');
      buffer = [];
    }
  }
  out.end(stringify(buffer));
  await once(out, 'finish');
}

/** csv-parse alone on `path` (a plain `parse()`, rows as arrays), in a fresh child process. */
export function parseOnlyRowsPerSecond(path: string): number {
  const child = spawnSync(process.execPath, [join(repoRoot, 'dist', 'test', 'bench', 'parse-only.js'), path], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`parse-only exited ${child.status}: ${child.stderr}`);
  return Number(child.stdout.trim());
}

export interface CliRun {
  readonly seconds: number;
  readonly maxRssMb: number;
  readonly rowsPerSecond: number;
}

/** Runs the real CLI in a child process; peak RSS comes from the child's own rusage. */
export function runCli(args: string[], rows: number, env: NodeJS.ProcessEnv = {}): CliRun {
  const rssFile = join(repoRoot, 'dist', `.bench-rss-${process.pid}`);
  const start = performance.now();
  const child = spawnSync(process.execPath, ['--import', join(repoRoot, 'dist', 'test', 'bench', 'report-rss.js'), fmcBin, ...args], {
    env: { ...process.env, ...env, FMC_BENCH_RSS_FILE: rssFile },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (performance.now() - start) / 1000;
  if (child.status !== 0) throw new Error(`fmc ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  const maxRssKb = Number(readFileSync(rssFile, 'utf8'));
  rmSync(rssFile, { force: true });
  return { seconds, maxRssMb: maxRssKb / 1024, rowsPerSecond: rows / seconds };
}

export interface CacheFigures {
  /** Rows/s of a stand-in cacheable tier (the rules' answers) run cold: computed and stored. */
  readonly coldRowsPerSecond: number;
  /** Rows/s of the same rows again, every one a cache hit. */
  readonly warmRowsPerSecond: number;
  readonly warmHitRate: number;
  /** Rows/s of the rules computing the same rows, without a cache. */
  readonly rulesRowsPerSecond: number;
}

/**
 * What a cached rerun costs, in-process: the rules tier is `cacheable: false` (a lookup costs
 * more than the rules themselves), so no wired tier shows a cache hit today. A stand-in with
 * the rules' answers but `cacheable: true` runs the same 1,000-row chunks cold (classify +
 * store) and again (all hits), through the real classifier and SQLite cache. A hit's cost
 * does not depend on the tier, so the warm rate is what any cached tier's rerun would get.
 */
export async function measureCache(path: string, cachePath: string): Promise<CacheFigures> {
  const { cleanTweet } = await import('../../src/clean/clean-tweet.js');
  const { openResultCache } = await import('../../src/store/sqlite/result-cache.js');
  const { createClassifier } = await import('../../src/pipeline/tier-cascade.js');
  const { createRulesTier } = await import('../../src/tiers/rules.js');
  const rows = parseSync(readFileSync(path), { columns: true }) as Record<string, string>[];
  const chunks: { id: string; tweet: ReturnType<typeof cleanTweet> }[][] = [];
  for (let i = 0; i < rows.length; i += 1000) chunks.push(rows.slice(i, i + 1000).map((r, k) => ({ id: String(k), tweet: cleanTweet(r.text ?? '') })));

  const rules = createRulesTier();
  const standIn = { ...rules, name: 'rules-cached-standin', cacheable: true };
  const timed = async (tier: typeof rules, cache: ReturnType<typeof openResultCache> | undefined): Promise<{ rate: number; hits: number }> => {
    const classifier = createClassifier({ tiers: [tier], cache });
    const start = performance.now();
    for (const chunk of chunks) await classifier.classify(chunk);
    return { rate: (rows.length / (performance.now() - start)) * 1000, hits: classifier.stats().cacheHits };
  };
  const cache = openResultCache(cachePath);
  try {
    const rulesRun = await timed(rules, undefined);
    const cold = await timed(standIn, cache);
    const warm = await timed(standIn, cache);
    return { coldRowsPerSecond: cold.rate, warmRowsPerSecond: warm.rate, warmHitRate: warm.hits / rows.length, rulesRowsPerSecond: rulesRun.rate };
  } finally {
    cache.close();
  }
}
