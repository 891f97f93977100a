import PgBoss from 'pg-boss';
import { FmcError } from '../errors.js';
import type { Logger } from '../log.js';
import { QUEUE_MIGRATIONS } from './schema.js';
import type { QueueSettings } from './settings.js';

/** SQL through pg-boss's own pool: one pool per process for the queue. */
export interface QueueDb {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface QueueConnection {
  readonly boss: PgBoss;
  readonly db: QueueDb;
  readonly url: string;
  close(): Promise<void>;
}

/** "postgres://fmc@db.example:5432/fmc" without the password: what an error may name. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'the database';
  }
}

/** A connection failure as one line that names the host and the fix. */
export function unavailable(url: string, err: unknown): FmcError {
  const e = err as NodeJS.ErrnoException;
  const why = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ENOTFOUND' ? 'host not found' : (e.message ?? String(err)).split('\n')[0];
  return new FmcError('FMC_ERR_DB_UNAVAILABLE', `PostgreSQL at ${describeUrl(url)} is unavailable (${why}); check FMC_DATABASE_URL or --database-url and that the server runs`, { cause: err });
}

const MIGRATION_LOCK = 0x666d6371; // 'fmcq': the queue schema's advisory lock

/**
 * Starts pg-boss on `url` (it installs or migrates its own schema under its own lock) and
 * applies the queue's migrations under an advisory lock, so processes starting together
 * apply each once.
 */
export async function openQueue(url: string, settings: QueueSettings, logger: Logger, options: { supervise?: boolean } = {}): Promise<QueueConnection> {
  const boss = new PgBoss({
    connectionString: url,
    max: 4,
    application_name: 'fmc-queue',
    supervise: options.supervise ?? true,
    schedule: false,
    maintenanceIntervalSeconds: settings.maintenanceSeconds,
    // Chunks are deleted with their batch; what pg-boss archives is history only.
    archiveCompletedAfterSeconds: 3600,
  });
  // pg-boss reports pool and maintenance errors as events: a worker keeps going through them.
  boss.on('error', (err) => logger.warn({ err: err.message }, 'queue: database error'));
  try {
    await boss.start();
  } catch (err) {
    await boss.stop({ graceful: false, wait: false }).catch(() => undefined);
    throw unavailable(url, err);
  }
  const raw = boss.getDb();
  const db: QueueDb = {
    async query<T>(sql: string, params: readonly unknown[] = []) {
      return (await raw.executeSql(sql, params as unknown[])).rows as T[];
    },
  };
  try {
    await migrate(db);
  } catch (err) {
    await boss.stop({ graceful: false, wait: false }).catch(() => undefined);
    throw unavailable(url, err);
  }
  return {
    boss,
    db,
    url,
    async close() {
      await boss.stop({ graceful: false, wait: true, timeout: 5000 }).catch(() => undefined);
    },
  };
}

async function migrate(db: QueueDb): Promise<void> {
  // One statement per call through the pool: the lock is taken and released by a
  // transaction-scoped advisory lock inside one multi-statement query.
  const pending = QUEUE_MIGRATIONS.map((m) => `
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM fmc_queue_migrations WHERE version = ${m.version}) THEN
        ${m.sql}
        INSERT INTO fmc_queue_migrations (version, name) VALUES (${m.version}, '${m.name}');
      END IF;
    END $$;`);
  await db.query(`
    BEGIN;
    SELECT pg_advisory_xact_lock(${MIGRATION_LOCK});
    CREATE TABLE IF NOT EXISTS fmc_queue_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
    ${pending.join('\n')}
    COMMIT;`);
}
