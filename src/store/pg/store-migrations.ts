import type { PgMigration } from './migrate.js';

// pg-store's range, 1–19: the result cache, users, the shared request budgets. Times are
// milliseconds since the epoch (bigint), as in the SQLite files, so both backends answer alike.
export const STORE_PG_MIGRATIONS: readonly PgMigration[] = [
  {
    id: 1,
    name: 'results',
    sql: `CREATE TABLE results (
            key text PRIMARY KEY,
            tier text NOT NULL,
            version text NOT NULL,
            labels jsonb NOT NULL,
            created_at bigint NOT NULL
          );
          CREATE INDEX results_tier ON results (tier, version);
          CREATE INDEX results_created_at ON results (created_at);`,
  },
  {
    // Ids come from an identity column: never reused after a removal, unlike SQLite's rowid;
    // the session key stays anyway, so tokens carry the same subject on both backends.
    id: 2,
    name: 'users',
    sql: `CREATE TABLE users (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            username text NOT NULL UNIQUE CHECK (username = lower(username)),
            password_hash text NOT NULL,
            role text NOT NULL CHECK (role IN ('admin', 'agent', 'customer')),
            created_at bigint NOT NULL,
            session_key text NOT NULL
          );`,
  },
  {
    // One row per paid tier, shared by every process on the database: `next_at` is when the
    // next request may start (a token bucket of one token refilled every 60/--rpm s, taken
    // atomically by moving it forward; a 429's wait moves it too), `open_until` the circuit a
    // spent quota opens for all of them. Times come from the database's clock, not the machines'.
    id: 3,
    name: 'tier_budgets',
    sql: `CREATE TABLE tier_budgets (
            tier text PRIMARY KEY,
            next_at bigint NOT NULL DEFAULT 0,
            open_until bigint NOT NULL DEFAULT 0,
            open_reason text
          );`,
  },
];
