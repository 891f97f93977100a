import { existsSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { FmcError } from '../../../errors.js';
import { checkRecordedKey, createKeyring, type Keyring, type MasterKeySource } from '../keyring.js';
import { loadOrCreateKeyFile, MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE, readKeyFile } from '../master-key.js';
import { aad, keyId, open, seal } from '../seal.js';

// The master key on PostgreSQL: the same key on every instance (FMC_MASTER_KEY, or one key
// file), checked against the id recorded in relay_meta. A rotation re-wraps the data keys in
// one transaction and is refused while any `fmc serve` runs on the database: each holds a
// shared advisory lock for its lifetime (on its LISTEN connection), the rotation needs it
// exclusively. So no instance ever wraps a new conversation's key under a retired master key.

/** "fmc:keys": every fmc process must use the same number. */
export const KEYS_LOCK = '0x666d633a6b657973';
const KEYS_LOCK_INT = BigInt(KEYS_LOCK).toString();

const META_KEY_ID = 'master_key_id';

async function recordedKeyId(db: pg.Pool | pg.PoolClient): Promise<string | undefined> {
  const { rows } = await db.query<{ value: string }>('SELECT value FROM relay_meta WHERE key = $1', [META_KEY_ID]);
  return rows[0]?.value;
}

/** Opens the keyring, recording the first master key seen; another one later is refused. */
export async function openPgKeyring(pool: pg.Pool, source: MasterKeySource): Promise<Keyring> {
  let master: Buffer;
  let where: string;
  if (source.kind === 'env') {
    master = source.key;
    where = 'FMC_MASTER_KEY';
  } else {
    // A rotation cut short between its commit and its rename: the database says which key won.
    const next = join(source.dataDir, NEXT_MASTER_KEY_FILE);
    if (existsSync(next)) {
      if ((await recordedKeyId(pool)) === keyId(readKeyFile(next))) renameSync(next, join(source.dataDir, MASTER_KEY_FILE));
      else unlinkSync(next);
    }
    where = join(source.dataDir, MASTER_KEY_FILE);
    master = loadOrCreateKeyFile(where);
  }
  const id = keyId(master);
  // Two instances starting at once with different keys: the first insert wins, the other is refused.
  await pool.query('INSERT INTO relay_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [META_KEY_ID, id]);
  checkRecordedKey((await recordedKeyId(pool))!, id, where);
  return createKeyring(master);
}

/** Held (shared) by each serving instance for as long as it runs. */
export async function holdKeysShared(client: pg.Client): Promise<void> {
  await client.query('SELECT pg_advisory_lock_shared($1)', [KEYS_LOCK_INT]);
}

/**
 * Re-wraps every data key from `oldKey` to `newKey` in one transaction (messages untouched).
 * Refused, changing nothing, while an `fmc serve` holds the database.
 */
export async function rewrapPgDataKeys(pool: pg.Pool, oldKey: Buffer, newKey: Buffer): Promise<number> {
  const oldId = keyId(oldKey);
  const newId = keyId(newKey);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    try {
      const { rows: lock } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [KEYS_LOCK_INT]);
      if (!lock[0]!.ok) {
        const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'fmc serve (listen)'");
        throw new FmcError(
          'FMC_ERR_LOCKED',
          `${rows[0]!.n} fmc serve instance(s) run on this database and hold the master key in memory; nothing was changed. Stop every instance, run fmc keys rotate, then start them with the new key`,
        );
      }
      const recorded = await recordedKeyId(client);
      if (recorded !== undefined && recorded !== oldId) {
        throw new FmcError('FMC_ERR_KEYS', `the current master key (${oldId}) is not the one the conversations are under (${recorded}); nothing was changed`);
      }
      const { rows } = await client.query<{ id: string; wrapped_key: Buffer }>('SELECT id, wrapped_key FROM conversations FOR UPDATE');
      for (const row of rows) {
        const dataKey = open(oldKey, row.wrapped_key, aad.dataKey(row.id));
        await client.query('UPDATE conversations SET wrapped_key = $1, master_key_id = $2 WHERE id = $3', [seal(newKey, dataKey, aad.dataKey(row.id)), newId, row.id]);
      }
      await client.query('INSERT INTO relay_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [META_KEY_ID, newId]);
      await client.query('COMMIT');
      return rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    client.release();
  }
}
