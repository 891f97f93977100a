import { loadConfig } from '../config.js';
import { EXIT } from '../errors.js';
import { backupAll, pruneBackups, restoreBackup } from '../ops/backup.js';
import { VERSION } from '../version.js';
import { processIO, type CommandIO } from './classify.js';

export interface BackupOptions {
  dataDir?: string;
  /** A path, or false for --no-cache. */
  cache?: string | boolean;
  keep?: number;
}

/** `fmc backup <dir>`: prints the new folder on stdout (scripts keep it), the rest on stderr. */
export async function backup(dir: string, options: BackupOptions, io: CommandIO = processIO()): Promise<number> {
  const config = loadConfig(io.env);
  const cachePath = options.cache === false ? undefined : typeof options.cache === 'string' ? options.cache : config.cachePath;
  const { folder, manifest } = await backupAll(dir, { dataDir: options.dataDir ?? config.dataDir, cachePath, version: VERSION });
  for (const e of manifest.entries) io.stderr.write(`  ${e.file} (${e.kind}, ${e.bytes} bytes)\n`);
  if (options.keep !== undefined) {
    for (const gone of pruneBackups(dir, options.keep)) io.stderr.write(`removed old backup ${gone}\n`);
  }
  io.stdout.write(`${folder}\n`);
  return EXIT.ok;
}

/** `fmc restore <file>`: lists each restored path on stdout. */
export async function restore(path: string, options: Omit<BackupOptions, 'keep'>, io: CommandIO = processIO()): Promise<number> {
  const config = loadConfig(io.env);
  const restored = await restoreBackup(path, {
    dataDir: options.dataDir ?? config.dataDir,
    cachePath: typeof options.cache === 'string' ? options.cache : config.cachePath,
  });
  for (const p of restored) io.stdout.write(`restored ${p}\n`);
  return EXIT.ok;
}
