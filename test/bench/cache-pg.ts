// `npm run bench cache-pg`: two batch machines on one PostgreSQL. Machine A classifies a file
// with Gemini (a fake API taking 300 ms a request); machine B, with its own empty local
// cache file, classifies the same file: the shared cache answers it. Then both run a second
// file at the same moment, and the summed requests show what sharing saves when runs overlap.
// The same two runs on SQLite (each machine its own file) are the reference.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { join } from 'node:path';
import { FAKE_KEY, startFakeGemini } from '../fakes/gemini.js';
import { closedPort } from '../fakes/http.js';
import { startPostgres } from '../pg/postgres.js';
import { generateTweets } from './classify.js';
import { runCli } from './llm.js';

interface Summary {
  readonly rowsPerSecond: number;
  readonly cache: { readonly hits: number; readonly hitRate: number };
}

async function classify(input: string, out: string, env: NodeJS.ProcessEnv): Promise<{ summary: Summary; seconds: number }> {
  const summaryPath = `${out}.json`;
  const seconds = await runCli(['classify', input, '-o', out, '--provider', 'gemini', '--concurrency', '8', '--batch-size', '20', '--quiet', '--summary-json', summaryPath], env);
  return { summary: JSON.parse(readFileSync(summaryPath, 'utf8')) as Summary, seconds };
}

export async function benchCachePg(dir: string, tweets = 2000): Promise<Record<string, number>> {
  const first = join(dir, 'cache-pg-a.csv');
  const second = join(dir, 'cache-pg-b.csv');
  // One file of 2 × tweets unique texts, split in two: the second file shares no text with the first.
  const both = join(dir, 'cache-pg-all.csv');
  await generateTweets(both, 2 * tweets);
  const [header, ...rows] = parse(readFileSync(both)) as string[][];
  writeFileSync(first, stringify([header!, ...rows.slice(0, tweets)]));
  writeFileSync(second, stringify([header!, ...rows.slice(tweets)]));
  const [fake, pg] = await Promise.all([startFakeGemini({ latencyMs: 300 }), startPostgres()]);
  try {
    const base = { GEMINI_API_KEY: FAKE_KEY, GEMINI_BASE_URL: fake.url, OLLAMA_HOST: `http://127.0.0.1:${await closedPort()}` };
    const machine = (name: string, shared: boolean): NodeJS.ProcessEnv => ({ ...base, FMC_CACHE: join(dir, `cache-pg-${name}.sqlite`), FMC_DATABASE_URL: shared ? pg.url : '' });
    const requests = async (run: () => Promise<unknown>): Promise<number> => {
      const before = fake.calls.length;
      await run();
      return fake.calls.length - before;
    };
    // One after the other: B repeats what A paid for.
    const aPg = await requests(() => classify(first, join(dir, 'pg-a1.csv'), machine('pg-a', true)));
    let bRun!: { summary: Summary; seconds: number };
    const bPg = await requests(async () => (bRun = await classify(first, join(dir, 'pg-b1.csv'), machine('pg-b', true))));
    const aLite = await requests(() => classify(first, join(dir, 'lite-a1.csv'), machine('lite-a', false)));
    const bLite = await requests(() => classify(first, join(dir, 'lite-b1.csv'), machine('lite-b', false)));
    // At the same moment, on a file neither has seen.
    const bothPg = await requests(() => Promise.all([classify(second, join(dir, 'pg-a2.csv'), machine('pg-a', true)), classify(second, join(dir, 'pg-b2.csv'), machine('pg-b', true))]));
    return {
      'PostgreSQL: machine A, requests for the file': aPg,
      'PostgreSQL: machine B, same file after A: requests (target 0)': bPg,
      'PostgreSQL: machine B cache hit rate': Math.round(bRun.summary.cache.hitRate * 1000) / 1000,
      'PostgreSQL: machine B wall seconds': Number(bRun.seconds.toFixed(2)),
      'SQLite (a file each): machine A, then B: requests': aLite + bLite,
      'ratio of requests, PostgreSQL / SQLite, one after the other': Math.round(((aPg + bPg) / (aLite + bLite)) * 100) / 100,
      'both at once on a new file: requests on PostgreSQL (one machine alone: the A figure)': bothPg,
    };
  } finally {
    await Promise.all([fake.close(), pg.destroy()]);
  }
}
