import { existsSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, loadServerEnv } from '../config.js';
import { openDataDb } from '../data/db.js';
import { FmcError } from '../errors.js';
import { lockDataDir } from '../server/relay/data-lock.js';
import { finishInterruptedRotation, rewrapDataKeys } from '../server/relay/keyring.js';
import { MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE, parseMasterKey, readKeyFile, writeKeyFile } from '../server/relay/master-key.js';
import { keyId } from '../server/relay/seal.js';
import { processIO, type CommandIO } from './classify.js';

export interface KeysOptions {
  dataDir?: string;
}

/**
 * `fmc keys rotate`: every conversation's data key is re-wrapped under a new master key in
 * one transaction; messages stay as they are. With FMC_MASTER_KEY the new key comes from
 * FMC_NEW_MASTER_KEY (the operator then swaps the variables); with the key file a new one is
 * generated and replaces it (via master-key.next, so a crash never strands the data keys).
 */
export async function keysRotate(options: KeysOptions, io: CommandIO = processIO()): Promise<number> {
  const dataDir = options.dataDir ?? loadConfig(io.env).dataDir;
  const env = loadServerEnv(io.env);
  const data = openDataDb(dataDir);
  try {
    const lock = lockDataDir(dataDir, 'fmc keys rotate');
    try {
      if (env.masterKey !== undefined) {
        const oldKey = parseMasterKey(env.masterKey, 'FMC_MASTER_KEY');
        if (env.newMasterKey === undefined) {
          throw new FmcError('FMC_ERR_KEYS', 'FMC_MASTER_KEY is set: put the new key in FMC_NEW_MASTER_KEY (e.g. `FMC_NEW_MASTER_KEY=$(openssl rand -base64 32) fmc keys rotate`)');
        }
        const newKey = parseMasterKey(env.newMasterKey, 'FMC_NEW_MASTER_KEY');
        const n = rewrapDataKeys(data.db, oldKey, newKey);
        io.stdout.write(`re-wrapped ${n} data keys: ${keyId(oldKey)} -> ${keyId(newKey)}; now set FMC_MASTER_KEY to the value of FMC_NEW_MASTER_KEY before starting fmc serve\n`);
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
      io.stdout.write(`re-wrapped ${n} data keys: ${keyId(oldKey)} -> ${keyId(newKey)} (${current})\n`);
      return 0;
    } finally {
      lock.release();
    }
  } finally {
    data.close();
  }
}
