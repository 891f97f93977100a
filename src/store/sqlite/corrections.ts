import type { Database } from 'better-sqlite3';
import { correctionOf, newCorrection, storedOf, type Correction, type CorrectionInput, type CorrectionRow, type CorrectionStore } from '../../corrections/store.js';
import type { Keyring } from '../../server/relay/keyring.js';
import { aad, sealJson } from '../../server/relay/seal.js';

/** The SQLite backend, plus the synchronous chat write the relay's SQLite store runs inside its own transaction. */
export interface SqliteCorrectionStore extends CorrectionStore {
  /** Stores a chat message's correction; `alsoInTransaction` (the relabel) commits or fails with it. */
  recordChat(input: CorrectionInput & { conversationId: string; seq: number; text: string }, alsoInTransaction?: () => void): Correction;
}

/**
 * Corrections in the data DB (migration m005_corrections). `keyring` is asked for only when a
 * chat correction is sealed or opened, so `fmc corrections` over a data dir without chat
 * corrections never creates or needs a master key.
 */
export function openSqliteCorrections(db: Database, keyring: () => Keyring): SqliteCorrectionStore {
  const insert = db.prepare('INSERT INTO corrections (created_at, user_id, username, conversation_id, seq, text, labels, provider, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const wrappedKey = db.prepare('SELECT wrapped_key FROM conversations WHERE id = ?').pluck();
  const selectAll = db.prepare(`SELECT c.*, m.body, k.wrapped_key FROM corrections c
    LEFT JOIN messages m ON m.conversation_id = c.conversation_id AND m.seq = c.seq
    LEFT JOIN conversations k ON k.id = c.conversation_id
    ORDER BY c.id`);
  const counts = db.prepare('SELECT sum(conversation_id IS NOT NULL) AS chat, sum(conversation_id IS NULL) AS batch FROM corrections');

  const recordChat = db.transaction((input: CorrectionInput & { conversationId: string; seq: number; text: string }, also?: () => void) => {
    also?.();
    const { conversationId, seq } = input;
    const key = keyring().dataKey(conversationId, wrappedKey.get(conversationId) as Buffer);
    const now = Date.now();
    const sealed = sealJson(key, storedOf(input), aad.correction(conversationId, seq));
    const info = insert.run(now, input.user.id, input.user.username, conversationId, seq, null, sealed, input.original?.provider ?? null, input.version);
    return newCorrection(Number(info.lastInsertRowid), now, input, { conversationId, seq, text: input.text });
  });

  return {
    recordChat: (input, also) => recordChat(input, also),
    async recordBatch(input) {
      const now = Date.now();
      const info = insert.run(now, input.user.id, input.user.username, null, null, input.text, JSON.stringify(storedOf(input)), input.original?.provider ?? null, input.version);
      return newCorrection(Number(info.lastInsertRowid), now, input, { text: input.text });
    },
    list: async () => (selectAll.all() as CorrectionRow[]).map((row) => correctionOf(row, (id, wrapped) => keyring().dataKey(id, wrapped))),
    async count() {
      const row = counts.get() as { chat: number | null; batch: number | null };
      return { chat: row.chat ?? 0, batch: row.batch ?? 0 };
    },
  };
}
