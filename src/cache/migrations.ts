import type { Database } from 'better-sqlite3';

// Numbered, applied in order, recorded in `migrations`; never edit one that has shipped.
const MIGRATIONS: readonly { id: string; sql: string }[] = [
  {
    id: 'm001_results',
    sql: `CREATE TABLE results (
            key TEXT PRIMARY KEY,
            tier TEXT NOT NULL,
            version TEXT NOT NULL,
            labels TEXT NOT NULL,
            created_at INTEGER NOT NULL
          ) WITHOUT ROWID;
          CREATE INDEX results_tier ON results (tier, version);`,
  },
];

export function migrate(db: Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const applied = new Set(db.prepare('SELECT id FROM migrations').pluck().all() as string[]);
  const record = db.prepare('INSERT INTO migrations (id, applied_at) VALUES (?, ?)');
  for (const m of MIGRATIONS) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.id, Date.now());
    })();
  }
}
