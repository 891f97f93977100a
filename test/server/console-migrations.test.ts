import assert from 'node:assert/strict';
import { test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { applyMigrations } from '../../src/store/sqlite/migrate.js';
import { DATA_MIGRATIONS } from '../../src/store/sqlite/data-migrations.js';

// m008 starts the SLA clock of conversations that were already waiting when it ran: from the
// customer's first message after the last staff answer.
test('data migration m008: waiting_since back-filled from the stored messages; read marks and display names start empty', () => {
  const db = new BetterSqlite3(':memory:');
  db.pragma('foreign_keys = ON');
  applyMigrations(db, DATA_MIGRATIONS.filter((m) => m.id < 'm008'));
  db.prepare("INSERT INTO users (id, username, password_hash, role, created_at) VALUES (1, 'ann', 'x', 'customer', 0), (2, 'agent1', 'x', 'agent', 0)").run();
  const conversation = db.prepare("INSERT INTO conversations (id, customer_id, status, created_at, updated_at, last_seq, wrapped_key, master_key_id) VALUES (?, 1, ?, 0, 0, 0, x'00', 'k')");
  const message = db.prepare("INSERT INTO messages (conversation_id, seq, sender_id, sender_name, sender_role, client_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?, x'00', ?)");
  const say = (id: string, seq: number, role: 'customer' | 'agent', at: number) => message.run(id, seq, role === 'customer' ? 1 : 2, role === 'customer' ? 'ann' : 'agent1', role, `${id}-${seq}`, at);
  conversation.run('answered-then-asked', 'open');
  say('answered-then-asked', 1, 'customer', 1000);
  say('answered-then-asked', 2, 'agent', 2000);
  say('answered-then-asked', 3, 'customer', 3000);
  say('answered-then-asked', 4, 'customer', 4000);
  conversation.run('never-answered', 'open');
  say('never-answered', 1, 'customer', 500);
  conversation.run('answered', 'open');
  say('answered', 1, 'customer', 100);
  say('answered', 2, 'agent', 200);
  conversation.run('closed', 'closed');
  say('closed', 1, 'customer', 100);
  conversation.run('empty', 'open');

  applyMigrations(db, DATA_MIGRATIONS);
  const rows = db.prepare('SELECT id, waiting_since, pending, assignee_id FROM conversations ORDER BY id').all() as { id: string; waiting_since: number | null; pending: number; assignee_id: number | null }[];
  assert.deepEqual(
    Object.fromEntries(rows.map((r) => [r.id, r.waiting_since])),
    { 'answered-then-asked': 3000, 'never-answered': 500, answered: null, closed: null, empty: null },
  );
  assert.ok(rows.every((r) => r.pending === 0 && r.assignee_id === null), 'open and unassigned');
  assert.equal(db.prepare('SELECT COUNT(*) FROM conversation_reads').pluck().get(), 0);
  assert.equal(db.prepare('SELECT COUNT(*) FROM users WHERE display_name IS NOT NULL').pluck().get(), 0);
  // An assignee's account removed: the conversation goes back to nobody.
  db.prepare("UPDATE conversations SET assignee_id = 2 WHERE id = 'answered'").run();
  db.prepare('DELETE FROM users WHERE id = 2').run();
  assert.equal(db.prepare("SELECT assignee_id FROM conversations WHERE id = 'answered'").pluck().get(), null);
  db.close();
});
