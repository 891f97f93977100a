import { existsSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, loadServerEnv } from '../config.js';
import { openDataDb } from '../store/sqlite/data-db.js';
import { FmcError } from '../errors.js';
import { lockDataDir } from '../server/relay/data-lock.js';
import { finishInterruptedRotation, rewrapDataKeys } from '../server/relay/keyring.js';
import { MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE, parseMasterKey, readKeyFile, writeKeyFile } from '../server/relay/master-key.js';
import { keyId } from '../server/relay/seal.js';
import { rewrapPgDataKeys } from '../server/relay/pg/keyring.js';
import { databaseUrlOf, describeDatabase } from '../store/database-url.js';
import { openPgDatabase } from '../store/pg/database.js';
import { processIO, type CommandIO } from './command-io.js';

export interface KeysOptions {
  dataDir?: string;
  databaseUrl?: string;
}

/**
 * `fmc keys rotate`: every conversation's data key is re-wrapped under a new master key in
 * one transaction; messages stay as they are. With FMC_MASTER_KEY the new key comes from
 * FMC_NEW_MASTER_KEY (the operator then swaps the variables); with the key file a new one is
 * generated and replaces it (via master-key.next, so a crash never strands the data keys).
 */
export async function keysRotate(options: KeysOptions, io: CommandIO = processIO()): Promise<number> {
  const config = loadConfig(io.env);
  const dataDir = options.dataDir ?? config.dataDir;
  const env = loadServerEnv(io.env);
  const databaseUrl = databaseUrlOf(options.databaseUrl, config);
  if (databaseUrl !== undefined) return keysRotatePg(databaseUrl, dataDir, env, io);
  const data = openDataDb(dataDir);
  try {
    const lock = lockDataDir(dataDir, 'fmc keys rotate');
    try {
      // An empty `FMC_MASTER_KEY=$OLD` reads as unset: without this the key file would be
      // rotated instead, while the operator believes the environment's key was.
      if (env.newMasterKey !== undefined && env.masterKey === undefined) {
        throw new FmcError(
          'FMC_ERR_KEYS',
          'FMC_NEW_MASTER_KEY is set but FMC_MASTER_KEY is empty or unset; nothing was changed. Set FMC_MASTER_KEY to the current key (the one fmc serve runs with), or unset FMC_NEW_MASTER_KEY to rotate the key file in the data dir',
        );
      }
      if (env.masterKey !== undefined) {
        const oldKey = parseMasterKey(env.masterKey, 'FMC_MASTER_KEY');
        if (env.newMasterKey === undefined) {
          throw new FmcError('FMC_ERR_KEYS', 'FMC_MASTER_KEY is set: put the new key in FMC_NEW_MASTER_KEY, from a file you keep (see the README: `fmc keys rotate`)');
        }
        const newKey = parseMasterKey(env.newMasterKey, 'FMC_NEW_MASTER_KEY');
        if (newKey.equals(oldKey)) throw new FmcError('FMC_ERR_KEYS', 'FMC_NEW_MASTER_KEY is the same key as FMC_MASTER_KEY; nothing was changed');
        const n = rewrapDataKeys(data.db, oldKey, newKey);
        io.stdout.write(
          `re-wrapped ${n} data keys: ${keyId(oldKey)} -> ${keyId(newKey)}. The new key is the value of FMC_NEW_MASTER_KEY (${keyId(newKey)}), and only there: ` +
            `set FMC_MASTER_KEY to it (e.g. in /etc/fmc/fmc.env) before starting fmc serve, keep a copy apart from the backups, then discard the old key\n`,
        );
        return 0;
      }
      finishInterruptedRotation(data.db, dataDir);
      const current = join(dataDir, MASTER_KEY_FILE);
      if (!existsSync(current)) throw new FmcError('FMC_ERR_KEYS', `${current} does not exist: no master key to rotate (fmc serve creates it on first start)`);
      const oldKey = readKeyFile(current);
      const next = join(dataDir, NEXT_MASTER_KEY_FILE);
      const newKey = writeKeyFile(next);
      let n;
      try {
        n = rewrapDataKeys(data.db, oldKey, newKey);
      } catch (err) {
        unlinkSync(next);
        throw err;
      }
      renameSync(next, current);
      io.stdout.write(
        `re-wrapped ${n} data keys: ${keyId(oldKey)} -> ${keyId(newKey)}. The new key is in ${current} (mode 0600); backups leave it out: copy it somewhere apart from them now, the old copy no longer opens anything\n`,
      );
      return 0;
    } finally {
      lock.release();
    }
  } finally {
    data.close();
  }
}

/**
 * The same rotation with the conversations in PostgreSQL: one transaction over the shared
 * tables, refused (nothing changed) while any `fmc serve` runs on the database, since every
 * instance holds the master key in memory and would go on wrapping new data keys with it.
 */
async function keysRotatePg(url: string, dataDir: string, env: ReturnType<typeof loadServerEnv>, io: CommandIO): Promise<number> {
  const db = await openPgDatabase(url, { applicationName: 'fmc keys rotate' });
  try {
    if (env.newMasterKey !== undefined && env.masterKey === undefined) {
      throw new FmcError('FMC_ERR_KEYS', 'FMC_NEW_MASTER_KEY is set but FMC_MASTER_KEY is empty or unset; nothing was changed. Set FMC_MASTER_KEY to the current key (the one fmc serve runs with)');
    }
    if (env.masterKey !== undefined) {
      const oldKey = parseMasterKey(env.masterKey, 'FMC_MASTER_KEY');
      if (env.newMasterKey === undefined) throw new FmcError('FMC_ERR_KEYS', 'FMC_MASTER_KEY is set: put the new key in FMC_NEW_MASTER_KEY, from a file you keep (see the README: `fmc keys rotate`)');
      const newKey = parseMasterKey(env.newMasterKey, 'FMC_NEW_MASTER_KEY');
      if (newKey.equals(oldKey)) throw new FmcError('FMC_ERR_KEYS', 'FMC_NEW_MASTER_KEY is the same key as FMC_MASTER_KEY; nothing was changed');
      const n = await rewrapPgDataKeys(db.pool, oldKey, newKey);
      io.stdout.write(`re-wrapped ${n} data keys in PostgreSQL ${describeDatabase(url)}: ${keyId(oldKey)} -> ${keyId(newKey)}. Set FMC_MASTER_KEY to the value of FMC_NEW_MASTER_KEY on every instance before starting them\n`);
      return 0;
    }
    const current = join(dataDir, MASTER_KEY_FILE);
    if (!existsSync(current)) throw new FmcError('FMC_ERR_KEYS', `${current} does not exist: no master key to rotate (set FMC_MASTER_KEY, as every instance must share one key)`);
    const oldKey = readKeyFile(current);
    const next = join(dataDir, NEXT_MASTER_KEY_FILE);
    const newKey = writeKeyFile(next);
    let n;
    try {
      n = await rewrapPgDataKeys(db.pool, oldKey, newKey);
    } catch (err) {
      unlinkSync(next);
      throw err;
    }
    renameSync(next, current);
    io.stdout.write(`re-wrapped ${n} data keys in PostgreSQL ${describeDatabase(url)}: ${keyId(oldKey)} -> ${keyId(newKey)}. The new key is in ${current} (mode 0600): copy it to every instance\n`);
    return 0;
  } finally {
    await db.close();
  }
}
