import { accessSync, chmodSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { FmcError } from '../../errors.js';
import { migrateData } from './data-migrations.js';

export const DATA_DB_FILE = 'fmc.sqlite';

export interface DataDb {
  readonly path: string;
  readonly db: BetterSqlite3.Database;
  /** A real, committed write with a short lock wait; the reason when it fails (no path: health is public). */
  probeWrite(): { ok: boolean; detail: string };
  /**
   * A write by the application failed (SQLITE_FULL, an I/O error): the probe reports the
   * database not writable for a while after, even when its own one-row update still fits.
   */
  writeFailed(err: unknown): void;
  /** A write by the application committed: the failure noted before is over. */
  wrote(): void;
  close(): void;
}

/** How long an application write failure keeps the probe failing, unless a write succeeds first. */
export const WRITE_FAILURE_MEMORY_MS = 60_000;

/** SQLite's answers that mean "this database takes no write now": storage trouble, not a bug. */
export function isStorageError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^SQLITE_(FULL|IOERR|READONLY|BUSY|LOCKED|CANTOPEN|PROTOCOL|NOMEM)/.test(code);
}

// Normal writes wait for a competing writer; the health probe must answer fast instead.
const BUSY_TIMEOUT_MS = 5000;
const PROBE_BUSY_TIMEOUT_MS = 100;

/** Opens (creating 0700/0600) `<dataDir>/fmc.sqlite` and brings it to the latest migration. */
export function openDataDb(dataDir: string): DataDb {
  const path = join(dataDir, DATA_DB_FILE);
  let db: BetterSqlite3.Database;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    db = new BetterSqlite3(path);
    // Password hashes live here: nobody but the owner reads the file.
    chmodSync(path, 0o600);
    db.pragma('journal_mode = WAL');
    // FULL, not NORMAL: in WAL mode NORMAL skips the fsync at each commit, so a message the
    // relay acknowledged as stored could roll back on power loss. The cost was measured with
    // the relay bench (README, "Relay benchmark"); the result cache keeps NORMAL: it can be rebuilt.
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    migrateData(db);
  } catch (err) {
    throw new FmcError('FMC_ERR_DATA', `data database ${path}: ${(err as Error).message} (set --data-dir or FMC_DATA_DIR to a writable directory)`, { cause: err });
  }
  const touch = db.prepare('INSERT INTO health_probe (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at');
  let lastFailure: { at: number; code: string } | undefined;
  return {
    path,
    db,
    probeWrite() {
      try {
        // root ignores file modes, so the access check only catches the non-root case;
        // the write below catches read-only mounts, full disks and held locks.
        accessSync(path, constants.W_OK);
        accessSync(dataDir, constants.W_OK);
        db.pragma(`busy_timeout = ${PROBE_BUSY_TIMEOUT_MS}`);
        try {
          touch.run(Date.now());
        } finally {
          db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
        }
        // The probe rewrites one row in place, which fits even on a full disk: a recent failed
        // write by the application is the better witness.
        if (lastFailure && Date.now() - lastFailure.at < WRITE_FAILURE_MEMORY_MS) {
          return { ok: false, detail: `not writable: a write failed ${Math.round((Date.now() - lastFailure.at) / 1000)} s ago (${lastFailure.code})` };
        }
        return { ok: true, detail: 'writable' };
      } catch (err) {
        // An errno error's message holds the path; its code (EACCES, EROFS) says enough.
        const e = err as NodeJS.ErrnoException;
        return { ok: false, detail: `not writable: ${e.syscall ? e.code : e.message}` };
      }
    },
    writeFailed(err) {
      const code = (err as { code?: unknown } | undefined)?.code;
      lastFailure = { at: Date.now(), code: typeof code === 'string' ? code : (err as Error)?.message ?? 'error' };
    },
    wrote() {
      lastFailure = undefined;
    },
    close() {
      if (db.open) db.close();
    },
  };
}
