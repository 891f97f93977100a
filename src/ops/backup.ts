import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { FmcError } from '../errors.js';
import { pidAlive } from '../fmc-running.js';
import { openResultCache } from '../store/sqlite/result-cache.js';

// Backups of everything fmc keeps: each SQLite database in the data dir (users now, the
// relay's encrypted messages next: any database dropped there is picked up without a code
// change), the other files there (generated secrets and keys, without which encrypted
// history cannot be read), and the result cache, whose entries cost LLM calls to rebuild.

export const BACKUP_PREFIX = 'fmc-backup-';
/** A backup being written: renamed to its `fmc-backup-` name once its manifest is in. */
export const PARTIAL_PREFIX = '.partial-fmc-backup-';
export const MANIFEST_FILE = 'manifest.json';
const MANIFEST_FORMAT = 1;
/**
 * The relay's master key file (and a rotation's next key): left out unless asked for, so a
 * backup that leaks is ciphertext without its key. Named here, not imported from the relay,
 * so ops stays free of server code.
 */
export const MASTER_KEY_FILES: readonly string[] = ['master-key', 'master-key.next'];

export interface BackupEntry {
  /** Path inside the backup folder, e.g. `data/fmc.sqlite` or `cache/cache.sqlite`. */
  readonly file: string;
  readonly target: 'data' | 'cache';
  readonly kind: 'sqlite' | 'file';
  readonly bytes: number;
  readonly sha256: string;
}

export interface BackupManifest {
  readonly format: number;
  readonly createdAt: string;
  readonly version: string;
  readonly dataDir: string;
  readonly cachePath?: string | undefined;
  /** Whether the data dir's master-key file was copied (absent in backups made before the choice existed: they included it). */
  readonly masterKey?: 'included' | 'left out' | 'none';
  readonly entries: readonly BackupEntry[];
}

export interface BackupSources {
  readonly dataDir: string;
  /** undefined: leave the cache out. */
  readonly cachePath?: string | undefined;
  readonly version: string;
  readonly now?: Date;
  /** Copy `<data-dir>/master-key` too (`--include-master-key`); default: leave it out. */
  readonly includeMasterKey?: boolean;
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function isSqliteFile(path: string): boolean {
  const head = Buffer.alloc(SQLITE_MAGIC.length);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SQLITE_MAGIC);
  } finally {
    closeSync(fd);
  }
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

// The online backup copies committed WAL content too; copying these beside it would be
// wrong. Lock files (the relay keeps one in the data dir) belong to a running process.
const RUNTIME_FILES = /(-wal|-shm|-journal|\.lock)$/;

/** SQLite side files and lock files: state of a running process, not data to keep. */
export const isRuntimeFile = (name: string): boolean => RUNTIME_FILES.test(name);

/** The online backup API: consistent while a server writes, then checked before it counts. */
async function backupDatabase(source: string, dest: string, copyTo: (dest: string) => Promise<void> = (d) => copyDatabase(source, d)): Promise<void> {
  await copyTo(dest);
  chmodSync(dest, 0o600);
  const copy = new BetterSqlite3(dest, { fileMustExist: true });
  try {
    // The copy inherits WAL mode; a rollback-journal file is one self-contained file to checksum and ship.
    copy.pragma('journal_mode = DELETE');
    const result = copy.pragma('quick_check', { simple: true });
    if (result !== 'ok') throw new FmcError('FMC_ERR_DATA', `backup of ${source} failed its integrity check: ${String(result)}`);
  } finally {
    copy.close();
  }
}

function stamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}


/**
 * Removes partial folders left by a backup that died (kill -9, full disk, power loss): their
 * name carries the writer's pid, so one still being written by a live process is left alone.
 */
export function sweepPartialBackups(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const swept: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || !e.name.startsWith(PARTIAL_PREFIX)) continue;
    const pid = Number.parseInt(e.name.slice(PARTIAL_PREFIX.length), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) continue;
    rmSync(join(dir, e.name), { recursive: true, force: true });
    swept.push(join(dir, e.name));
  }
  return swept;
}

