// Issue #18: `fmc classify --queue` and `fmc worker` as real processes on a real PostgreSQL.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.js';
import { closedPort } from '../fakes/http.js';
import { fixture, tempDir } from '../helpers.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';
import { killAll, query, queueEnv, spawnFmc, startWorker, stopWorkers, until, type Proc } from './queue-helpers.js';

let server: TestPostgres;
let tmp: ReturnType<typeof tempDir>;
let fake: FakeOllama;
/** tweets.csv with a malformed row in the middle (one field too many). */
let input: string;
/** Its first 600 rows: the slow (fake Ollama) scenarios. */
let small: string;
const RULES = ['--provider', 'rules', '--no-cache'];
let OLLAMA: string[];
let ollamaEnv: NodeJS.ProcessEnv;

before(async () => {
  server = await startPostgres();
  tmp = tempDir('fmc-queue-');
  const lines = readFileSync(fixture('tweets.csv'), 'utf8').split('\n');
  lines.splice(1500, 0, '999999,someone,"une ligne de trop",2021-01-01 00:00:00+00:00,https://x,extra');
  input = join(tmp.dir, 'tweets.csv');
  writeFileSync(input, lines.join('\n'));
  small = join(tmp.dir, 'small.csv');
  writeFileSync(small, lines.slice(0, 601).join('\n') + '\n');
  // 40 ms a request: a 100-row chunk takes 5 requests one after another, ~0.2 s.
  fake = await startFakeOllama({ latencyMs: 40 });
  ollamaEnv = { OLLAMA_HOST: fake.url, OLLAMA_MODEL: 'mistral' };
  OLLAMA = ['--provider', 'ollama', '--no-cache', '--concurrency', '1'];
});
after(async () => {
  // A failed test may leave a coordinator or worker waiting: their pipes would keep this process alive.
  killAll();
  await fake?.close();
  await server?.destroy();
  tmp?.cleanup();
});

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => queueEnv(server.url, extra);

// Each test takes 1-12 s here; a process that never exits (a coordinator left waiting by an
// earlier failure) fails its test at this limit instead of hanging the whole suite.
const LIMIT = { timeout: 120_000 };

/** A single-process run of the same file: the reference output and summary. */
async function localRun(file: string, args: string[], name: string, extra: NodeJS.ProcessEnv = {}): Promise<{ out: Buffer; summary: Record<string, any> }> {
  const out = join(tmp.dir, `${name}.local.csv`);
  const summary = join(tmp.dir, `${name}.local.json`);
  const run = spawnFmc(['classify', file, '-o', out, '--skip-invalid', '--quiet', '--summary-json', summary, ...args], { ...process.env, ...extra, FMC_DATABASE_URL: '' });
  assert.equal(await run.exited, 0, run.stderr());
  return { out: readFileSync(out), summary: JSON.parse(readFileSync(summary, 'utf8')) };
}

function coordinator(file: string, out: string, args: string[], extra: NodeJS.ProcessEnv = {}): Proc & { summaryPath: string } {
  const summaryPath = `${out}.json`;
  const p = spawnFmc(['classify', file, '-o', out, '--queue', '--skip-invalid', '--summary-json', summaryPath, ...args], env(extra));
  return Object.assign(p, { summaryPath });
}

/** Batches stored (0 before the first coordinator made the tables). */
async function batchCount(): Promise<number> {
  const [t] = await query<{ t: string | null }>(server.url, "SELECT to_regclass('fmc_queue_batches')::text AS t");
  if (!t?.t) return 0;
  return Number((await query<{ n: string }>(server.url, 'SELECT count(*)::text AS n FROM fmc_queue_batches'))[0]!.n);
}
const resultCount = async (): Promise<number> => Number((await query<{ n: string }>(server.url, 'SELECT count(*)::text AS n FROM fmc_queue_results'))[0]!.n);

