import type pg from 'pg';
import { correctionOf, newCorrection, storedOf, type CorrectionRow, type CorrectionStore } from '../../corrections/store.js';
import type { Keyring } from '../../server/relay/keyring.js';
import { sqlOn } from './sql.js';

// Corrections on PostgreSQL (table corrections, migration 21): the relay's store writes the
// chat ones (with the relabel, in one transaction), this writes the batch ones and reads all
// of them, so every instance and `fmc corrections` see the same list.

/**
 * `keyring` is asked for only when a chat correction is opened: listing batch corrections
 * needs no master key.
 */
export function openPgCorrections(pool: pg.Pool, url: string, keyring: () => Promise<Keyring>): CorrectionStore {
  const q = sqlOn(pool, url).query;
  return {
    async recordBatch(input) {
      const now = Date.now();
      const { rows } = await q<{ id: string }>(
        'INSERT INTO corrections (created_at, user_id, username, conversation_id, seq, text, labels, provider, version) VALUES ($1, $2, $3, NULL, NULL, $4, $5, $6, $7) RETURNING id',
        [now, input.user.id, input.user.username, input.text, Buffer.from(JSON.stringify(storedOf(input)), 'utf8'), input.original?.provider ?? null, input.version],
      );
      return newCorrection(Number(rows[0]!.id), now, input, { text: input.text });
    },
    async list() {
      const { rows } = await q<CorrectionRow>(`SELECT c.*, m.body, k.wrapped_key FROM corrections c
        LEFT JOIN messages m ON m.conversation_id = c.conversation_id AND m.seq = c.seq
        LEFT JOIN conversations k ON k.id = c.conversation_id
        ORDER BY c.id`);
      const ring = rows.some((r) => r.conversation_id !== null) ? await keyring() : undefined;
      return rows.map((row) => correctionOf(row, (id, wrapped) => ring!.dataKey(id, wrapped)));
    },
    async count() {
      const { rows } = await q<{ chat: string; batch: string }>(
        'SELECT count(*) FILTER (WHERE conversation_id IS NOT NULL) AS chat, count(*) FILTER (WHERE conversation_id IS NULL) AS batch FROM corrections',
      );
      return { chat: Number(rows[0]!.chat), batch: Number(rows[0]!.batch) };
    },
  };
}
