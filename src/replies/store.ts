import { FmcError } from '../errors.js';

// The canned replies seam: one interface, two backends (store/sqlite/replies.ts, the data DB
// of one machine; store/pg/replies.ts, shared by every `fmc serve` on the database). The
// rules (shortcut, lengths) live here once, so both backends refuse the same input alike.

/** A canned reply: typed `/shortcut` in the message input, it becomes `body`. */
export interface CannedReply {
  readonly shortcut: string;
  readonly title: string;
  readonly body: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface NewReply {
  readonly shortcut: string;
  readonly title?: string;
  readonly body: string;
  readonly createdBy: string;
}

export interface ReplyStore {
  /** By shortcut. */
  list(): Promise<CannedReply[]>;
  /** Throws FMC_ERR_BAD_REPLY (rules) or FMC_ERR_REPLY_EXISTS. */
  add(reply: NewReply): Promise<CannedReply>;
  /** Throws FMC_ERR_REPLY_NOT_FOUND. */
  remove(shortcut: string): Promise<void>;
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

/** The reply as stored (shortcut normalised, text and title trimmed), or FMC_ERR_BAD_REPLY. */
export function checkReply({ shortcut, title, body }: NewReply): { shortcut: string; title: string; body: string } {
  const key = normalizeShortcut(shortcut);
  const text = body.trim();
  const name = (title ?? key).trim();
  if (text.length === 0 || text.length > BODY_MAX) throw new FmcError('FMC_ERR_BAD_REPLY', `reply text is ${text.length} characters; give 1 to ${BODY_MAX}`);
  if (name.length === 0 || name.length > TITLE_MAX) throw new FmcError('FMC_ERR_BAD_REPLY', `title is ${name.length} characters; give 1 to ${TITLE_MAX}`);
  return { shortcut: key, title: name, body: text };
}

/** The key `remove` looks for: `/Panne` removes `panne`; no rules, an unknown one is simply not found. */
export const shortcutOf = (raw: string): string => raw.trim().replace(/^\//, '').toLowerCase();

export const replyExists = (shortcut: string): FmcError =>
  new FmcError('FMC_ERR_REPLY_EXISTS', `a reply /${shortcut} already exists; remove it first (fmc replies remove ${shortcut})`);
export const replyNotFound = (shortcut: string): FmcError => new FmcError('FMC_ERR_REPLY_NOT_FOUND', `no reply /${shortcut}; see fmc replies list`);

/** A row of either backend (PostgreSQL's bigint arrives as a string). */
export interface ReplyRow {
  shortcut: string;
  title: string;
  body: string;
  created_at: number | string;
  created_by: string;
}

export const toReply = (r: ReplyRow): CannedReply => ({ shortcut: r.shortcut, title: r.title, body: r.body, createdAt: new Date(Number(r.created_at)).toISOString(), createdBy: r.created_by });
