import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { FmcError } from '../errors.js';

/**
 * Reads a generated secret, creating it (48 random bytes, base64url, mode 0600) on first
 * use. `wx` makes creation atomic: two servers starting at once end up with one secret.
 * A file others can read is refused rather than silently trusted.
 */
export function loadOrCreateSecret(path: string): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(48).toString('base64url') + '\n');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new FmcError('FMC_ERR_DATA', `${path}: cannot create the secret (${(err as Error).message}); set --data-dir to a writable directory`);
    }
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new FmcError('FMC_ERR_DATA', `${path}: mode ${mode.toString(8)} lets others read the secret; run \`chmod 600 ${path}\``);
  }
  const secret = readFileSync(path, 'utf8').trim();
  if (secret.length < 32) throw new FmcError('FMC_ERR_DATA', `${path}: secret is too short; delete the file to generate a new one (this logs everyone out)`);
  return secret;
}
