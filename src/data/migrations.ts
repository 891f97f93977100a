import type { Database } from 'better-sqlite3';
import { applyMigrations, type Migration } from '../db/migrate.js';

// The server's data database (users now; conversations and messages come with the relay).
// Numbered, applied in order; never edit one that has shipped.
const MIGRATIONS: readonly Migration[] = [
  {
    id: 'm001_users',
    sql: `CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'agent', 'customer')),
            created_at INTEGER NOT NULL
          );`,
  },
  {
    // One row rewritten by the readiness probe: a real write is the only proof the DB takes writes.
    id: 'm002_health_probe',
    sql: `CREATE TABLE health_probe (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            checked_at INTEGER NOT NULL
          );`,
  },
];

export function migrateData(db: Database): void {
  applyMigrations(db, MIGRATIONS);
}
