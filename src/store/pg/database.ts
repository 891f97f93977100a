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

export interface PgDatabaseOptions extends Omit<PoolOptions, 'onConnect' | 'min'> {
  readonly migrations?: readonly (readonly PgMigration[])[];
  /**
   * Readies a connection for the work to come (warm.ts: plans the relay's statements). The
   * pool is filled with warmed connections before this resolves, and keeps them open: the
   * first requests after a start, and a burst after a quiet hour, find them ready.
   */
  readonly warm?: (client: pg.ClientBase) => Promise<void>;
}

/** Connects (one-line FMC_ERR_DB_UNAVAILABLE on failure) and applies the pending migrations. */
export async function openPgDatabase(url: string, options: PgDatabaseOptions = {}): Promise<PgDatabase> {
  const { warm } = options;
  // A connection opened before the migrations (the probe's, the migrations' own) would warm
  // statements on tables and functions that may not exist yet: those are warmed by the fill.
  let migrated = false;
  const warmed = new WeakSet<pg.ClientBase>();
  const readied = async (client: pg.ClientBase): Promise<void> => {
    if (!warm || warmed.has(client)) return;
    await warm(client);
    warmed.add(client);
  };
  const max = options.max ?? 10;
  const pool = await openPool(url, { ...options, ...(warm && { min: max, onConnect: (client) => (migrated ? readied(client) : Promise.resolve()) }) });
  try {
    await applyPgMigrations(pool, options.migrations ?? PG_MIGRATIONS);
    migrated = true;
    if (warm) await fill(pool, max, readied);
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

/** Holds `count` connections at once (opening the missing ones), readies each, and gives them back. */
async function fill(pool: pg.Pool, count: number, ready: (client: pg.ClientBase) => Promise<void>): Promise<void> {
  const connects = await Promise.allSettled(Array.from({ length: count }, () => pool.connect()));
  const clients = connects.flatMap((c) => (c.status === 'fulfilled' ? [c.value] : []));
  try {
    const failed = connects.find((c) => c.status === 'rejected');
    if (failed) throw failed.reason;
    await Promise.all(clients.map(ready));
  } finally {
    for (const client of clients) client.release();
  }
}
