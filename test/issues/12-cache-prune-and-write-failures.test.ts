import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openResultCache } from '../../src/store/sqlite/result-cache.js';
import { parseDuration, parseSize } from '../../src/cli/units.js';
import { FAKE_KEY, startFakeGemini, type FakeGemini } from '../fakes/gemini.js';
import { closedPort } from '../fakes/http.js';
import { fmcBin, tempDir } from '../helpers.js';
import { fmc } from '../ops/helpers.js';

// Issue 12, item 26: `fmc cache prune --older-than 30d | --max-size 500MB`, and a classify
// summary that says when cache writes failed (the next run pays for those rows again).

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir('fmc-12-cache-')));
after(() => cleanup());

const labels = { is_claim: true, sentiment: 'negative', topic: 'fibre', incident: 'outage', urgency: 'high', confidence: 0.9 } as const;
const DAY = 86_400_000;

/** A cache of `n` entries (`pad` bytes of padding each), entry i written `ageDays(i)` days ago. */
async function seedCache(path: string, n: number, ageDays: (i: number) => number, pad = 0): Promise<void> {
  const cache = openResultCache(path);
  await cache.putMany(Array.from({ length: n }, (_, i) => ({ key: `k${String(i).padStart(5, '0')}`, tier: 'gemini', version: 'v', labels: { ...labels, provider: 'x'.repeat(pad) } })));
  await cache.close();
  const db = new BetterSqlite3(path);
  const set = db.prepare('UPDATE results SET created_at = ? WHERE key = ?');
  db.transaction(() => {
    for (let i = 0; i < n; i++) set.run(Date.now() - ageDays(i) * DAY, `k${String(i).padStart(5, '0')}`);
  })();
  db.close();
}

test('durations and sizes parse as written; a typo is a usage error', () => {
  assert.equal(parseDuration('--older-than', '30d'), 30 * DAY);
  assert.equal(parseDuration('--older-than', '12h'), 12 * 3_600_000);
  assert.equal(parseSize('--max-size', '500MB'), 500_000_000);
  assert.equal(parseSize('--max-size', '2GiB'), 2 * 1024 ** 3);
  assert.throws(() => parseDuration('--older-than', '30 days'), /use a number and a unit, e\.g\. 30d/);
  assert.throws(() => parseSize('--max-size', '500'), /e\.g\. 500MB/);
});

test('fmc cache prune --older-than 30d removes the entries written before, keeps the rest; the index migration is recorded', async () => {
  const path = join(dir, 'age.sqlite');
  await seedCache(path, 200, (i) => (i < 120 ? 45 : 2));
  const r = await fmc(['cache', 'prune', '--older-than', '30d', '--cache', path], {});
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^removed 120 of 200 entries from .*: 80 left/);
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    assert.equal(db.prepare('SELECT min(key) FROM results').pluck().get(), 'k00120');
    assert.ok(db.prepare("SELECT 1 FROM migrations WHERE id = 'm003_results_age'").get());
  } finally {
    db.close();
  }
  const none = await fmc(['cache', 'prune', '--cache', path], {});
  assert.equal(none.code, 2);
  assert.match(none.stderr, /needs --older-than <age>.*or --max-size <size>/);
  assert.equal((await fmc(['cache', 'prune', '--older-than', 'soon', '--cache', path], {})).code, 2);
});

test('fmc cache prune --max-size removes the oldest until the file fits', async () => {
  const path = join(dir, 'size.sqlite');
  // 2,000 entries of ~1 KB, the oldest first.
  await seedCache(path, 2000, (i) => 2000 - i, 1000);
  const before = openResultCache(path);
  const bytesBefore = (await before.stats()).bytes;
  before.close();
  assert.ok(bytesBefore > 1_500_000, `${bytesBefore}`);
  const r = await fmc(['cache', 'prune', '--max-size', '500KB', '--cache', path], {});
  assert.equal(r.code, 0, r.stderr);
  const after = openResultCache(path);
  try {
    const stats = await after.stats();
    assert.ok(stats.bytes <= 500_000, `${stats.bytes} bytes left`);
    const fits = (2000 * 500_000) / bytesBefore;
    assert.ok(stats.entries >= 0.8 * fits, `only ${stats.entries} entries left where about ${Math.round(fits)} fit: it removed far more than needed`);
    const kept = await after.getMany(['k01999', 'k00000']);
    assert.ok(kept.has('k01999'), 'the newest entry is kept');
    assert.equal(kept.has('k00000'), false, 'the oldest went first');
  } finally {
    after.close();
  }
});

test('a classify run whose cache writes fail says so in its summary (and in --summary-json)', async () => {
  const fake: FakeGemini = await startFakeGemini();
  const cachePath = join(dir, 'locked.sqlite');
  openResultCache(cachePath).close();
  // Another process's write transaction holds the cache: fmc's writes time out (5 s busy wait).
  const holder = new BetterSqlite3(cachePath);
  holder.exec('BEGIN IMMEDIATE');
  try {
    const input = join(dir, 'in.csv');
    writeFileSync(input, 'text\nplus de fibre depuis hier\nma facture est fausse\n');
    const summaryPath = join(dir, 'summary.json');
    const child = spawn(process.execPath, [fmcBin, 'classify', input, '-o', join(dir, 'out.csv'), '--provider', 'gemini', '--summary-json', summaryPath], {
      env: { ...process.env, NO_COLOR: '1', FMC_CACHE: cachePath, GEMINI_API_KEY: FAKE_KEY, GEMINI_BASE_URL: fake.url, GEMINI_MODEL: 'gemini-2.5-flash', OLLAMA_HOST: `http://127.0.0.1:${await closedPort()}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /cache +2 answers could not be written \(cache locked or disk full\): the next run asks the tiers for those rows again/);
    assert.equal((JSON.parse(readFileSync(summaryPath, 'utf8')) as { cache: { writeFailures: number } }).cache.writeFailures, 2);
  } finally {
    holder.exec('ROLLBACK');
    holder.close();
    await fake.close();
  }
});
