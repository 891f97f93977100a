import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { FmcError } from '../../errors.js';
import { KEY_BYTES } from './seal.js';

export const MASTER_KEY_FILE = 'master-key';
/** Written before a rotation commits, renamed over MASTER_KEY_FILE after: see keyring.ts. */
export const NEXT_MASTER_KEY_FILE = 'master-key.next';

/** `FMC_MASTER_KEY`: base64 of exactly 32 bytes. */
export function parseMasterKey(raw: string, source: string): Buffer {
  const key = Buffer.from(raw.trim(), 'base64');
  // Buffer.from ignores bad characters; re-encoding catches a truncated or mistyped key.
  if (key.length !== KEY_BYTES || key.toString('base64') !== raw.trim()) {
    throw new FmcError('FMC_ERR_KEYS', `${source} must be the base64 of ${KEY_BYTES} random bytes (e.g. \`openssl rand -base64 32\`)`);
  }
  return key;
}

/** A key file others can read is refused: whoever reads it reads every conversation. */
export function readKeyFile(path: string): Buffer {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new FmcError('FMC_ERR_KEYS', `${path}: mode ${mode.toString(8)} lets other users read the master key; run \`chmod 600 ${path}\` (and rotate it with \`fmc keys rotate\` if others may have read it)`);
  }
  return parseMasterKey(readFileSync(path, 'utf8'), path);
}

/** Writes a new random key, 0600, synced; `wx` so two starts never write two different keys. */
export function writeKeyFile(path: string, key: Buffer = randomBytes(KEY_BYTES)): Buffer {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, key.toString('base64') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return key;
}

/** The key file's key, generating it on first use. */
export function loadOrCreateKeyFile(path: string): Buffer {
  try {
    return writeKeyFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new FmcError('FMC_ERR_KEYS', `${path}: cannot create the master key (${(err as Error).message}); set --data-dir to a writable directory or set FMC_MASTER_KEY`);
    }
  }
  return readKeyFile(path);
}

/** FMC_MASTER_KEY when set (parsed now, so a bad value stops start-up), else the key file. */
export function masterKeySource(envKey: string | undefined, dataDir: string): { kind: 'env'; key: Buffer } | { kind: 'file'; dataDir: string } {
  return envKey === undefined ? { kind: 'file', dataDir } : { kind: 'env', key: parseMasterKey(envKey, 'FMC_MASTER_KEY') };
}
