import type pg from 'pg';
import { checkRole, lookupName, newSessionKey, normalizeDisplayName, normalizeUsername, userExists, type Role, type User, type UserRecord, type UserStore } from '../users.js';
import { RELAY_CHANNEL, USER_NOTICE_PREFIX } from '../../server/relay/pg/notice.js';
import { sqlOn } from './sql.js';

// The users on PostgreSQL (table `users`, migrations 2, 50, 60): one set of accounts for every
// `fmc serve` on the database, so a user added once logs in through any instance. Same
// answers as the SQLite store; ids come from an identity column and are never reused.

interface Row {
  id: string;
  username: string;
  role: Role;
  created_at: string;
  password_hash: string;
  session_key: string;
  display_name: string | null;
  disabled: boolean;
}

const toUser = (r: Row): User => ({
  id: Number(r.id),
  username: r.username,
  role: r.role,
  createdAt: new Date(Number(r.created_at)).toISOString(),
  ...(r.display_name !== null && { displayName: r.display_name }),
});
const toRecord = (r: Row): UserRecord => ({ ...toUser(r), passwordHash: r.password_hash, sessionKey: r.session_key, disabled: r.disabled });

// Every write to an account tells the servers in the statement that makes it (delivered on
// commit, never on rollback): they keep the accounts their sockets check in memory
// (relay/pg/account-cache.ts) and drop one when its notice comes.
const NOTIFY = `pg_notify('${RELAY_CHANNEL}', '${USER_NOTICE_PREFIX}' || id)`;

// Byte order, as SQLite sorts: the database's collation (en_US…) would skip "." and "-".
const ALL = 'SELECT * FROM users ORDER BY username COLLATE "C"';

export function createPgUserStore(pool: pg.Pool, url: string): UserStore {
  const sql = sqlOn(pool, url);
  const one = async (text: string, values: unknown[]): Promise<Row | undefined> => (await sql.query<Row>(text, values)).rows[0];
  const changed = async (text: string, values: unknown[]): Promise<boolean> => ((await sql.query(text, values)).rowCount ?? 0) > 0;
  return {
    async add({ username, role, passwordHash }) {
      const name = normalizeUsername(username);
      checkRole(role);
      try {
        const row = await one('INSERT INTO users (username, password_hash, role, created_at, session_key) VALUES ($1, $2, $3, $4, $5) RETURNING *', [
          name,
          passwordHash,
          role,
          Date.now(),
          newSessionKey(),
        ]);
        return toRecord(row!);
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw userExists(name);
        throw err;
      }
    },
    async byName(username) {
      const row = await one('SELECT * FROM users WHERE username = $1', [lookupName(username)]);
      return row && toRecord(row);
    },
    async byId(id) {
      const row = await one('SELECT * FROM users WHERE id = $1 AND NOT disabled', [id]);
      return row && toUser(row);
    },
    async byToken({ id, sessionKey }) {
      const row = await one('SELECT * FROM users WHERE id = $1 AND session_key = $2 AND NOT disabled', [id, sessionKey]);
      return row && toUser(row);
    },
    list: async () => (await sql.query<Row>(ALL)).rows.map(toUser),
    accounts: async () => (await sql.query<Row>(ALL)).rows.map((r) => ({ ...toUser(r), disabled: r.disabled })),
    async setDisabled(username, disabled) {
      // The old state comes from the locked row the UPDATE replaces; enabling keeps the key.
      const row = await sql.query<{ was: boolean }>(
        `WITH changed AS (UPDATE users u SET disabled = $2, session_key = CASE WHEN $2 THEN $3 ELSE u.session_key END
           FROM (SELECT id, disabled FROM users WHERE username = $1 FOR UPDATE) old
           WHERE u.id = old.id RETURNING u.id, old.disabled AS was)
         SELECT was, ${NOTIFY} FROM changed`,
        [lookupName(username), disabled, newSessionKey()],
      );
      return row.rows[0]?.was;
    },
    async remove(username) {
      // SQLite's foreign keys do this there (ON DELETE CASCADE / SET NULL); the relay's tables
      // on PostgreSQL keep names on their rows and name no users table, so it is done here, in
      // the same transaction. Messages, chat corrections and reads go with their conversation.
      return sql.tx(async (client) => {
        const found = await client.query<{ id: string }>('SELECT id FROM users WHERE username = $1 FOR UPDATE', [lookupName(username)]);
        const id = found.rows[0]?.id;
        if (id === undefined) return false;
        await client.query('DELETE FROM conversations WHERE customer_id = $1', [id]);
        await client.query('UPDATE conversations SET assignee_id = NULL, assignee_name = NULL, assignee_display = NULL WHERE assignee_id = $1', [id]);
        await client.query('DELETE FROM conversation_reads WHERE user_id = $1', [id]);
        await client.query(`WITH gone AS (DELETE FROM users WHERE id = $1 RETURNING id) SELECT ${NOTIFY} FROM gone`, [id]);
        return true;
      });
    },
    setPassword: (username, passwordHash) =>
      changed(`WITH changed AS (UPDATE users SET password_hash = $1, session_key = $2 WHERE username = $3 RETURNING id) SELECT ${NOTIFY} FROM changed`, [
        passwordHash,
        newSessionKey(),
        lookupName(username),
      ]),
    async setRole(username, role) {
      checkRole(role);
      const row = await sql.query<{ was: Role }>(
        `WITH changed AS (UPDATE users u SET role = $2 FROM (SELECT id, role FROM users WHERE username = $1 FOR UPDATE) old WHERE u.id = old.id RETURNING u.id, old.role AS was)
         SELECT was, ${NOTIFY} FROM changed`,
        [lookupName(username), role],
      );
      return row.rows[0]?.was;
    },
    setDisplayName: async (username, displayName) =>
      changed(`WITH changed AS (UPDATE users SET display_name = $1 WHERE username = $2 RETURNING id) SELECT ${NOTIFY} FROM changed`, [
        displayName === null ? null : normalizeDisplayName(displayName),
        lookupName(username),
      ]),
    async conversationCount(username) {
      const row = await sql.query<{ n: string }>('SELECT count(*) AS n FROM conversations c JOIN users u ON u.id = c.customer_id WHERE u.username = $1', [lookupName(username)]);
      return Number(row.rows[0]!.n);
    },
  };
}