test('three workers: the output equals a single-process run byte for byte; invalid rows reported alike', LIMIT, async () => {
  const local = await localRun(input, RULES, 'rules');
  const workers = await Promise.all([1, 2, 3].map(() => startWorker(RULES, env())));
  try {
    const out = join(tmp.dir, 'three.csv');
    const c = coordinator(input, out, [...RULES, '--chunk-rows', '200']);
    assert.equal(await c.exited, 0, c.stderr());
    assert.ok(readFileSync(out).equals(local.out), 'queue output differs from the local run');
    const summary = JSON.parse(readFileSync(c.summaryPath, 'utf8'));
    assert.equal(summary.rows, local.summary.rows);
    assert.equal(summary.invalidRows, 1);
    assert.deepEqual(summary.invalid, local.summary.invalid);
    assert.deepEqual(summary.labels, local.summary.labels);
    assert.deepEqual(summary.providers, local.summary.providers);
    assert.equal(summary.queue.chunks, Math.ceil(summary.rows / 200));
    assert.equal(Object.values<number>(summary.queue.workers).reduce((a, b) => a + b, 0), summary.rows);
    assert.equal(summary.queue.retriedChunks, 0);
    assert.ok(summary.queue.wallMs > 0);
    assert.match(c.stderr(), /queue: \d+ chunks by \d+ workers?, 0 retried/);
    // Done: the batch, its jobs and its stored labels are gone.
    assert.equal(await resultCount(), 0);
    assert.equal((await query(server.url, 'SELECT 1 FROM fmc_queue_batches')).length, 0);
  } finally {
    await stopWorkers(workers);
  }
  for (const w of workers) assert.equal(await w.exited, 0, w.stderr());
});

test('SIGKILL a worker mid-chunk: its chunk re-runs on another worker, no row lost or doubled', LIMIT, async () => {
  const local = await localRun(small, OLLAMA, 'ollama', ollamaEnv);
  const victim = await startWorker(OLLAMA, env(ollamaEnv));
  const out = join(tmp.dir, 'killed.csv');
  const c = coordinator(small, out, [...OLLAMA, '--chunk-rows', '100'], ollamaEnv);
  const others: Proc[] = [];
  try {
    // The victim has a chunk in hand (its job active, its labels not stored).
    await until(async () => (await query(server.url, "SELECT 1 FROM pgboss.job WHERE state = 'active'")).length > 0 && /chunk \d+ of batch/.test(victim.stderr()), 'the victim to be mid-chunk');
    victim.child.kill('SIGKILL');
    assert.equal(await victim.exited, 'SIGKILL');
    others.push(await startWorker(OLLAMA, env(ollamaEnv)), await startWorker(OLLAMA, env(ollamaEnv)));
    assert.equal(await c.exited, 0, c.stderr());
    assert.ok(readFileSync(out).equals(local.out), 'output differs from the local run after a worker was killed');
    const summary = JSON.parse(readFileSync(c.summaryPath, 'utf8'));
    assert.equal(summary.rows, 600);
    assert.equal(summary.queue.chunks, 6);
    assert.ok(summary.queue.retriedChunks >= 1, `retriedChunks ${summary.queue.retriedChunks}`);
  } finally {
    await stopWorkers(others);
  }
});

test('kill the coordinator and run it again: it resumes, only the missing chunks run', LIMIT, async () => {
  const local = await localRun(small, OLLAMA, 'ollama-resume', ollamaEnv);
  const out = join(tmp.dir, 'resumed.csv');
  const callsBefore = fake.calls.length;
  const first = coordinator(small, out, [...OLLAMA, '--chunk-rows', '100'], ollamaEnv);
  const worker = await startWorker(OLLAMA, env(ollamaEnv));
  try {
    await until(async () => (await resultCount()) >= 2, 'two chunks done');
    first.child.kill('SIGKILL');
    await first.exited;
    assert.equal(existsSync(out), false, 'a killed coordinator left an output file');
    // A second coordinator on the same file while the first is gone: takes the batch over.
    const second = coordinator(small, out, [...OLLAMA, '--chunk-rows', '100'], ollamaEnv);
    assert.equal(await second.exited, 0, second.stderr());
    assert.ok(readFileSync(out).equals(local.out));
    const summary = JSON.parse(readFileSync(second.summaryPath, 'utf8'));
    assert.equal(summary.queue.chunks, 6);
    // Every chunk was sent by the first coordinator (64 ahead): the second sent none again.
    assert.equal(summary.queue.submittedChunks, 0);
    // 6 chunks of 5 requests each: no chunk ran twice.
    assert.equal(fake.calls.length - callsBefore, 30);
  } finally {
    await stopWorkers([worker]);
  }
});

