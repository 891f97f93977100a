import { Algorithm, hash, verify } from '@node-rs/argon2';
import { FmcError } from '../errors.js';

// argon2id with the OWASP baseline (19 MiB, 2 passes): ~30 ms a hash, on libuv's pool.
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN = 8;
// argon2 hashes any length, but a megabyte password is a cheap way to burn server CPU.
export const PASSWORD_MAX = 256;

export function checkPassword(password: string): void {
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
    throw new FmcError('FMC_ERR_BAD_USER', `password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  }
}

export async function hashPassword(password: string): Promise<string> {
  checkPassword(password);
  return hash(password, OPTIONS);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/**
 * A hash of nothing anyone knows, verified when the user name is unknown so that a wrong
 * name and a wrong password take the same time (no user enumeration by timing).
 */
let decoy: Promise<string> | undefined;
export async function verifyDecoy(password: string): Promise<false> {
  decoy ??= hash(crypto.randomUUID(), OPTIONS);
  await verifyPassword(await decoy, password);
  return false;
}
