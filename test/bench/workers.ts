// `npm run bench workers`: one batch spread over 1, 2 and 4 `fmc worker` processes on
// loopback, each with its own fake Ollama (one "GPU box" each: a fixed time per request),
// then the same with the rules tier, whose labels cost next to nothing, to show the queue's
// own cost. Every figure is from this one run; the machine is shared, so read the ratios.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.js';
import { startPostgres } from '../pg/postgres.js';
import { queueEnv, spawnFmc, startWorker, stopWorkers, type Proc } from '../queue/queue-helpers.js';
import { generateTweets } from './classify.js';

// A slow box (2 s a request of 20 tweets, 4 at once: 40 tweets/s) keeps the workers' own CPU
// small beside the wait, as on real GPU boxes: 2 shared cores here cannot run 4 CPU-bound workers.
const LATENCY_MS = 2000;
const OLLAMA_ROWS = 3_200;
const RULES_ROWS = 40_000;
const CHUNK_ROWS = 100;
const WORKERS = [1, 2, 4] as const;

interface Run {
  readonly rowsPerSecond: number;
  readonly durationMs: number;
  readonly chunks: number;
}

async function classify(args: string[], env: NodeJS.ProcessEnv, summaryPath: string): Promise<Run> {
  const run: Proc = spawnFmc(['classify', ...args, '--quiet', '--summary-json', summaryPath], env);
  const code = await run.exited;
  if (code !== 0) throw new Error(`fmc classify exited ${code}: ${run.stderr()}`);
  const s = JSON.parse(readFileSync(summaryPath, 'utf8')) as { rowsPerSecond: number; durationMs: number; startupMs: number; queue?: { chunks: number } };
  // Classifying time only: start-up (tier probes, the queue's connection) is the same whatever the workers.
  return { rowsPerSecond: s.rowsPerSecond, durationMs: s.durationMs - s.startupMs, chunks: s.queue?.chunks ?? 0 };
}

export async function benchWorkers(dir: string): Promise<Record<string, number | string>> {
  const pgServer = await startPostgres();
  const fakes: FakeOllama[] = [];
  const figures: Record<string, number | string> = {};
  try {
    for (let i = 0; i < 4; i++) fakes.push(await startFakeOllama({ latencyMs: LATENCY_MS }));
    const ollamaFile = join(dir, 'workers-ollama.csv');
    const rulesFile = join(dir, 'workers-rules.csv');
    await generateTweets(ollamaFile, OLLAMA_ROWS);
    await generateTweets(rulesFile, RULES_ROWS);
    const ollamaOf = (i: number): NodeJS.ProcessEnv => ({ OLLAMA_HOST: fakes[i]!.url, OLLAMA_MODEL: 'mistral' });
    const tiers = {
      ollama: { file: ollamaFile, rows: OLLAMA_ROWS, args: ['--provider', 'ollama', '--no-cache', '--concurrency', '4'] },
      rules: { file: rulesFile, rows: RULES_ROWS, args: ['--provider', 'rules', '--no-cache'] },
    };
    for (const [tier, t] of Object.entries(tiers)) {
      // The same work in one process, no queue: what a chunk's overhead is measured against.
      const local = await classify([t.file, '-o', join(dir, `workers-${tier}-local.csv`), ...t.args], { ...process.env, ...ollamaOf(0), FMC_DATABASE_URL: '' }, join(dir, 'local.json'));
      figures[`${tier}: one process, no queue (rows/s)`] = local.rowsPerSecond;
      let one: Run | undefined;
      for (const n of WORKERS) {
        const workers = await Promise.all(Array.from({ length: n }, (_, i) => startWorker(t.args, queueEnv(pgServer.url, ollamaOf(i)))));
        try {
          const run = await classify(
            [t.file, '-o', join(dir, `workers-${tier}-${n}.csv`), '--queue', '--chunk-rows', String(CHUNK_ROWS), ...t.args],
            queueEnv(pgServer.url, ollamaOf(0)),
            join(dir, `queue-${n}.json`),
          );
          one ??= run;
          figures[`${tier}: ${n} worker${n > 1 ? 's' : ''} (rows/s)`] = run.rowsPerSecond;
          if (n > 1) figures[`${tier}: ${n} workers, speed-up over 1 (target >= ${(0.8 * n).toFixed(1)})`] = Number((run.rowsPerSecond / one.rowsPerSecond).toFixed(2));
          else figures[`${tier}: queue overhead per chunk of ${CHUNK_ROWS} rows, 1 worker vs one process (ms)`] = Math.round((run.durationMs - local.durationMs) / run.chunks);
        } finally {
          await stopWorkers(workers);
        }
      }
    }
    return figures;
  } finally {
    await Promise.all(fakes.map((f) => f.close()));
    await pgServer.destroy();
  }
}