test('Ctrl-C stops the coordinator (130, no output); --cancel removes the jobs and labels', LIMIT, async () => {
  const out = join(tmp.dir, 'cancelled.csv');
  const c = coordinator(small, out, [...OLLAMA, '--chunk-rows', '100'], ollamaEnv);
  await until(async () => (await batchCount()) > 0 && (await query(server.url, "SELECT 1 FROM pgboss.job WHERE state = 'created'")).length > 0, 'chunks queued');
  c.child.kill('SIGINT');
  assert.equal(await c.exited, 130, c.stderr());
  assert.equal(existsSync(out), false);
  const queue = (await query<{ queue: string }>(server.url, 'SELECT queue FROM fmc_queue_batches'))[0]!.queue;
  const cancel = spawnFmc(['classify', small, '--cancel'], env());
  assert.equal(await cancel.exited, 0, cancel.stderr());
  assert.match(cancel.stderr(), /cancelled batch [0-9a-f]{12} of small\.csv/);
  assert.equal((await query(server.url, 'SELECT 1 FROM fmc_queue_batches')).length, 0);
  assert.equal((await query(server.url, 'SELECT 1 FROM pgboss.job WHERE name = $1', [queue])).length, 0);
  const again = spawnFmc(['classify', small, '--cancel'], env());
  assert.equal(await again.exited, 0);
  assert.match(again.stderr(), /nothing queued to cancel/);
});

