import type { Database } from 'better-sqlite3';

export interface Migration {
  readonly id: string;
  readonly sql: string;
}

/**
 * Applies `migrations` in order, each in its own transaction, and records it in the
 * `migrations` table. Numbered ids (`m001_…`) never change once shipped: a database knows
 * exactly which steps it has seen. Each step takes the write lock first (BEGIN IMMEDIATE)
 * and checks again under it: two processes opening one file at once (two instances started
 * together on a shared data dir) apply it once, the second waits and skips it.
 */
export function applyMigrations(db: Database, migrations: readonly Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const applied = new Set(db.prepare('SELECT id FROM migrations').pluck().all() as string[]);
  const seen = db.prepare('SELECT 1 FROM migrations WHERE id = ?').pluck();
  const record = db.prepare('INSERT INTO migrations (id, applied_at) VALUES (?, ?)');
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      if (seen.get(m.id)) return;
      db.exec(m.sql);
      record.run(m.id, Date.now());
    }).immediate();
  }
}
