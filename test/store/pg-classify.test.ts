// Batch machines sharing one PostgreSQL: `fmc classify` processes (the built CLI, as users run
// it) against one fake Gemini on loopback share the result cache, --rpm and the quota circuit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { FAKE_KEY, googleError, quotaFailure, startFakeGemini, type FakeGemini, type GeminiCall } from '../fakes/gemini.js';
import { closedPort } from '../fakes/http.js';
import { fmcBin, tempDir } from '../helpers.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';

let dir: string;
let cleanup: () => void;
let fake: FakeGemini;
let server: TestPostgres;
let noOllama: string;
let databases = 0;

before(async () => {
  ({ dir, cleanup } = tempDir('fmc-pg-classify-'));
  [fake, server] = await Promise.all([startFakeGemini(), startPostgres()]);
  noOllama = `http://127.0.0.1:${await closedPort()}`;
});
after(async () => {
  await fake?.close();
  await server?.destroy();
  cleanup();
});

/** A fresh database for one test, so runs of other tests leave no cache or budget behind. */
async function freshDatabase(): Promise<string> {
  return server.createDatabase(`classify_${databases++}`);
}

interface Done {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** One batch machine: its own SQLite cache path (unused in this mode), the shared database. */
function fmc(args: string[], env: NodeJS.ProcessEnv): Promise<Done> {
  const child = spawn(process.execPath, [fmcBin, ...args], {
    env: { ...process.env, NO_COLOR: '1', FMC_CACHE: join(dir, `machine-${Math.random()}.sqlite`), GEMINI_API_KEY: FAKE_KEY, GEMINI_BASE_URL: fake.url, GEMINI_MODEL: 'gemini-2.5-flash', OLLAMA_HOST: noOllama, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

function writeInput(name: string, rows: number, tag = ''): string {
  const path = join(dir, name);
  const records = Array.from({ length: rows }, (_, i) => [`id${i}`, i % 3 === 0 ? `panne fibre ${tag}numéro ${i}` : `question ${tag}numéro ${i} sur mon forfait`]);
  writeFileSync(path, stringify([['tweet_id', 'text'], ...records]));
  return path;
}

const readRows = (path: string) => parse(readFileSync(path), { columns: true }) as Record<string, string>[];

/** A request's arrival at a fake, and the machine that sent it: A's rows say "alpha", B's "beta". */
interface Arrival {
  readonly at: number;
  readonly tag: 'a' | 'b';
}
const arrivalOf = (call: GeminiCall): Arrival => ({ at: performance.now(), tag: call.items[0]!.text.includes('alpha') ? 'a' : 'b' });

/** Machines A and B each classify `rows` rows of their own through Gemini, at the same moment; both must succeed. */
async function twoMachines(name: string, rows: number, flags: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const args = (machine: string) => ['classify', writeInput(`${name}-${machine}.csv`, rows, `${machine} `), '-o', join(dir, `${name}-${machine}-out.csv`), '--provider', 'gemini', '--batch-size', '1', '--quiet', ...flags];
  for (const done of await Promise.all([fmc(args('alpha'), env), fmc(args('beta'), env)])) assert.equal(done.status, 0, done.stderr);
}

/** Whether A's requests and B's spanned the same time: otherwise a test of sharing shows nothing. */
function overlapped(arrivals: readonly Arrival[]): boolean {
  const span = (tag: Arrival['tag']) => arrivals.filter((x) => x.tag === tag).map((x) => x.at);
  return Math.min(...span('a')) < Math.max(...span('b')) && Math.min(...span('b')) < Math.max(...span('a'));
}

test('a second machine classifying the same file pays 0 requests: the cache is the database', async () => {
  fake.calls.length = 0;
  fake.script = () => undefined;
  const url = await freshDatabase();
  const input = writeInput('shared.csv', 40);
  const run = (out: string) => fmc(['classify', input, '-o', join(dir, out), '--provider', 'gemini', '--batch-size', '10', '--summary-json', join(dir, `${out}.json`)], { FMC_DATABASE_URL: url });
  const first = await run('first.csv');
  assert.equal(first.status, 0, first.stderr);
  assert.equal(fake.calls.length, 4);
  const second = await run('second.csv');
  assert.equal(second.status, 0, second.stderr);
  assert.equal(fake.calls.length, 4, 'the second machine made no request');
  const summary = JSON.parse(readFileSync(join(dir, 'second.csv.json'), 'utf8'));
  assert.equal(summary.cache.hits, 40);
  assert.equal(summary.tiers.gemini.requests, 0);
  assert.deepEqual(readRows(join(dir, 'second.csv')), readRows(join(dir, 'first.csv')));

  // `fmc cache` sees the same entries, through the flag as through the variable.
  const stats = await fmc(['cache', 'stats', '--json', '--database-url', url], {});
  assert.equal(stats.status, 0, stats.stderr);
  assert.equal(JSON.parse(stats.stdout).byTier.gemini, 40);
  const pruned = await fmc(['cache', 'prune', '--older-than', '1d'], { FMC_DATABASE_URL: url });
  assert.equal(pruned.status, 0, pruned.stderr);
  assert.match(pruned.stdout, /^removed 0 of 40 entries from postgres fmc@127\.0\.0\.1:\d+\/classify_\d+: 40 left/);
});

test('two machines with --rpm share one budget: together they never exceed it', async () => {
  fake.calls.length = 0;
  const arrivals: Arrival[] = [];
  fake.script = (call) => void arrivals.push(arrivalOf(call));
  // rpm 600: one request every 100 ms for both machines together, 25 requests each.
  const RPM = 600;
  await twoMachines('rpm', 25, ['--concurrency', '4', '--rpm', String(RPM)], { FMC_DATABASE_URL: await freshDatabase() });
  assert.equal(arrivals.length, 50);
  const times = arrivals.map((x) => x.at).sort((x, y) => x - y);
  assert.ok(overlapped(arrivals), 'the two machines ran at the same time');
  // In any one-second window at the fake: at most rpm/60 = 10 departures, plus 2 for the
  // jitter between a departure and its arrival. Two unshared limiters would send 20.
  const WINDOW = 1000;
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= WINDOW) j++;
    most = Math.max(most, i - j + 1);
  }
  assert.ok(most <= RPM / 60 + 2, `${most} requests within one second (limit ${RPM / 60})`);
});

test('--rpm 60 as written, on two machines: one request a second between them, whichever sends it', async () => {
  fake.calls.length = 0;
  const arrivals: Arrival[] = [];
  fake.script = (call) => void arrivals.push(arrivalOf(call));
  // One request at a time each, so the two take turns from the shared budget.
  await twoMachines('sixty', 3, ['--concurrency', '1', '--rpm', '60'], { FMC_DATABASE_URL: await freshDatabase() });
  assert.equal(arrivals.length, 6);
  const times = arrivals.map((x) => x.at).sort((x, y) => x - y);
  // Slots a second apart on the database's clock; an arrival can trail its slot by a few ms.
  const gaps = times.slice(1).map((t, i) => Math.round(t - times[i]!));
  assert.ok(gaps.every((g) => g >= 900), `gaps between requests: ${gaps.join(', ')} ms (rpm 60: 1,000)`);
  // Over the same seconds: unshared, their requests would meet.
  assert.ok(overlapped(arrivals), 'the two machines ran at the same time');
});

test('a daily quota spent on one machine opens the circuit for the others: they pay nothing and say why', async () => {
  fake.calls.length = 0;
  fake.script = () => googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', [quotaFailure('GenerateRequestsPerDayPerProjectPerModel-FreeTier')]);
  const url = await freshDatabase();
  const run = (name: string) => fmc(['classify', writeInput(`${name}.csv`, 10, name), '-o', join(dir, `${name}-out.csv`), '--batch-size', '10', '--concurrency', '1'], { FMC_DATABASE_URL: url });
  const first = await run('quota-one');
  assert.equal(first.status, 0, first.stderr);
  assert.equal(fake.calls.length, 1);
  assert.match(first.stderr, /gemini +unavailable: gemini: daily quota exhausted/);
  const second = await run('quota-two');
  assert.equal(second.status, 0, second.stderr);
  assert.equal(fake.calls.length, 1, 'the second machine asked nothing');
  assert.match(second.stderr, /gemini +unavailable: gemini: daily quota exhausted .*circuit opened for every fmc process on the database until \d\d:\d\d UTC/);
  assert.ok(readRows(join(dir, 'quota-two-out.csv')).every((r) => r.provider !== 'gemini'));
});

test('a 429 on one machine pauses the others too: neither asks again until its backoff is over', async () => {
  const slow = await startFakeGemini({ latencyMs: 20 });
  try {
    const arrivals: Arrival[] = [];
    let refusedAt: number | undefined;
    slow.script = (call) => {
      const arrival = arrivalOf(call);
      arrivals.push(arrival);
      // Once both machines are asking, A's next request gets a plain 429: no Retry-After, no quota named.
      if (refusedAt === undefined && arrival.tag === 'a' && arrivals.some((x) => x.tag === 'b')) {
        refusedAt = arrival.at;
        return googleError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).');
      }
      return undefined;
    };
    await twoMachines('pause', 60, ['--concurrency', '1'], { FMC_DATABASE_URL: await freshDatabase(), GEMINI_BASE_URL: slow.url });
    assert.ok(refusedAt !== undefined, 'both machines were asking at once');
    // A's first backoff step waits 250-500 ms from the refusal's answer (20 ms later) and holds
    // the tier for every process on the database. B may have a request or two out before the
    // hold is written: nothing from 150 ms on (unpaused, B asks every 20-25 ms).
    const during = arrivals.filter((x) => x.at > refusedAt! + 150 && x.at < refusedAt! + 250);
    assert.deepEqual(during.map((x) => `${x.tag} at +${(x.at - refusedAt!).toFixed(0)} ms`), [], 'no request inside the hold');
    assert.ok(arrivals.some((x) => x.tag === 'b' && x.at >= refusedAt! + 250), 'B was still running after the hold');
    assert.equal(arrivals.length, 121, 'every row answered, the refused one asked twice');
  } finally {
    await slow.close();
  }
});

test('a database that cannot be reached: one line naming the host and the fix, exit 2, nothing written', async () => {
  const port = await closedPort();
  const out = join(dir, 'never.csv');
  const r = await fmc(['classify', writeInput('down.csv', 3), '-o', out, '--provider', 'rules', '--database-url', `postgres://fmc:secret@127.0.0.1:${port}/fmc`], {});
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim(), `fmc: PostgreSQL at 127.0.0.1:${port} refused the connection: start the server, or fix the host and port in --database-url or FMC_DATABASE_URL [FMC_ERR_DB_UNAVAILABLE]`);
  const stats = await fmc(['cache', 'stats'], { FMC_DATABASE_URL: 'mysql://x@y/z' });
  assert.equal(stats.status, 2);
  assert.match(stats.stderr.trim(), /^fmc: FMC_DATABASE_URL is not a PostgreSQL URL \(scheme mysql\); .* \[FMC_ERR_DB_UNAVAILABLE\]$/);
  const both = await fmc(['cache', 'stats', '--cache', join(dir, 'x.sqlite')], { FMC_DATABASE_URL: server.url });
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--cache names an SQLite file, but a database URL is set/);
});
