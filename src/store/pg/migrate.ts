import type pg from 'pg';

/**
 * One numbered step of the PostgreSQL schema. Numbers are owned by range so parallel work
 * never collides: the result cache, users and shared rate limits 1–19, the relay 20–39,
 * jobs 40–49, the agent console 50–69. A number never changes once shipped.
 */
export interface PgMigration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export interface MigrationReport {
  /** Ids applied by this call (empty when another process got there first). */
  readonly applied: readonly number[];
  /** Every id recorded in the database after this call. */
  readonly recorded: readonly number[];
}

// Any 64-bit constant works as long as every fmc process uses the same one: "fmc:migrate".
export const MIGRATION_LOCK = 0x666d635f6d6967n;

/** The list sorted by id; duplicate ids are a programming error caught before any SQL runs. */
export function orderMigrations(lists: readonly (readonly PgMigration[])[]): PgMigration[] {
  const all = lists.flat().slice().sort((a, b) => a.id - b.id);
  for (let i = 0; i < all.length; i++) {
    const m = all[i]!;
    if (!Number.isInteger(m.id) || m.id < 1) throw new Error(`PostgreSQL migration ${m.name}: id ${m.id} is not a positive integer`);
    if (i > 0 && all[i - 1]!.id === m.id) throw new Error(`PostgreSQL migrations ${all[i - 1]!.name} and ${m.name} share id ${m.id}`);
  }
  return all;
}

/**
 * Applies the missing migrations in id order, each in its own transaction, and records each
 * in `fmc_migrations`. A session-level advisory lock makes concurrent starts (two servers,
 * a server and a cron job) take turns: the second finds everything recorded and applies nothing.
 */
export async function applyPgMigrations(pool: pg.Pool, lists: readonly (readonly PgMigration[])[]): Promise<MigrationReport> {
  const migrations = orderMigrations(lists);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    try {
      // Inside the lock: CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin.
      await client.query(`CREATE TABLE IF NOT EXISTS fmc_migrations (
        id integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const done = new Set((await client.query<{ id: number }>('SELECT id FROM fmc_migrations')).rows.map((r) => r.id));
      const applied: number[] = [];
      for (const m of migrations) {
        if (done.has(m.id)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO fmc_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new Error(`PostgreSQL migration ${m.id} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(m.id);
      }
      const recorded = (await client.query<{ id: number }>('SELECT id FROM fmc_migrations ORDER BY id')).rows.map((r) => r.id);
      return { applied, recorded };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

/** Ids in `lists` the database has not recorded (for `fmc health`); an absent table = all of them. */
export async function pendingPgMigrations(pool: pg.Pool, lists: readonly (readonly PgMigration[])[]): Promise<number[]> {
  const exists = await pool.query<{ t: string | null }>("SELECT to_regclass('fmc_migrations') AS t");
  const done = exists.rows[0]?.t ? new Set((await pool.query<{ id: number }>('SELECT id FROM fmc_migrations')).rows.map((r) => r.id)) : new Set<number>();
  return orderMigrations(lists).filter((m) => !done.has(m.id)).map((m) => m.id);
}
