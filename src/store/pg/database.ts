import type pg from 'pg';
import { applyPgMigrations, type PgMigration } from './migrate.js';
import { PG_MIGRATIONS } from './migrations.js';
import { openPool, type PoolOptions } from './pool.js';

/** A process's PostgreSQL: the pool, at the latest migration. */
export interface PgDatabase {
  readonly url: string;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

/** Connects (one-line FMC_ERR_DB_UNAVAILABLE on failure) and applies the pending migrations. */
export async function openPgDatabase(url: string, options: PoolOptions & { migrations?: readonly (readonly PgMigration[])[] } = {}): Promise<PgDatabase> {
  const pool = await openPool(url, options);
  try {
    await applyPgMigrations(pool, options.migrations ?? PG_MIGRATIONS);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    url,
    pool,
    close: () => (closed ??= pool.end()),
  };
}
