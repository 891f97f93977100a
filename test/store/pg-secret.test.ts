// The token-signing secret of `fmc serve`: generated once into PostgreSQL and shared by every
// instance on it; FMC_JWT_SECRET wins in both modes; SQLite mode keeps its 0600 file.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openAccounts } from '../../src/server/accounts.js';
import { openPgDatabase, type PgDatabase } from '../../src/store/pg/database.js';
import { loadOrCreatePgSecret } from '../../src/store/pg/secret.js';
import { openDataDb } from '../../src/store/sqlite/data-db.js';
import { tempDir } from '../helpers.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';

let server: TestPostgres;
const temp = tempDir('fmc-pg-secret-');
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.destroy();
  temp.cleanup();
});

const secretRows = async (db: PgDatabase): Promise<number> => Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM server_secrets')).rows[0]!.n);

test('instances starting at once on a fresh database all end up with the one secret that was inserted first', async () => {
  const url = await server.createDatabase('race');
  const [one, two] = await Promise.all([openPgDatabase(url), openPgDatabase(url)]);
  try {
    const secrets = await Promise.all(Array.from({ length: 8 }, (_, i) => loadOrCreatePgSecret((i % 2 ? one : two).pool, url)));
    assert.equal(new Set(secrets).size, 1, 'one secret');
    assert.match(secrets[0]!, /^[\w-]{64}$/, '48 random bytes, base64url');
    assert.equal(await secretRows(one), 1);
    assert.equal(await loadOrCreatePgSecret(two.pool, url), secrets[0], 'stable across starts');
  } finally {
    await Promise.all([one.close(), two.close()]);
  }
});

test('openAccounts: PostgreSQL mode shares the database secret and writes no file; FMC_JWT_SECRET wins and nothing is generated', async () => {
  const url = await server.createDatabase('accounts');
  const db = await openPgDatabase(url);
  const dataDir = join(temp.dir, 'pg-mode');
  const data = openDataDb(dataDir);
  try {
    const where = { data, secretFile: join(dataDir, 'jwt-secret'), refreshTtlSeconds: 60 };
    const given = 'g'.repeat(40);
    const set = await openAccounts({ ...where, pg: db, jwtSecret: given });
    assert.equal(set.secret, given);
    assert.equal(await secretRows(db), 0, 'FMC_JWT_SECRET set: nothing generated');
    const shared = await openAccounts({ ...where, pg: db });
    assert.equal(shared.secret, await loadOrCreatePgSecret(db.pool, url));
    assert.equal(existsSync(where.secretFile), false, 'no jwt-secret file in PostgreSQL mode');
    // The accounts are the database's: a user added through them is not in the data dir.
    await shared.users.add({ username: 'alice', role: 'agent', passwordHash: 'h' });
    assert.equal(data.db.prepare('SELECT COUNT(*) FROM users').pluck().get(), 0);
  } finally {
    data.close();
    await db.close();
  }
});

test('openAccounts: SQLite mode keeps the generated 0600 file, or FMC_JWT_SECRET', async () => {
  const dataDir = join(temp.dir, 'sqlite-mode');
  const data = openDataDb(dataDir);
  try {
    const where = { data, secretFile: join(dataDir, 'jwt-secret'), refreshTtlSeconds: 60 };
    const generated = await openAccounts(where);
    assert.equal(statSync(where.secretFile).mode & 0o777, 0o600);
    assert.equal((await openAccounts(where)).secret, generated.secret);
    assert.equal((await openAccounts({ ...where, jwtSecret: 'h'.repeat(40) })).secret, 'h'.repeat(40));
    await generated.users.add({ username: 'bob', role: 'agent', passwordHash: 'h' });
    assert.equal(data.db.prepare('SELECT COUNT(*) FROM users').pluck().get(), 1);
  } finally {
    data.close();
  }
});
