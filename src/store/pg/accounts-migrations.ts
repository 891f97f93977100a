import type { PgMigration } from './migrate.js';

// Accounts on PostgreSQL (range 70–74): the users and refresh sessions already have their
// tables (2, 50, 60, the same columns as SQLite's m001, m004, m006, m010); what a data dir
// held besides them is the token-signing secret.
export const ACCOUNTS_PG_MIGRATIONS: readonly PgMigration[] = [
  {
    // Secrets every instance must share, generated once by the first one to start (the data
    // dir's `jwt-secret` file in SQLite mode). One row per name: `jwt` signs the access tokens.
    id: 70,
    name: 'server_secrets',
    sql: `CREATE TABLE server_secrets (
            name text PRIMARY KEY,
            value text NOT NULL CHECK (length(value) >= 32),
            created_at bigint NOT NULL
          );`,
  },
];
