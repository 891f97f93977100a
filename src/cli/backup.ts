import { mkdirSync } from 'node:fs';
import { loadConfig, loadServerEnv } from '../config.js';
import { EXIT, FmcError } from '../errors.js';
import { backupAll, pruneBackups, restoreBackup } from '../ops/backup.js';
import { checkRestoredMasterKey } from '../ops/master-key-check.js';
import { databaseUrlOf, describeDatabase } from '../store/database-url.js';
import { lockDataDir } from '../server/relay/data-lock.js';
import { VERSION } from '../version.js';
import { processIO, type CommandIO } from './command-io.js';

export interface BackupOptions {
  dataDir?: string;
  /** A path, or false for --no-cache. */
  cache?: string | boolean;
  keep?: number;
  /** Copy `<data-dir>/master-key` into the backup too. */
  includeMasterKey?: boolean;
  /** PostgreSQL mode (also FMC_DATABASE_URL): refused, with how to back up instead. */
  databaseUrl?: string;
}

/** In PostgreSQL mode the data is the database's: copying the SQLite files would copy nothing that matters. */
function refuseOnPostgres(command: 'backup' | 'restore', databaseUrl: string | undefined): void {
  if (databaseUrl === undefined) return;
  const where = describeDatabase(databaseUrl);
  const how =
    command === 'backup'
      ? `back it up with pg_dump (pg_dump -Fc -f fmc.dump '${databaseUrl.replace(/:[^:@/]*@/, '@')}'), and save the master key apart`
      : 'restore a pg_dump with pg_restore (pg_restore --clean -d <url> fmc.dump) while no fmc serve runs';
  throw new FmcError('FMC_ERR_USAGE', `${command} copies SQLite files, but the data is in PostgreSQL (${where}, from --database-url or FMC_DATABASE_URL): ${how}; README, "Running on PostgreSQL"`);
}

/** `fmc backup <dir>`: prints the new folder on stdout (scripts keep it), the rest on stderr. */
export async function backup(dir: string, options: BackupOptions, io: CommandIO = processIO()): Promise<number> {
  const config = loadConfig(io.env);
  refuseOnPostgres('backup', databaseUrlOf(options.databaseUrl, config));
  const cachePath = options.cache === false ? undefined : typeof options.cache === 'string' ? options.cache : config.cachePath;
  const result = await backupAll(dir, { dataDir: options.dataDir ?? config.dataDir, cachePath, version: VERSION, includeMasterKey: options.includeMasterKey ?? false });
  for (const gone of result.swept) io.stderr.write(`removed the partial backup ${gone} (its fmc backup died)\n`);
  for (const e of result.manifest.entries) io.stderr.write(`  ${e.file} (${e.kind}, ${e.bytes} bytes)\n`);
  if (result.masterKeyLeftOut) {
    io.stderr.write(`master key left out: ${result.masterKeyLeftOut} is not in this backup (a leaked backup must not open the conversations); save a copy of it apart from the backups, or pass --include-master-key\n`);
  } else if (result.manifest.masterKey === 'included') {
    io.stderr.write('master key included (--include-master-key): whoever reads this backup can read every conversation\n');
  }
  if (options.keep !== undefined) {
    for (const gone of pruneBackups(dir, options.keep)) io.stderr.write(`removed old backup ${gone}\n`);
  }
  io.stdout.write(`${result.folder}\n`);
  return EXIT.ok;
}

/**
 * `fmc restore <file>`: lists each restored path on stdout. It holds the data dir's lock, as
 * `fmc serve` does: restoring under a running server would lose acknowledged messages and
 * hand their seqs out again.
 */
export async function restore(path: string, options: Omit<BackupOptions, 'keep' | 'includeMasterKey'>, io: CommandIO = processIO()): Promise<number> {
  const config = loadConfig(io.env);
  refuseOnPostgres('restore', databaseUrlOf(options.databaseUrl, config));
  const dataDir = options.dataDir ?? config.dataDir;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lock = lockDataDir(dataDir, 'fmc restore');
  try {
    const restored = await restoreBackup(path, {
      dataDir,
      cachePath: typeof options.cache === 'string' ? options.cache : config.cachePath,
    });
    for (const p of restored) io.stdout.write(`restored ${p}\n`);
  } finally {
    lock.release();
  }
  const key = checkRestoredMasterKey(dataDir, loadServerEnv(io.env).masterKey);
  if (key) io.stderr.write(key.ok ? `${key.message}\n` : `fmc restore: warning: ${key.message}\n`);
  return EXIT.ok;
}
