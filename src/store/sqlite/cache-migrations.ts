import type { Database } from 'better-sqlite3';
import { applyMigrations, type Migration } from './migrate.js';

// Numbered, applied in order, recorded in `migrations`; never edit one that has shipped.
const MIGRATIONS: readonly Migration[] = [
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
  {
    // fmc report --alert-webhook: one row per alert delivered, so a bucket is never sent twice.
    id: 'm002_alerts_sent',
    sql: `CREATE TABLE alerts_sent (
            key TEXT PRIMARY KEY,
            sent_at INTEGER NOT NULL
          ) WITHOUT ROWID;`,
  },
  {
    // `fmc cache prune` removes by age (`--older-than`) and oldest first (`--max-size`): an
    // index on the write time keeps that a range scan on caches of millions of rows.
    id: 'm003_results_age',
    sql: `CREATE INDEX results_created_at ON results (created_at);`,
  },
];

export function migrate(db: Database): void {
  applyMigrations(db, MIGRATIONS);
}
