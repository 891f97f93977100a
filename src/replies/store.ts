import type { Database } from 'better-sqlite3';
import { FmcError } from '../errors.js';

/** A canned reply: typed `/shortcut` in the message input, it becomes `body`. */
export interface CannedReply {
  readonly shortcut: string;
  readonly title: string;
  readonly body: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface ReplyStore {
  /** By shortcut. */
  list(): CannedReply[];
  /** Throws FMC_ERR_BAD_REPLY (rules) or FMC_ERR_REPLY_EXISTS. */
  add(reply: { shortcut: string; title?: string; body: string; createdBy: string }): CannedReply;
  /** Throws FMC_ERR_REPLY_NOT_FOUND. */
  remove(shortcut: string): void;
}

const SHORTCUT = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const TITLE_MAX = 80;
// Under the relay's message limit (4,000), leaving room for what the agent adds around it.
export const BODY_MAX = 2000;

/** `/Panne ` → `panne`; refused unless 1-32 lower-case letters, digits, `_` or `-`. */
export function normalizeShortcut(raw: string): string {
  const s = raw.trim().replace(/^\//, '').toLowerCase();
  if (!SHORTCUT.test(s)) throw new FmcError('FMC_ERR_BAD_REPLY', `shortcut ${JSON.stringify(raw)}: use 1-32 letters, digits, "_" or "-" (typed after "/")`);
  return s;
}

interface Row {
  shortcut: string;
  title: string;
  body: string;
  created_at: number;
  created_by: string;
}

const toReply = (r: Row): CannedReply => ({ shortcut: r.shortcut, title: r.title, body: r.body, createdAt: new Date(r.created_at).toISOString(), createdBy: r.created_by });

export function createReplyStore(db: Database): ReplyStore {
  const selectAll = db.prepare('SELECT * FROM canned_replies ORDER BY shortcut');
  const selectOne = db.prepare('SELECT * FROM canned_replies WHERE shortcut = ?');
  const insert = db.prepare('INSERT INTO canned_replies (shortcut, title, body, created_at, created_by) VALUES (?, ?, ?, ?, ?)');
  const remove = db.prepare('DELETE FROM canned_replies WHERE shortcut = ?');
  return {
    list: () => (selectAll.all() as Row[]).map(toReply),
    add({ shortcut, title, body, createdBy }) {
      const key = normalizeShortcut(shortcut);
      const text = body.trim();
      const name = (title ?? key).trim();
      if (text.length === 0 || text.length > BODY_MAX) throw new FmcError('FMC_ERR_BAD_REPLY', `reply text is ${text.length} characters; give 1 to ${BODY_MAX}`);
      if (name.length === 0 || name.length > TITLE_MAX) throw new FmcError('FMC_ERR_BAD_REPLY', `title is ${name.length} characters; give 1 to ${TITLE_MAX}`);
      try {
        insert.run(key, name, text, Date.now(), createdBy);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new FmcError('FMC_ERR_REPLY_EXISTS', `a reply /${key} already exists; remove it first (fmc replies remove ${key})`);
        }
        throw err;
      }
      return toReply(selectOne.get(key) as Row);
    },
    remove(shortcut) {
      const key = shortcut.trim().replace(/^\//, '').toLowerCase();
      if (remove.run(key).changes === 0) throw new FmcError('FMC_ERR_REPLY_NOT_FOUND', `no reply /${key}; see fmc replies list`);
    },
  };
}
