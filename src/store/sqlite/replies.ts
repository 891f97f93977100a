import type { Database } from 'better-sqlite3';
import { checkReply, replyExists, replyNotFound, shortcutOf, toReply, type ReplyRow, type ReplyStore } from '../../replies/store.js';

/** Canned replies in the data DB (migration m007, seeded there). */
export function openSqliteReplies(db: Database): ReplyStore {
  const selectAll = db.prepare('SELECT * FROM canned_replies ORDER BY shortcut');
  const selectOne = db.prepare('SELECT * FROM canned_replies WHERE shortcut = ?');
  const insert = db.prepare('INSERT INTO canned_replies (shortcut, title, body, created_at, created_by) VALUES (?, ?, ?, ?, ?)');
  const remove = db.prepare('DELETE FROM canned_replies WHERE shortcut = ?');
  return {
    list: async () => (selectAll.all() as ReplyRow[]).map(toReply),
    async add(reply) {
      const { shortcut, title, body } = checkReply(reply);
      try {
        insert.run(shortcut, title, body, Date.now(), reply.createdBy);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw replyExists(shortcut);
        throw err;
      }
      return toReply(selectOne.get(shortcut) as ReplyRow);
    },
    async remove(raw) {
      const shortcut = shortcutOf(raw);
      if (remove.run(shortcut).changes === 0) throw replyNotFound(shortcut);
    },
  };
}
