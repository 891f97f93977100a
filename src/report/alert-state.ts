import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { migrate } from '../store/sqlite/cache-migrations.js';
import { FmcError } from '../errors.js';
import type { Alert } from './report-data.js';

/** Which alerts were delivered where, in the cache database (table `alerts_sent`). */
export interface AlertState {
  sent(key: string): boolean;
  markSent(key: string): void;
  close(): void;
}

/** An alert's identity for one webhook: the bucket and the incident, not its figures (a rerun recounts them). */
export const alertKey = (url: string, alert: Alert): string => `${url}|${alert.field}=${alert.value}|${alert.start}|${alert.end}`;

export function openAlertState(path: string): AlertState {
  let db: BetterSqlite3.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new BetterSqlite3(path);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (err) {
    throw new FmcError('FMC_ERR_CACHE', `cache ${path}: ${(err as Error).message} (the alert state lives in the cache: set --cache <path> or FMC_CACHE)`, { cause: err });
  }
  const select = db.prepare('SELECT 1 FROM alerts_sent WHERE key = ?').pluck();
  const insert = db.prepare('INSERT OR IGNORE INTO alerts_sent (key, sent_at) VALUES (?, ?)');
  return {
    sent: (key) => select.get(key) !== undefined,
    markSent: (key) => void insert.run(key, Date.now()),
    close: () => db.close(),
  };
}
