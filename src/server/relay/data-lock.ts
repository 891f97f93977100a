import { join } from 'node:path';
import { acquireLock, type Lock } from '../../cli/lock.js';
import { FmcError } from '../../errors.js';

export const DATA_LOCK_FILE = 'relay.lock';

/**
 * One relay per data dir: fan-out lives in the serving process, and `fmc keys rotate` must
 * not re-wrap data keys under a server still holding the old master key.
 */
export function lockDataDir(dataDir: string, what: string): Lock {
  const path = join(dataDir, DATA_LOCK_FILE);
  try {
    return acquireLock(path);
  } catch (err) {
    if (err instanceof FmcError && err.code === 'FMC_ERR_LOCKED') {
      throw new FmcError('FMC_ERR_LOCKED', `${what}: another fmc serve, fmc keys or fmc restore uses ${dataDir} (${path}); stop it first`);
    }
    throw err;
  }
}
