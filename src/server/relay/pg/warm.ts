import { randomInt, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { notice } from './notice.js';
import { statement, type Write } from './statements.js';

/**
 * Readies a new connection for the relay: generic plans, and each of its statements run once
 * in a transaction rolled back. PostgreSQL compiles a plpgsql function and plans the
 * statements in it on its first call in a session, and node-postgres prepares a named
 * statement on its first use on a connection: without this the first messages after a start
 * pay for both (`npm run bench relay-pg`, 5 runs each in turns: p99 88-112 ms without the
 * warm-up, 57-108 with it, 55-81 with generic plans too). The rollback leaves nothing: no row,
 * no bucket, no NOTIFY (sent only on commit). It throws when a write does not go through its
 * whole path: that is a bug, which start-up reports.
 */
export async function warmRelayConnection(client: pg.ClientBase): Promise<void> {
  // A conversation and a sender nobody else has: no other transaction waits on their locks.
  const id = `fmc-warm-up-${randomUUID()}`;
  const sender = -randomInt(1, 2 ** 47);
  const body = Buffer.from([0]);
  // A customer's message, and a labelling.
  const send = (seq: number): Write => ({
    kind: 's',
    conversationId: id,
    sender: { id: sender, username: 'warm-up', role: 'customer' },
    staff: false,
    clientId: `warm-up-${seq}`,
    seq,
    bodies: [body],
    now: 0,
    notice: notice.messagePrefix('warm-up', id),
    burst: 1000,
    perSecond: 1000,
  });
  const label = (seq: number, expected: Buffer | null): Write => ({ kind: 'l', conversationId: id, seq, labels: body, known: true, expected, triage: body, now: 0, notice: notice.labels('warm-up', id, seq) });
  // Generic plans for every prepared statement of the session (the named ones and those in the
  // plpgsql functions): the relay's are key lookups whose best plan does not depend on the
  // values, and PostgreSQL would otherwise plan the first five executions of each anew, and
  // keep doing so where it guesses a custom plan cheaper (figures above).
  await client.query('SET plan_cache_mode = force_generic_plan');
  await client.query('BEGIN');
  try {
    await client.query(
      "INSERT INTO conversations (id, customer_id, customer_name, status, created_at, updated_at, wrapped_key, master_key_id) VALUES ($1, $2, 'warm-up', 'open', 0, 0, $3, 'warm-up')",
      [id, sender, body],
    );
    // One send and one labelling alone, then a batch of both: every write statement, with the
    // rate bucket's path (a bucket made, then taken from).
    const outcomes = [
      ...(await client.query<{ outcome: string }>(statement.write(send(1)))).rows.map((r) => r.outcome),
      ...(await client.query<{ outcome: string }>(statement.write(label(1, null)))).rows.map((r) => r.outcome),
      ...(await client.query<{ b_outcome: string }>(statement.writeMany([send(2), label(2, body)]))).rows.map((r) => r.b_outcome),
    ];
    // Each through its whole path (a 'retry' would skip the inserts and updates it plans).
    if (outcomes.join() !== 'stored,stored,stored,stored') throw new Error(`relay warm-up: the writes answered ${outcomes.join()}`);
    await client.query(statement.after(id, 0, 10));
    await client.query(statement.afterMany([{ conversationId: id, afterSeq: 0, limit: 10 }, { conversationId: id, afterSeq: 1, limit: 10 }]));
    await client.query(statement.summaries([id]));
  } finally {
    await client.query('ROLLBACK');
  }
}
