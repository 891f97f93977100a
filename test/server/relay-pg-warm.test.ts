// `fmc serve` on PostgreSQL warms its pool at start-up (relay/pg/warm.ts): every connection
// has run the relay's statements once, in a transaction rolled back, before the first message.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import pg from 'pg';
import { notice } from '../../src/server/relay/pg/notice.js';
import { statement, type Write } from '../../src/server/relay/pg/statements.js';
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

/**
 * `body` on a connection of a migrated database, in a transaction rolled back at the end, with
 * `count` new open conversations of its own.
 */
async function inRolledBack(count: number, body: (client: pg.PoolClient, ids: string[]) => Promise<void>): Promise<void> {
  server ??= await startPostgres();
  const db = await openPgDatabase(server.url, { max: 1 });
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    const ids = Array.from({ length: count }, () => `test-${randomUUID()}`);
    for (const id of ids) {
      await client.query("INSERT INTO conversations (id, customer_id, customer_name, status, created_at, updated_at, wrapped_key, master_key_id) VALUES ($1, -1, 'c', 'open', 0, 0, $2, 'test')", [id, Buffer.from([0])]);
    }
    await body(client, ids);
  } finally {
    await client.query('ROLLBACK');
    client.release();
    await db.close();
  }
}

test("a message updates its conversation's row in place (a HOT update): no new index entry, no version for vacuum to chase", async () => {
  await inRolledBack(1, async (client, [id]) => {
    const body = Buffer.from([0]);
    const send = (seq: number, role: 'customer' | 'agent'): Write => ({
      kind: 's',
      conversationId: id!,
      sender: { id: role === 'customer' ? -1 : -2, username: role, role },
      staff: role !== 'customer',
      clientId: `c${seq}`,
      seq,
      bodies: [body],
      now: seq,
      notice: notice.messagePrefix('test', id!),
      burst: 1000,
      perSecond: 1000,
    });
    const outcomes: string[] = [];
    for (let seq = 1; seq <= 10; seq++) {
      outcomes.push(...(await client.query<{ outcome: string }>(statement.write(send(seq, seq % 2 ? 'customer' : 'agent')))).rows.map((r) => r.outcome));
      // A labelling of each customer message, which updates the row's triage.
      if (seq % 2) outcomes.push(...(await client.query<{ outcome: string }>(statement.write({ kind: 'l', conversationId: id!, seq, labels: body, known: true, expected: seq === 1 ? null : body, triage: body, now: seq, notice: notice.labels('test', id!, seq) }))).rows.map((r) => r.outcome));
    }
    assert.deepEqual(new Set(outcomes), new Set(['stored']), outcomes.join());
    const { rows } = await client.query<{ updated: string; hot: string }>(
      "SELECT pg_stat_get_xact_tuples_updated('conversations'::regclass) AS updated, pg_stat_get_xact_tuples_hot_updated('conversations'::regclass) AS hot",
    );
    assert.ok(Number(rows[0]!.updated) >= 15, `${rows[0]!.updated} updates of the conversation`);
    assert.equal(rows[0]!.hot, rows[0]!.updated, 'every update HOT');
  });
});

test('closed_at, which orders the closed list, is kept by the row trigger for any writer (an instance of the previous version too)', async () => {
  await inRolledBack(2, async (client, [a, b]) => {
    const closedAt = async (id: string): Promise<string | null> => (await client.query<{ closed_at: string | null }>('SELECT closed_at FROM conversations WHERE id = $1', [id])).rows[0]!.closed_at;
    // Closed the way the previous version closes (no closed_at in its UPDATE).
    await client.query("UPDATE conversations SET status = 'closed', updated_at = 100 WHERE id = $1", [a]);
    await client.query("UPDATE conversations SET status = 'closed', updated_at = 200 WHERE id = $1", [b]);
    assert.equal(await closedAt(a!), '100');
    // A later write to a closed conversation (its last labels) keeps when it closed.
    await client.query('UPDATE conversations SET triage = $1, updated_at = 300 WHERE id = $2', [Buffer.from([1]), a]);
    assert.equal(await closedAt(a!), '100');
    // Reopened: no longer in the closed list's index.
    await client.query("UPDATE conversations SET status = 'open', updated_at = 400 WHERE id = $1", [b]);
    assert.equal(await closedAt(b!), null);
  });
});
