import type pg from 'pg';
import { checkReply, replyExists, replyNotFound, shortcutOf, toReply, type ReplyRow, type ReplyStore } from '../../replies/store.js';
import { sqlOn } from './sql.js';

// Canned replies on PostgreSQL (table canned_replies, migration 61, seeded there with the
// same six replies as SQLite's m007): one list for every `fmc serve` on the database.

export function openPgReplies(pool: pg.Pool, url: string): ReplyStore {
  const q = sqlOn(pool, url).query;
  return {
    list: async () => (await q<ReplyRow>('SELECT shortcut, title, body, created_at, created_by FROM canned_replies ORDER BY shortcut')).rows.map(toReply),
    async add(reply) {
      const { shortcut, title, body } = checkReply(reply);
      // Two admins adding one shortcut at once through two instances: one wins, the other is told.
      const { rows } = await q<ReplyRow>(
        `INSERT INTO canned_replies (shortcut, title, body, created_at, created_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (shortcut) DO NOTHING RETURNING shortcut, title, body, created_at, created_by`,
        [shortcut, title, body, Date.now(), reply.createdBy],
      );
      if (!rows[0]) throw replyExists(shortcut);
      return toReply(rows[0]);
    },
    async remove(raw) {
      const shortcut = shortcutOf(raw);
      if ((await q('DELETE FROM canned_replies WHERE shortcut = $1', [shortcut])).rowCount === 0) throw replyNotFound(shortcut);
    },
  };
}
