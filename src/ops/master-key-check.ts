import { existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { DATA_DB_FILE } from '../store/sqlite/data-db.js';
import { MASTER_KEY_FILE, parseMasterKey, readKeyFile } from '../server/relay/master-key.js';
import { keyId } from '../server/relay/seal.js';

/** The master key id the conversations in `<dataDir>/fmc.sqlite` were wrapped under, if any. */
function recordedKeyId(dataDir: string): string | undefined {
  const path = join(dataDir, DATA_DB_FILE);
  if (!existsSync(path)) return undefined;
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'relay_meta'").get();
    if (!hasMeta) return undefined;
    return db.prepare("SELECT value FROM relay_meta WHERE key = 'master_key_id'").pluck().get() as string | undefined;
  } finally {
    db.close();
  }
}

export interface KeyVerdict {
  readonly ok: boolean;
  readonly message: string;
}

/**
 * After a restore: can the conversations be opened with the key at hand (FMC_MASTER_KEY, else
 * `<dataDir>/master-key`)? Backups leave the key out by default, so a restore onto another
 * machine must say where the saved key goes; undefined when there is nothing encrypted.
 */
export function checkRestoredMasterKey(dataDir: string, envKey: string | undefined): KeyVerdict | undefined {
  const needed = recordedKeyId(dataDir);
  if (needed === undefined) return undefined;
  const file = join(dataDir, MASTER_KEY_FILE);
  const fix = `put the master key you saved apart at ${file} (mode 0600), or set FMC_MASTER_KEY to it, before starting fmc serve`;
  let have: { where: string; id: string } | undefined;
  try {
    if (envKey) have = { where: 'FMC_MASTER_KEY', id: keyId(parseMasterKey(envKey, 'FMC_MASTER_KEY')) };
    else if (existsSync(file)) have = { where: file, id: keyId(readKeyFile(file)) };
  } catch (err) {
    return { ok: false, message: `the conversations need master key ${needed}, and ${(err as Error).message}; ${fix}` };
  }
  if (!have) return { ok: false, message: `the master key is missing: the conversations need ${needed}, and neither FMC_MASTER_KEY nor ${file} exists (backups leave the key out unless made with --include-master-key); ${fix}` };
  if (have.id !== needed) return { ok: false, message: `the master key in ${have.where} is ${have.id}, but the conversations need ${needed}; ${fix}` };
  return { ok: true, message: `master key: ${have.where} opens the conversations (${needed})` };
}
