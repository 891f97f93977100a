// Operations in PostgreSQL mode: `fmc health` checks the connection, the migrations, LISTEN and
// the cache there (through the cache interface); `fmc backup`/`restore` say to use pg_dump.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { health, type HealthSummary } from '../../src/cli/health.js';
import { openPgDatabase } from '../../src/store/pg/database.js';
import { closedPort } from '../fakes/http.js';
import { tempDir } from '../helpers.js';
import { captureIO, fmc, isolatedEnv } from '../ops/helpers.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';
import { notificationDroppingRelay } from '../pg/tcp-relays.js';

let dir: string;
let cleanup: () => void;
let server: TestPostgres;
let env: NodeJS.ProcessEnv;
before(async () => {
  ({ dir, cleanup } = tempDir('fmc-pg-ops-'));
  env = isolatedEnv(dir);
  server = await startPostgres();
});
after(async () => {
  await server?.destroy();
  cleanup();
});

async function healthOf(databaseUrl: string): Promise<{ code: number; summary: HealthSummary }> {
  const { io, stdout } = captureIO({ ...env, FMC_DATABASE_URL: databaseUrl });
  const code = await health({ provider: 'rules', json: true }, io);
  return { code, summary: JSON.parse(stdout()) as HealthSummary };
}

const check = (s: HealthSummary, name: string) => s.checks.find((c) => c.name === name);

test('fmc health on PostgreSQL: the connection, every migration, LISTEN, the cache writable; a fresh database is reported, not migrated', async () => {
  const fresh = await server.createDatabase('fresh');
  const before = await healthOf(fresh);
  assert.equal(before.code, 1);
  assert.match(check(before.summary, 'database')!.detail, /^fmc@127\.0\.0\.1:\d+\/fresh: PostgreSQL \d+\.\S+, migrations 1, 2, 3(, \d+)* not applied; start `fmc serve`/);
  assert.match(check(before.summary, 'cache db')!.detail, /not writable: relation "results" does not exist/);
  const untouched = new pg.Client({ connectionString: fresh });
  await untouched.connect();
  assert.equal((await untouched.query("SELECT to_regclass('fmc_migrations') AS t")).rows[0].t, null, 'health created nothing');
  await untouched.end();

  await (await openPgDatabase(server.url)).close();
  const { code, summary } = await healthOf(server.url);
  assert.equal(code, 0, JSON.stringify(summary, null, 2));
  assert.deepEqual(summary.checks.map((c) => c.name).slice(0, 4), ['config', 'secrets', 'database', 'cache db']);
  assert.match(check(summary, 'database')!.detail, /^fmc@127\.0\.0\.1:\d+\/fmc: PostgreSQL \d+\.\S+, every migration applied, LISTEN hears a NOTIFY \(\d+ ms\)$/);
  assert.match(check(summary, 'cache db')!.detail, /^postgres fmc@127\.0\.0\.1:\d+\/fmc writable \(0 entries\)$/);
  assert.equal(existsSync(join(dir, 'cache')), false, 'no SQLite cache file in this mode');

  const port = await closedPort();
  const down = await healthOf(`postgres://fmc:pw@127.0.0.1:${port}/fmc`);
  assert.equal(down.code, 1);
  assert.equal(check(down.summary, 'database')!.detail, `PostgreSQL at 127.0.0.1:${port} refused the connection: start the server, or fix the host and port in --database-url or FMC_DATABASE_URL`);
});

test('fmc health on PostgreSQL reached through something that drops notifications: database fails and says what to point at', async () => {
  await (await openPgDatabase(server.url)).close();
  const relay = await notificationDroppingRelay(server.port);
  try {
    const { code, summary } = await healthOf(relay.url('fmc'));
    assert.equal(code, 1, JSON.stringify(summary, null, 2));
    const database = check(summary, 'database')!;
    assert.equal(database.ok, false);
    assert.match(database.detail, /^fmc@127\.0\.0\.1:\d+\/fmc: PostgreSQL \d+\.\S+, every migration applied, but a NOTIFY was not heard on a LISTEN connection within 2 s; instances would not hear each other's messages: point FMC_DATABASE_URL at PostgreSQL itself or at a pooler in session mode$/);
  } finally {
    await relay.close();
  }
});

test('fmc serve on a database it cannot use: one line naming the host and the fix, exit 2, no stack trace', { timeout: 60_000 }, async () => {
  const port = await closedPort();
  const missing = server.url.replace(/\/fmc$/, '/nowhere');
  for (const [url, expected] of [
    [`postgres://fmc@127.0.0.1:${port}/fmc`, `PostgreSQL at 127.0.0.1:${port} refused the connection: start the server, or fix the host and port in --database-url or FMC_DATABASE_URL`],
    [missing, `database "nowhere" does not exist on PostgreSQL at 127.0.0.1:${server.port}: create it (createdb -h 127.0.0.1 nowhere) or fix the name in --database-url or FMC_DATABASE_URL`],
  ] as const) {
    const served = await fmc(['serve', '--port', '0', '--host', '127.0.0.1', '--provider', 'rules', '--database-url', url], env);
    assert.equal(served.code, 2, served.stderr);
    const lines = served.stderr.trim().split('\n');
    assert.equal(lines.length, 1, served.stderr);
    assert.ok(lines[0]!.includes(expected), lines[0]);
    assert.doesNotMatch(served.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('fmc backup and restore on PostgreSQL refuse and say to use pg_dump / pg_restore, without the password', async () => {
  const url = server.url.replace('fmc@', 'fmc:s3cret@');
  const backup = await fmc(['backup', join(dir, 'backups')], { ...env, FMC_DATABASE_URL: url });
  assert.equal(backup.code, 2);
  assert.match(backup.stderr.trim(), /^fmc: backup copies SQLite files, but the data is in PostgreSQL \(fmc@127\.0\.0\.1:\d+\/fmc, from --database-url or FMC_DATABASE_URL\): back it up with pg_dump \(pg_dump -Fc -f fmc\.dump 'postgres:\/\/fmc@127\.0\.0\.1:\d+\/fmc'\), and save the master key apart; README, "Running on PostgreSQL" \[FMC_ERR_USAGE\]$/);
  assert.doesNotMatch(backup.stderr, /s3cret/);
  assert.equal(existsSync(join(dir, 'backups')), false, 'nothing written');
  const restore = await fmc(['restore', join(dir, 'nothing'), '--database-url', url], env);
  assert.equal(restore.code, 2);
  assert.match(restore.stderr, /restore a pg_dump with pg_restore/);
});