/** The final name of a new backup under `dir`; never one that exists. */
function finalName(dir: string, now: Date): string {
  const base = join(dir, `${BACKUP_PREFIX}${stamp(now)}`);
  for (let n = 0; ; n++) {
    const path = n === 0 ? base : `${base}-${n}`;
    if (!existsSync(path)) return path;
  }
}

export interface BackupResult {
  readonly folder: string;
  readonly manifest: BackupManifest;
  /** The key file that was left out, which must be saved apart; undefined when none or included. */
  readonly masterKeyLeftOut?: string | undefined;
  /** Partial folders of dead backups removed before this one. */
  readonly swept: readonly string[];
}

/**
 * Backs up into a new dated folder under `dir` and returns its path and manifest. The folder
 * is written under a partial name (0700: it holds password hashes and secrets) and renamed
 * once its manifest is in: a backup killed half-way is never listed, counted or restored.
 */
export async function backupAll(dir: string, sources: BackupSources): Promise<BackupResult> {
  const { dataDir } = sources;
  if (!existsSync(dataDir)) throw new FmcError('FMC_ERR_DATA', `data dir ${dataDir} does not exist; set --data-dir or FMC_DATA_DIR`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const swept = sweepPartialBackups(dir);
  const now = sources.now ?? new Date();
  const partial = join(dir, `${PARTIAL_PREFIX}${process.pid}-${stamp(now)}-${randomBytes(4).toString('hex')}`);
  mkdirSync(partial, { mode: 0o700 });
  try {
    const entries: BackupEntry[] = [];
    const add = async (source: string, file: string, target: BackupEntry['target']): Promise<void> => {
      const dest = join(partial, file);
      mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
      const kind = isSqliteFile(source) ? 'sqlite' : 'file';
      if (kind === 'sqlite') await backupDatabase(source, dest);
      else {
        copyFileSync(source, dest);
        chmodSync(dest, 0o600);
      }
      entries.push({ file, target, kind, bytes: statSync(dest).size, sha256: sha256(dest) });
    };
    let keyFile: string | undefined;
    for (const e of readdirSync(dataDir, { withFileTypes: true })) {
      if (!e.isFile() || isRuntimeFile(e.name)) continue;
      if (MASTER_KEY_FILES.includes(e.name)) {
        if (e.name === MASTER_KEY_FILES[0]) keyFile = join(dataDir, e.name);
        if (!sources.includeMasterKey) continue;
      }
      await add(join(dataDir, e.name), `data/${e.name}`, 'data');
    }
    if (sources.cachePath && existsSync(sources.cachePath)) {
      // The cache is copied through its own interface (the online backup of the open store).
      const file = `cache/${basename(sources.cachePath)}`;
      const dest = join(partial, file);
      mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
      const cache = openResultCache(sources.cachePath);
      try {
        await backupDatabase(sources.cachePath, dest, (d) => cache.backupTo(d));
      } finally {
        await cache.close();
      }
      entries.push({ file, target: 'cache', kind: 'sqlite', bytes: statSync(dest).size, sha256: sha256(dest) });
    }
    const masterKey = keyFile === undefined ? 'none' : sources.includeMasterKey ? 'included' : 'left out';
    const manifest: BackupManifest = { format: MANIFEST_FORMAT, createdAt: now.toISOString(), version: sources.version, dataDir, cachePath: sources.cachePath, masterKey, entries };
    writeFileSync(join(partial, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
    const folder = finalName(dir, now);
    renameSync(partial, folder);
    return { folder, manifest, masterKeyLeftOut: masterKey === 'left out' ? keyFile : undefined, swept };
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Deletes all but the newest `keep` backup folders in `dir`; returns the deleted paths. Only
 * complete backups (with their manifest) count: a folder without one is not a backup to keep.
 */
export function pruneBackups(dir: string, keep: number): string[] {
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith(BACKUP_PREFIX) && existsSync(join(dir, e.name, MANIFEST_FILE)))
    .map((e) => e.name)
    .sort();
  const doomed = folders.slice(0, Math.max(0, folders.length - keep)).map((name) => join(dir, name));
  for (const path of doomed) rmSync(path, { recursive: true, force: true });
  return doomed;
}

export function readManifest(folder: string): BackupManifest {
  const path = join(folder, MANIFEST_FILE);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as BackupManifest;
  } catch (err) {
    throw new FmcError('FMC_ERR_DATA', `${path}: not a readable fmc backup manifest (${(err as Error).message})`);
  }
  if (manifest.format !== MANIFEST_FORMAT || !Array.isArray(manifest.entries)) {
    throw new FmcError('FMC_ERR_DATA', `${path}: backup format ${String(manifest.format)} is not one this fmc reads (${MANIFEST_FORMAT})`);
  }
  return manifest;
}

export interface RestoreTargets {
  readonly dataDir: string;
  readonly cachePath: string;
}

/**
 * A database copied through SQLite's online backup API (0600): consistent while its writer
 * runs, and a reader of the destination never sees half a file. Backups and restores both.
 */
async function copyDatabase(source: string, dest: string): Promise<void> {
  const db = new BetterSqlite3(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(dest);
  } finally {
    db.close();
  }
  chmodSync(dest, 0o600);
}

function restoreFile(source: string, dest: string): void {
  const tmp = `${dest}.restore-${process.pid}`;
  copyFileSync(source, tmp);
  chmodSync(tmp, 0o600);
  renameSync(tmp, dest);
}

/**
 * Puts a backup back. `path` is a backup folder or its manifest (everything in it, each
 * file's checksum verified first, so a damaged backup changes nothing), or one database file
 * from a backup folder (only that database; `cache/` files go to the cache path).
 */
export async function restoreBackup(path: string, targets: RestoreTargets): Promise<string[]> {
  if (!existsSync(path)) throw new FmcError('FMC_ERR_INPUT_MISSING', `${path} does not exist; pass a backup folder made by \`fmc backup\`, its manifest.json or one .sqlite file in it`);
  const destOf = (target: BackupEntry['target'], name: string): string => (target === 'cache' ? targets.cachePath : join(targets.dataDir, name));
  mkdirSync(targets.dataDir, { recursive: true, mode: 0o700 });
  mkdirSync(dirname(targets.cachePath), { recursive: true });

  if (statSync(path).isFile() && basename(path) !== MANIFEST_FILE) {
    if (!isSqliteFile(path)) throw new FmcError('FMC_ERR_DATA', `${path} is not an SQLite database; pass the backup folder to restore secrets too`);
    const dest = destOf(basename(dirname(path)) === 'cache' ? 'cache' : 'data', basename(path));
    await copyDatabase(path, dest);
    return [dest];
  }
  const folder = statSync(path).isDirectory() ? path : dirname(path);
  const manifest = readManifest(folder);
  for (const e of manifest.entries) {
    const file = join(folder, e.file);
    // The manifest is data: an entry naming a file outside the backup folder is refused.
    if (relative(folder, file).startsWith('..') || isAbsolute(relative(folder, file))) {
      throw new FmcError('FMC_ERR_DATA', `${MANIFEST_FILE} names ${JSON.stringify(e.file)}, outside the backup folder; nothing was restored`);
    }
    if (!existsSync(file) || sha256(file) !== e.sha256) throw new FmcError('FMC_ERR_DATA', `${file} is missing or does not match its checksum in ${MANIFEST_FILE}; nothing was restored`);
  }
  const restored: string[] = [];
  for (const e of manifest.entries) {
    const dest = destOf(e.target, basename(e.file));
    if (e.kind === 'sqlite') await copyDatabase(join(folder, e.file), dest);
    else restoreFile(join(folder, e.file), dest);
    restored.push(dest);
  }
  return restored;
}
