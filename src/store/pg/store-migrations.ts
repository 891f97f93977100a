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
    // One row per paid tier: a token bucket every process takes from atomically (--rpm), and
    // the pause or open circuit a 429 or a daily quota sets for all of them.
    id: 3,
    name: 'tier_budgets',
    sql: `CREATE TABLE tier_budgets (
            tier text PRIMARY KEY,
            tokens double precision NOT NULL,
            refilled_at bigint NOT NULL,
            paused_until bigint NOT NULL DEFAULT 0,
            open_until bigint NOT NULL DEFAULT 0,
            open_reason text
          );`,
  },
];