test('two coordinators on the same file: the second refuses in one line (75), the first finishes', LIMIT, async () => {
  const local = await localRun(small, OLLAMA, 'ollama-two', ollamaEnv);
  const out1 = join(tmp.dir, 'first.csv');
  const out2 = join(tmp.dir, 'second.csv');
  const first = coordinator(small, out1, [...OLLAMA, '--chunk-rows', '100'], ollamaEnv);
  await until(async () => (await batchCount()) > 0, 'the first coordinator to register');
  const second = coordinator(small, out2, [...OLLAMA, '--chunk-rows', '100'], ollamaEnv);
  assert.equal(await second.exited, 75);
  const lines = second.stderr().trim().split('\n').filter((l) => l.startsWith('fmc: ') && !l.startsWith('fmc: queue:'));
  assert.equal(lines.length, 1, second.stderr());
  assert.match(lines[0]!, /small\.csv is already being classified through the queue by another coordinator \(fmc classify --queue \(pid \d+/);
  assert.match(lines[0]!, /\[FMC_ERR_QUEUE_BUSY\]/);
  assert.equal(existsSync(out2), false);
  const worker = await startWorker(OLLAMA, env(ollamaEnv));
  try {
    assert.equal(await first.exited, 0, first.stderr());
    assert.ok(readFileSync(out1).equals(local.out));
  } finally {
    await stopWorkers([worker]);
  }
});

test('a worker whose chain differs refuses the chunks with a clear message; a matching worker does them', LIMIT, async () => {
  const local = await localRun(small, RULES, 'rules-small');
  const out = join(tmp.dir, 'versions.csv');
  const wrong = await startWorker(OLLAMA, env(ollamaEnv));
  const c = coordinator(small, out, [...RULES, '--chunk-rows', '100']);
  const right: Proc[] = [];
  try {
    await until(() => /refuses the chunks of small\.csv/.test(wrong.stderr()), 'the refusal');
    assert.match(wrong.stderr(), /its chain is rules rules-[^;]+, this worker's is ollama mistral\+/);
    await until(() => /warning: worker .* refuses the chunks of small\.csv/.test(c.stderr()), 'the coordinator to show the refusal');
    assert.equal(await resultCount(), 0, 'the refusing worker labeled chunks');
    // fmc health: the worker seen, and the six chunks waiting.
    const health = spawnFmc(['health', '--json', '--provider', 'rules'], env({ FMC_DATA_DIR: join(tmp.dir, 'data'), FMC_CACHE: join(tmp.dir, 'cache.sqlite') }));
    await health.exited;
    const checks = JSON.parse(health.stdout()).checks as { name: string; detail: string }[];
    const workerId = /worker (\S+) refuses/.exec(wrong.stderr())![1]!;
    // Workers SIGKILLed by the tests above are still listed (seen under a minute ago).
    assert.match(checks.find((k) => k.name === 'queue workers')!.detail, new RegExp(`\\d+ seen in the last \\d+ s: .*${workerId} \\(idle`));
    assert.match(checks.find((k) => k.name === 'queue depth')!.detail, /6 chunks waiting: small\.csv 6 queued, 0 running, 0 done/);
    right.push(await startWorker(RULES, env()));
    assert.equal(await c.exited, 0, c.stderr());
    assert.ok(readFileSync(out).equals(local.out));
    const summary = JSON.parse(readFileSync(c.summaryPath, 'utf8'));
    assert.deepEqual(Object.keys(summary.queue.workers).length, 1);
  } finally {
    await stopWorkers([wrong, ...right]);
  }
});

test('SIGTERM: a worker finishes the chunk in hand, stores it, and exits 0', LIMIT, async () => {
  const out = join(tmp.dir, 'sigterm.csv');
  const worker = await startWorker(OLLAMA, env(ollamaEnv));
  const c = coordinator(small, out, [...OLLAMA, '--chunk-rows', '100'], ollamaEnv);
  try {
    await until(async () => (await query(server.url, "SELECT 1 FROM pgboss.job WHERE state = 'active'")).length > 0, 'a chunk in hand');
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0, worker.stderr());
    assert.match(worker.stderr(), /SIGTERM: finishing the chunk in hand/);
    // Every chunk it had taken was finished and stored: none left active for expiry to retry.
    const stopped = /stopped after (\d+) chunks?/.exec(worker.stderr());
    assert.ok(stopped, worker.stderr());
    assert.ok(Number(stopped[1]) >= 1);
    assert.equal(await resultCount(), Number(stopped[1]));
    assert.equal((await query(server.url, "SELECT 1 FROM pgboss.job WHERE state = 'active'")).length, 0);
  } finally {
    const finisher = await startWorker(OLLAMA, env(ollamaEnv));
    assert.equal(await c.exited, 0, c.stderr());
    await stopWorkers([finisher]);
  }
});

test('the database unreachable: worker and coordinator exit 2 with one line, no output written', LIMIT, async () => {
  const url = `postgres://fmc@127.0.0.1:${await closedPort()}/fmc`;
  const w = spawnFmc(['worker', ...RULES], queueEnv(url));
  assert.equal(await w.exited, 2);
  assert.match(w.stderr(), /^fmc: PostgreSQL at 127\.0\.0\.1:\d+ refused the connection: .* \[FMC_ERR_DB_UNAVAILABLE\]\n$/);
  const out = join(tmp.dir, 'nodb.csv');
  const c = spawnFmc(['classify', small, '-o', out, '--queue', ...RULES], queueEnv(url));
  assert.equal(await c.exited, 2);
  assert.match(c.stderr(), /^fmc: PostgreSQL at 127\.0\.0\.1:\d+ refused the connection: .* \[FMC_ERR_DB_UNAVAILABLE\]\n$/);
  assert.equal(existsSync(out), false);
  const stdin = spawnFmc(['classify', '-', '-o', out, '--queue', ...RULES], env());
  assert.equal(await stdin.exited, 2);
  assert.match(stdin.stderr(), /--queue reads a file, not stdin/);
  const noUrl = spawnFmc(['worker', ...RULES], { ...process.env, FMC_DATABASE_URL: '' });
  assert.equal(await noUrl.exited, 2);
  assert.match(noUrl.stderr(), /PostgreSQL is needed by fmc worker: set FMC_DATABASE_URL/);
});

test('--no-hashtags and --escalate-below with --queue are refused in one line (2) before any work: the workers would not apply them', LIMIT, async () => {
  const out = join(tmp.dir, 'refused.csv');
  for (const flag of [['--no-hashtags'], ['--escalate-below', '0.8']]) {
    const c = spawnFmc(['classify', small, '-o', out, '--queue', ...RULES, ...flag], env());
    assert.equal(await c.exited, 2);
    assert.match(c.stderr(), new RegExp(`^fmc: ${flag[0]} does not reach the queue's workers: run this file without --queue, or without it \\[FMC_ERR_USAGE\\]\n$`));
    assert.equal(existsSync(out), false);
  }
});
