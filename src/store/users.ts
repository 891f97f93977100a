import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { FmcError } from '../errors.js';

export const ROLES = ['admin', 'agent', 'customer'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  readonly id: number;
  readonly username: string;
  readonly role: Role;
  readonly createdAt: string;
  /** What customers are shown instead of the login (agents, admins); absent when none is set. */
  readonly displayName?: string;
}

export interface UserRecord extends User {
  readonly passwordHash: string;
  /** Random per account, carried by its tokens: ids are reused after a removal, keys are not. */
  readonly sessionKey: string;
  /** Disabled by an admin: cannot log in; its tokens and sessions stopped working when it was. */
  readonly disabled: boolean;
}

/** An account as the admin page lists it. */
export interface Account extends User {
  readonly disabled: boolean;
}

/** What a token names: the account's id and its session key. */
export interface TokenSubject {
  readonly id: number;
  readonly sessionKey: string;
}

export interface UserStore {
  /** Throws FMC_ERR_USER_EXISTS when the name is taken (names are case-insensitive). */
  add(user: { username: string; role: Role; passwordHash: string }): UserRecord;
  byName(username: string): UserRecord | undefined;
  /** An active (not disabled) account. */
  byId(id: number): User | undefined;
  /** The account a token names, if it still exists and is not disabled: same id and same session key. */
  byToken(subject: TokenSubject): User | undefined;
  list(): User[];
  /** Every account with its disabled flag (the admin page). */
  accounts(): Account[];
  /**
   * Disables or enables an account; disabling also changes its session key, so its tokens
   * and refresh sessions stop at once. The state before, or undefined when no such user.
   */
  setDisabled(username: string, disabled: boolean): boolean | undefined;
  /** Whether a user was removed. */
  remove(username: string): boolean;
  /** Replaces the password hash and the session key (so every token issued before stops working); false when no such user. */
  setPassword(username: string, passwordHash: string): boolean;
  /** Changes the role (read on every request, so it applies at once); the role before, or undefined when no such user. */
  setRole(username: string, role: Role): Role | undefined;
  /** Sets (or, with null, clears) the name customers are shown; false when no such user. */
  setDisplayName(username: string, displayName: string | null): boolean;
  /** How many conversations the user owns as a customer: removing the user deletes them. */
  conversationCount(username: string): number;
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,31}$/;

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Lower-cased and checked: 2-32 characters, letters, digits, `.`, `_`, `-`. */
export function normalizeUsername(raw: string): string {
  const name = raw.trim().toLowerCase();
  if (!USERNAME.test(name)) {
    throw new FmcError('FMC_ERR_BAD_USER', `user name ${JSON.stringify(raw)}: use 2-32 characters: letters, digits, ".", "_" or "-", starting with a letter or digit`);
  }
  return name;
}

interface Row {
  id: number;
  username: string;
  role: Role;
  created_at: number;
  password_hash: string;
  session_key: string;
  display_name: string | null;
  disabled: number;
}

/** 1-64 characters once trimmed, no control characters: it is shown as text, never as markup. */
export function normalizeDisplayName(raw: string): string {
  const name = raw.trim().replace(/\s+/g, ' ');
  if (name.length === 0 || name.length > 64 || /\p{Cc}/u.test(name)) {
    throw new FmcError('FMC_ERR_BAD_USER', `display name ${JSON.stringify(raw)}: use 1-64 characters, no control characters`);
  }
  return name;
}

const toUser = (r: Row): User => ({
  id: r.id,
  username: r.username,
  role: r.role,
  createdAt: new Date(r.created_at).toISOString(),
  ...(r.display_name !== null && { displayName: r.display_name }),
});
const toRecord = (r: Row): UserRecord => ({ ...toUser(r), passwordHash: r.password_hash, sessionKey: r.session_key, disabled: r.disabled === 1 });

export function createUserStore(db: Database): UserStore {
  const insert = db.prepare('INSERT INTO users (username, password_hash, role, created_at, session_key) VALUES (?, ?, ?, ?, ?)');
  const selectByName = db.prepare('SELECT * FROM users WHERE username = ?');
  const selectById = db.prepare('SELECT * FROM users WHERE id = ?');
  const selectAll = db.prepare('SELECT * FROM users ORDER BY username');
  const deleteByName = db.prepare('DELETE FROM users WHERE username = ?');
  const updatePassword = db.prepare('UPDATE users SET password_hash = ?, session_key = ? WHERE username = ?');
  const updateRole = db.prepare('UPDATE users SET role = ? WHERE username = ?');
  const updateDisabled = db.prepare('UPDATE users SET disabled = ?, session_key = ? WHERE username = ?');
  const updateDisplayName = db.prepare('UPDATE users SET display_name = ? WHERE username = ?');
  const countConversations = db.prepare('SELECT COUNT(*) FROM conversations c JOIN users u ON u.id = c.customer_id WHERE u.username = ?').pluck();
  return {
    add({ username, role, passwordHash }) {
      const name = normalizeUsername(username);
      if (!isRole(role)) throw new FmcError('FMC_ERR_BAD_USER', `role ${JSON.stringify(role)}: choose one of ${ROLES.join(', ')}`);
      try {
        const info = insert.run(name, passwordHash, role, Date.now(), randomBytes(16).toString('hex'));
        return toRecord(selectById.get(info.lastInsertRowid) as Row);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new FmcError('FMC_ERR_USER_EXISTS', `user ${name} already exists; pick another name or remove it first`);
        }
        throw err;
      }
    },
    byName(username) {
      const row = selectByName.get(username.trim().toLowerCase()) as Row | undefined;
      return row && toRecord(row);
    },
    byId(id) {
      const row = selectById.get(id) as Row | undefined;
      return row && row.disabled === 0 ? toUser(row) : undefined;
    },
    byToken({ id, sessionKey }) {
      const row = selectById.get(id) as Row | undefined;
      return row && row.session_key === sessionKey && row.disabled === 0 ? toUser(row) : undefined;
    },
    list: () => (selectAll.all() as Row[]).map(toUser),
    accounts: () => (selectAll.all() as Row[]).map((r) => ({ ...toUser(r), disabled: r.disabled === 1 })),
    setDisabled(username, disabled) {
      const name = username.trim().toLowerCase();
      return db.transaction(() => {
        const row = selectByName.get(name) as Row | undefined;
        if (!row) return undefined;
        // Enabling keeps the key as it is (nothing issued while disabled is valid anyway).
        updateDisabled.run(disabled ? 1 : 0, disabled ? randomBytes(16).toString('hex') : row.session_key, name);
        return row.disabled === 1;
      })();
    },
    remove: (username) => deleteByName.run(username.trim().toLowerCase()).changes > 0,
    setPassword: (username, passwordHash) => updatePassword.run(passwordHash, randomBytes(16).toString('hex'), username.trim().toLowerCase()).changes > 0,
    setRole(username, role) {
      if (!isRole(role)) throw new FmcError('FMC_ERR_BAD_USER', `role ${JSON.stringify(role)}: choose one of ${ROLES.join(', ')}`);
      const name = username.trim().toLowerCase();
      return db.transaction(() => {
        const row = selectByName.get(name) as Row | undefined;
        if (!row) return undefined;
        updateRole.run(role, name);
        return row.role;
      })();
    },
    setDisplayName: (username, displayName) => updateDisplayName.run(displayName === null ? null : normalizeDisplayName(displayName), username.trim().toLowerCase()).changes > 0,
    conversationCount: (username) => countConversations.get(username.trim().toLowerCase()) as number,
  };
}
