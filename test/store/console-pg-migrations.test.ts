// The agent console's PostgreSQL migrations (50–69) on a real server: applied in order with
// everyone else's, and the column they add takes a display name.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CONSOLE_PG_MIGRATIONS } from '../../src/server/console/pg-migrations.js';
import { applyPgMigrations } from '../../src/store/pg/migrate.js';
import { PG_MIGRATIONS } from '../../src/store/pg/migrations.js';
import { openPool } from '../../src/store/pg/pool.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.destroy();
});

test('console PostgreSQL migrations: in their range, applied with the rest, users get a display name', async () => {
  for (const m of CONSOLE_PG_MIGRATIONS) assert.ok(m.id >= 50 && m.id <= 69, `${m.name}: id ${m.id} outside the console's 50-69`);
  const pool = await openPool(server.url);
  try {
    const report = await applyPgMigrations(pool, PG_MIGRATIONS);
    for (const m of CONSOLE_PG_MIGRATIONS) assert.ok(report.recorded.includes(m.id), `${m.id} recorded`);
    await pool.query("INSERT INTO users (username, password_hash, role, created_at, session_key, display_name) VALUES ('alice', 'x', 'agent', 0, 'k', 'Alice <b>M.</b>')");
    const { rows } = await pool.query<{ display_name: string | null }>("SELECT display_name FROM users WHERE username = 'alice'");
    assert.equal(rows[0]!.display_name, 'Alice <b>M.</b>');
    assert.deepEqual((await applyPgMigrations(pool, PG_MIGRATIONS)).applied, [], 'a second start applies nothing');
  } finally {
    await pool.end();
  }
});
