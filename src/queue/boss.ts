import PgBoss from 'pg-boss';
import type { Logger } from '../log.js';
import { openPgDatabase, type PgDatabase } from '../store/pg/database.js';
import { asDbError } from '../store/pg/pool.js';
import type { QueueSettings } from './settings.js';

/** SQL on the process's PostgreSQL pool (the one pg-boss runs on too). */
export interface QueueDb {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface QueueConnection {
  readonly boss: PgBoss;
  readonly db: QueueDb;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Connects (one-line FMC_ERR_DB_UNAVAILABLE when it cannot), applies the PostgreSQL
 * migrations (the queue's tables are 40–49) and starts pg-boss on the same pool; pg-boss
 * installs or migrates its own schema (`pgboss`) under its own lock.
 */
export async function openQueue(url: string, settings: QueueSettings, logger: Logger, options: { supervise?: boolean; applicationName?: string } = {}): Promise<QueueConnection> {
  const database: PgDatabase = await openPgDatabase(url, { max: 4, applicationName: options.applicationName ?? 'fmc queue' });
  const boss = new PgBoss({
    db: { executeSql: (text, values) => database.pool.query(text, values) },
    // Expired chunks come back through pg-boss's maintenance: whichever process runs it first each interval.
    supervise: options.supervise ?? true,
    schedule: false,
    maintenanceIntervalSeconds: settings.maintenanceSeconds,
    // Chunks go with their batch once its output is written; what pg-boss archives is history only.
    archiveCompletedAfterSeconds: 3600,
  });
  // pg-boss reports maintenance errors as events: a worker keeps going through an outage.
  boss.on('error', (err: Error) => logger.warn({ err: err.message }, 'queue: database error'));
  try {
    await startAlone(database, boss);
  } catch (err) {
    await boss.stop({ graceful: false, wait: false }).catch(() => undefined);
    await database.close();
    throw asDbError(err, url);
  }
  return {
    boss,
    db: {
      async query<T>(sql: string, params: readonly unknown[] = []) {
        try {
          return (await database.pool.query(sql, params as unknown[])).rows as T[];
        } catch (err) {
          throw asDbError(err, url);
        }
      },
    },
    url,
    async close() {
      await boss.stop({ graceful: false, wait: true, timeout: 5000 }).catch(() => undefined);
      await database.close().catch(() => undefined);
    },
  };
}

// "fmc:boss": pg-boss's first install (CREATE SCHEMA pgboss) is not safe against a twin
// started at the same moment (three workers launched together): starts take turns.
const BOSS_START_LOCK = 0x666d633a626f7373n;

async function startAlone(database: PgDatabase, boss: PgBoss): Promise<void> {
  const client = await database.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [BOSS_START_LOCK.toString()]);
    try {
      await boss.start();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [BOSS_START_LOCK.toString()]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}
