import type { Database } from 'better-sqlite3';
import { checkRole, lookupName, newSessionKey, normalizeDisplayName, normalizeUsername, userExists, type Role, type User, type UserRecord, type UserStore } from '../users.js';

// The users in the data dir's SQLite file (one server per data dir). Synchronous underneath:
// the async interface only wraps the answers.

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
  const setDisabled = db.transaction((name: string, disabled: boolean): boolean | undefined => {
    const row = selectByName.get(name) as Row | undefined;
    if (!row) return undefined;
    // Enabling keeps the key as it is (nothing issued while disabled is valid anyway).
    updateDisabled.run(disabled ? 1 : 0, disabled ? newSessionKey() : row.session_key, name);
    return row.disabled === 1;
  });
  const setRole = db.transaction((name: string, role: Role): Role | undefined => {
    const row = selectByName.get(name) as Row | undefined;
    if (!row) return undefined;
    updateRole.run(role, name);
    return row.role;
  });
  return {
    async add({ username, role, passwordHash }) {
      const name = normalizeUsername(username);
      checkRole(role);
      try {
        const info = insert.run(name, passwordHash, role, Date.now(), newSessionKey());
        return toRecord(selectById.get(info.lastInsertRowid) as Row);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw userExists(name);
        throw err;
      }
    },
    async byName(username) {
      const row = selectByName.get(lookupName(username)) as Row | undefined;
      return row && toRecord(row);
    },
    async byId(id) {
      const row = selectById.get(id) as Row | undefined;
      return row && row.disabled === 0 ? toUser(row) : undefined;
    },
    async byToken({ id, sessionKey }) {
      const row = selectById.get(id) as Row | undefined;
      return row && row.session_key === sessionKey && row.disabled === 0 ? toUser(row) : undefined;
    },
    list: async () => (selectAll.all() as Row[]).map(toUser),
    accounts: async () => (selectAll.all() as Row[]).map((r) => ({ ...toUser(r), disabled: r.disabled === 1 })),
    setDisabled: async (username, disabled) => setDisabled(lookupName(username), disabled),
    remove: async (username) => deleteByName.run(lookupName(username)).changes > 0,
    setPassword: async (username, passwordHash) => updatePassword.run(passwordHash, newSessionKey(), lookupName(username)).changes > 0,
    setRole: async (username, role) => setRole(lookupName(username), checkRole(role)),
    setDisplayName: async (username, displayName) => updateDisplayName.run(displayName === null ? null : normalizeDisplayName(displayName), lookupName(username)).changes > 0,
    conversationCount: async (username) => countConversations.get(lookupName(username)) as number,
  };
}
