import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { FmcError } from '../../errors.js';
import { loadOrCreateKeyFile, MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE, readKeyFile } from './master-key.js';
import { aad, KEY_BYTES, keyId, open, seal } from './seal.js';

/** Where the master key comes from: FMC_MASTER_KEY, or the key file in the data dir. */
export type MasterKeySource = { readonly kind: 'env'; readonly key: Buffer } | { readonly kind: 'file'; readonly dataDir: string };

export interface Keyring {
  readonly masterKeyId: string;
  /** A fresh random data key for a new conversation, and its wrapped form to store. */
  newDataKey(conversationId: string): { key: Buffer; wrapped: Buffer };
  /** The conversation's data key, unwrapped once and then kept in memory. */
  dataKey(conversationId: string, wrapped: Buffer): Buffer;
}

const META_KEY_ID = 'master_key_id';
// Unwrapped data keys kept in memory; past this the oldest is dropped and unwrapped again on use.
const CACHED_KEYS = 10_000;

function metaKeyId(db: Database): string | undefined {
  return db.prepare('SELECT value FROM relay_meta WHERE key = ?').pluck().get(META_KEY_ID) as string | undefined;
}

function setMetaKeyId(db: Database, id: string): void {
  db.prepare('INSERT INTO relay_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(META_KEY_ID, id);
}

/**
 * A rotation writes the new key to `master-key.next`, commits the re-wrapped data keys, then
 * renames the file. A crash in between leaves both files: the database says which key won.
 */
export function finishInterruptedRotation(db: Database, dataDir: string): void {
  const next = join(dataDir, NEXT_MASTER_KEY_FILE);
  if (!existsSync(next)) return;
  if (metaKeyId(db) === keyId(readKeyFile(next))) renameSync(next, join(dataDir, MASTER_KEY_FILE));
  else unlinkSync(next);
}

function masterKeyFrom(db: Database, source: MasterKeySource): { key: Buffer; where: string } {
  if (source.kind === 'env') return { key: source.key, where: 'FMC_MASTER_KEY' };
  finishInterruptedRotation(db, source.dataDir);
  const path = join(source.dataDir, MASTER_KEY_FILE);
  return { key: loadOrCreateKeyFile(path), where: path };
}

/**
 * Opens the keyring over the data database. The first master key seen is recorded; a later
 * start with another one (a lost key file, a mistyped FMC_MASTER_KEY) is refused before any
 * conversation is touched, naming both key ids.
 */
export function openKeyring(db: Database, source: MasterKeySource): Keyring {
  const { key: master, where } = masterKeyFrom(db, source);
  const id = keyId(master);
  const recorded = metaKeyId(db);
  if (recorded === undefined) setMetaKeyId(db, id);
  else checkRecordedKey(recorded, id, where);
  return createKeyring(master);
}

/** A later start with another master key than the first one seen is refused, naming both ids. */
export function checkRecordedKey(recorded: string, id: string, where: string): void {
  if (recorded !== id) {
    throw new FmcError('FMC_ERR_KEYS', `the master key from ${where} (${id}) is not the one the conversations were encrypted under (${recorded}); restore that key (FMC_MASTER_KEY or ${MASTER_KEY_FILE} in the data dir)`);
  }
}

/** Data keys wrapped and unwrapped by `master`, the unwrapped ones kept in memory. */
export function createKeyring(master: Buffer): Keyring {
  const id = keyId(master);
  const cache = new Map<string, Buffer>();
  const remember = (conversationId: string, key: Buffer): Buffer => {
    if (cache.size >= CACHED_KEYS) cache.delete(cache.keys().next().value!);
    cache.set(conversationId, key);
    return key;
  };
  return {
    masterKeyId: id,
    newDataKey(conversationId) {
      const key = randomBytes(KEY_BYTES);
      return { key: remember(conversationId, key), wrapped: seal(master, key, aad.dataKey(conversationId)) };
    },
    dataKey(conversationId, wrapped) {
      const cached = cache.get(conversationId);
      if (cached) return cached;
      try {
        return remember(conversationId, open(master, wrapped, aad.dataKey(conversationId)));
      } catch {
        throw new FmcError('FMC_ERR_KEYS', `conversation ${conversationId}: its data key does not open with master key ${id}; was the key rotated while the server ran? Restart \`fmc serve\``);
      }
    },
  };
}

/**
 * Re-wraps every data key from `oldKey` to `newKey` in one transaction: messages are not
 * touched (they stay under their data keys), so this is fast and all-or-nothing.
 */
export function rewrapDataKeys(db: Database, oldKey: Buffer, newKey: Buffer): number {
  const oldId = keyId(oldKey);
  const newId = keyId(newKey);
  const rows = db.prepare('SELECT id, wrapped_key FROM conversations');
  const update = db.prepare('UPDATE conversations SET wrapped_key = ?, master_key_id = ? WHERE id = ?');
  return db.transaction(() => {
    const recorded = metaKeyId(db);
    if (recorded !== undefined && recorded !== oldId) {
      throw new FmcError('FMC_ERR_KEYS', `the current master key (${oldId}) is not the one the conversations are under (${recorded}); nothing was changed`);
    }
    let n = 0;
    // all(), not iterate(): better-sqlite3 refuses writes while a read cursor is open.
    for (const row of rows.all() as { id: string; wrapped_key: Buffer }[]) {
      const dataKey = open(oldKey, row.wrapped_key, aad.dataKey(row.id));
      update.run(seal(newKey, dataKey, aad.dataKey(row.id)), newId, row.id);
      n++;
    }
    setMetaKeyId(db, newId);
    return n;
  })();
}
