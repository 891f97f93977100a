// `npm run bench llm`: the Gemini tier's throughput against a fake API that takes 300 ms per
// request, through the real CLI and the real @google/genai client. The fake runs in this
// process, so the CLI is spawned asynchronously.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAKE_KEY, startFakeGemini } from '../fakes/gemini.js';
import { closedPort } from '../fakes/http.js';
import { fmcBin } from '../helpers.js';
import { generateTweets } from './classify.js';

export interface LlmBenchFigures {
  readonly [figure: string]: number;
}

/** Runs the real CLI asynchronously (a fake in this process answers it); its wall seconds. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const start = performance.now();
  const child = spawn(process.execPath, [fmcBin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - start) / 1000) : reject(new Error(`fmc ${args.join(' ')} exited ${code}: ${stderr}`)))),
  );
}

export async function benchGemini(dir: string, tweets = 4000): Promise<LlmBenchFigures> {
  const input = join(dir, 'llm-tweets.csv');
  await generateTweets(input, tweets);
  const fake = await startFakeGemini({ latencyMs: 300 });
  try {
    const summaryPath = join(dir, 'llm-summary.json');
    const env = { GEMINI_API_KEY: FAKE_KEY, GEMINI_BASE_URL: fake.url, OLLAMA_HOST: `http://127.0.0.1:${await closedPort()}`, FMC_CACHE: join(dir, 'llm-cache.sqlite') };
    const args = ['classify', input, '-o', join(dir, 'llm-out.csv'), '--provider', 'gemini', '--concurrency', '8', '--batch-size', '20', '--quiet', '--summary-json', summaryPath];
    const seconds = await runCli(args, env);
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as { rowsPerSecond: number; providers: Record<string, number> };
    const requests = fake.calls.length;
    const rerunSeconds = await runCli(args, env);
    return {
      'tweets/s at concurrency 8, batch 20 (target >= 400)': summary.rowsPerSecond,
      'tweets/s wall, incl. start-up': Math.round(tweets / seconds),
      'requests per 1,000 tweets (target <= 50)': Math.round((requests / tweets) * 1000 * 10) / 10,
      'rows labeled by gemini': summary.providers.gemini ?? 0,
      'cached rerun: requests (target 0)': fake.calls.length - requests,
      'cached rerun: wall seconds': Number(rerunSeconds.toFixed(2)),
    };
  } finally {
    await fake.close();
  }
}
