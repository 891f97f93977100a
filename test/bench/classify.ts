// `npm run bench` part 1: the streaming core. Every figure that is compared is measured in
// the same run (ratios), because these machines are noisy.
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { parse } from 'csv-parse';
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

export async function parseOnlyRowsPerSecond(path: string): Promise<number> {
  const start = performance.now();
  let rows = 0;
  const parser = createReadStream(path).pipe(parse({ relax_column_count: true }));
  for await (const _ of parser) rows++;
  return ((rows - 1) / (performance.now() - start)) * 1000;
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
