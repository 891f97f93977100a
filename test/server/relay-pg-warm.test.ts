// `fmc serve` on PostgreSQL warms its pool at start-up (relay/pg/warm.ts): every connection
// has run the relay's statements once, in a transaction rolled back, before the first message.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { warmRelayConnection } from '../../src/server/relay/pg/warm.js';
import { openPgDatabase } from '../../src/store/pg/database.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';

let server: TestPostgres | undefined;
after(async () => {
  await server?.destroy();
});

const RELAY_STATEMENTS = ['fmc-relay-after', 'fmc-relay-after-many', 'fmc-relay-send', 'fmc-relay-set-labels', 'fmc-relay-summaries', 'fmc-relay-write-many'];

/** The named statements prepared on one connection of the pool. */
async function preparedOn(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name LIKE 'fmc-relay-%' ORDER BY name");
  return rows.map((r) => r.name);
}

test('the pool is filled with warmed connections, which it keeps; a connection opened later is warmed before its first use; nothing is left behind', async () => {
  server = await startPostgres();
  const listener = new pg.Client({ connectionString: server.url });
  await listener.connect();
  const heard: string[] = [];
  listener.on('notification', (n) => heard.push(n.payload ?? ''));
  await listener.query('LISTEN fmc_relay');

  const db = await openPgDatabase(server.url, { max: 3, warm: warmRelayConnection });
  try {
    assert.equal(db.pool.totalCount, 3, 'filled to its size at start');
    const held = await Promise.all([db.pool.connect(), db.pool.connect(), db.pool.connect()]);
    assert.equal(db.pool.totalCount, 3, 'the same three connections');
    for (const client of held) {
      assert.deepEqual(await preparedOn(client), RELAY_STATEMENTS);
      assert.equal((await client.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode')).rows[0]!.plan_cache_mode, 'force_generic_plan');
    }
    const pids = await Promise.all(held.map(async (c) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid));
    assert.equal(new Set(pids).size, 3);
    // One dropped (as after an error): the next connection is new, and warmed before use.
    held[0]!.release(true);
    held[1]!.release();
    held[2]!.release();
    const fresh = await Promise.all([db.pool.connect(), db.pool.connect(), db.pool.connect()]);
    const freshPids = await Promise.all(fresh.map(async (c) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid));
    assert.equal(freshPids.filter((p) => !pids.includes(p)).length, 1, 'one new backend');
    for (const client of fresh) assert.deepEqual(await preparedOn(client), RELAY_STATEMENTS);
    for (const client of fresh) client.release();
    // The min keeps them past the idle timeout's reach (pg-pool closes idle ones only above it).
    assert.equal(db.pool.options.min, 3);

    // Rolled back: no conversation, message, bucket, and no NOTIFY went out.
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(heard, []);
    for (const table of ['conversations', 'messages', 'message_buckets']) {
      const { rows } = await listener.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      assert.equal(Number(rows[0]!.n), 0, table);
    }
  } finally {
    await db.close();
    await listener.end();
  }
});

test('without a warm-up the pool opens connections as asked and lets idle ones go', async () => {
  server ??= await startPostgres();
  const db = await openPgDatabase(server.url, { max: 3 });
  try {
    assert.equal(db.pool.options.min, 0);
    const client = await db.pool.connect();
    assert.deepEqual(await preparedOn(client), []);
    client.release();
  } finally {
    await db.close();
  }
});
