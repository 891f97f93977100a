// The PostgreSQL foundation against a real server: the URL's resolution, the connect errors
// (one line naming the host and the fix), and migrations applied once under the advisory lock.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { FmcError } from '../../src/errors.js';
import { databaseUrlOf } from '../../src/store/database-url.js';
import { openPgDatabase } from '../../src/store/pg/database.js';
import { applyPgMigrations, orderMigrations, pendingPgMigrations } from '../../src/store/pg/migrate.js';
import { PG_MIGRATIONS } from '../../src/store/pg/migrations.js';
import { openPool } from '../../src/store/pg/pool.js';
import { repoRoot } from '../helpers.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.destroy();
});

async function dbError(run: () => Promise<unknown>): Promise<FmcError> {
  try {
    await run();
  } catch (err) {
    assert.ok(err instanceof FmcError, `not an FmcError: ${(err as Error).stack}`);
    assert.equal(err.code, 'FMC_ERR_DB_UNAVAILABLE');
    assert.equal(err.exitCode, 2);
    assert.equal(err.status, 503);
    assert.doesNotMatch(err.message, /\n/);
    return err;
  }
  assert.fail('expected FMC_ERR_DB_UNAVAILABLE');
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

test('--database-url wins over FMC_DATABASE_URL; neither means SQLite; a URL that is not PostgreSQL is one line', async () => {
  assert.equal(databaseUrlOf(undefined, loadConfig({})), undefined);
  assert.equal(databaseUrlOf(undefined, loadConfig({ FMC_DATABASE_URL: 'postgres://a@h/db' })), 'postgres://a@h/db');
  assert.equal(databaseUrlOf('postgresql://b@h2/db', loadConfig({ FMC_DATABASE_URL: 'postgres://a@h/db' })), 'postgresql://b@h2/db');
  const bad = await dbError(async () => databaseUrlOf('mysql://root:hunter2@db/x', {}));
  assert.match(bad.message, /^--database-url is not a PostgreSQL URL \(scheme mysql\); use postgres:\/\/user:password@host:5432\/database/);
  assert.doesNotMatch(bad.message, /hunter2/);
  const garbage = await dbError(async () => databaseUrlOf(undefined, { databaseUrl: 'not a url' }));
  assert.match(garbage.message, /^FMC_DATABASE_URL is not a PostgreSQL URL;/);
});

test('connect errors: refused, missing database, wrong password: one line naming the host and the fix, never the password', async () => {
  const port = await freePort();
  const refused = await dbError(() => openPool(`postgres://fmc@127.0.0.1:${port}/fmc`, { connectTimeoutMs: 2000 }));
  assert.equal(refused.message, `PostgreSQL at 127.0.0.1:${port} refused the connection: start the server, or fix the host and port in --database-url or FMC_DATABASE_URL`);

  const missing = await dbError(() => openPool(server.url.replace(/\/fmc$/, '/nope')));
  assert.equal(missing.message, `database "nope" does not exist on PostgreSQL at 127.0.0.1:${server.port}: create it (createdb -h 127.0.0.1 nope) or fix the name in --database-url or FMC_DATABASE_URL`);

  // The test cluster trusts every local user; this role alone must give a real password.
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query("CREATE ROLE alice LOGIN PASSWORD 'right-one'");
  const hba = join(server.dataDir, 'pg_hba.conf');
  writeFileSync(hba, `host all alice 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
  await admin.query('SELECT pg_reload_conf()');
  await admin.end();
  const wrong = await dbError(() => openPool(`postgres://alice:wrong-one@127.0.0.1:${server.port}/fmc`));
  assert.equal(wrong.message, `PostgreSQL at 127.0.0.1:${server.port} rejected the password of user alice: fix the password in --database-url or FMC_DATABASE_URL`);
  const right = await openPool(`postgres://alice:right-one@127.0.0.1:${server.port}/fmc`);
  await right.end();
});

test('two processes migrating at once: each migration is applied exactly once and recorded', async () => {
  const url = await server.createDatabase('race');
  // A slow extra step keeps the first process inside the lock while the second arrives.
  const child = `
    const { openPool } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/src/store/pg/pool.js')).href)});
    const { applyPgMigrations } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/src/store/pg/migrate.js')).href)});
    const { PG_MIGRATIONS } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/src/store/pg/migrations.js')).href)});
    const pool = await openPool(process.argv[1]);
    const slow = [{ id: 999, name: 'slow', sql: 'SELECT pg_sleep(0.5); CREATE TABLE slow_step (x int)' }];
    const report = await applyPgMigrations(pool, [...PG_MIGRATIONS, slow]);
    process.stdout.write(JSON.stringify(report.applied));
    await pool.end();`;
  const run = (): Promise<{ code: number | null; out: string; err: string }> =>
    new Promise((resolve) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', child, url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('close', (code) => resolve({ code, out, err }));
    });
  const [a, b] = await Promise.all([run(), run()]);
  assert.equal(a.code, 0, a.err);
  assert.equal(b.code, 0, b.err);
  const applied = [...JSON.parse(a.out), ...JSON.parse(b.out)].sort((x, y) => x - y);
  const expected = [...orderMigrations(PG_MIGRATIONS).map((m) => m.id), 999];
  assert.deepEqual(applied, expected, 'every migration applied once, by one of the two');

  const pool = await openPool(url);
  try {
    const rows = (await pool.query<{ id: number }>('SELECT id FROM fmc_migrations ORDER BY id')).rows.map((r) => r.id);
    assert.deepEqual(rows, expected);
    // Idempotent: a third run applies nothing, and nothing is pending.
    assert.deepEqual((await applyPgMigrations(pool, PG_MIGRATIONS)).applied, []);
    assert.deepEqual(await pendingPgMigrations(pool, PG_MIGRATIONS), []);
  } finally {
    await pool.end();
  }
});

test('openPgDatabase migrates a fresh database; a failing migration rolls back and is not recorded', async () => {
  const db = await openPgDatabase(server.url);
  try {
    const tables = (await db.pool.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.t);
    assert.ok(tables.includes('results') && tables.includes('users') && tables.includes('fmc_migrations'), tables.join(','));
    const broken = [{ id: 998, name: 'broken', sql: 'CREATE TABLE half_done (x int); SELECT no_such_function()' }];
    await assert.rejects(applyPgMigrations(db.pool, [...PG_MIGRATIONS, broken]), /PostgreSQL migration 998 \(broken\) failed/);
    assert.equal((await db.pool.query("SELECT to_regclass('half_done') AS t")).rows[0].t, null);
    assert.deepEqual(await pendingPgMigrations(db.pool, [...PG_MIGRATIONS, broken]), [998]);
    assert.throws(() => orderMigrations([[{ id: 1, name: 'a', sql: '' }], [{ id: 1, name: 'b', sql: '' }]]), /share id 1/);
  } finally {
    await db.close();
  }
});
