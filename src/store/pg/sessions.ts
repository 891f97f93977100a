import type pg from 'pg';
import { isSessionId, judgeRotation, KEEP_ENDED_MS, newGrant, newSessionId, type SessionOptions, type SessionState, type SessionStore } from '../../auth/sessions.js';
import { sqlOn } from './sql.js';

// Refresh sessions on PostgreSQL (table refresh_sessions, migration 60), shared by every
// instance: a session started through one is refreshed through any. A rotation locks its row
// (SELECT … FOR UPDATE) for the read, the verdict and the write: when two instances get the
// same secret at once, the second waits, reads the rotated hash, and sees a reuse.

interface Row {
  user_id: string;
  session_key: string;
  secret_hash: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_why: string | null;
  current_key: string;
  disabled: boolean;
}

const toState = (r: Row): SessionState => ({
  userId: Number(r.user_id),
  sessionKey: r.session_key,
  secretHash: r.secret_hash,
  expiresAt: Number(r.expires_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  revokedWhy: r.revoked_why,
  currentKey: r.current_key,
  disabled: r.disabled,
});

const REVOKE = 'UPDATE refresh_sessions SET revoked_at = $1, revoked_why = $2 WHERE id = $3 AND revoked_at IS NULL';

export function createPgSessionStore(pool: pg.Pool, url: string, options: SessionOptions): SessionStore {
  const sql = sqlOn(pool, url);
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlSeconds * 1000;
  return {
    async start(subject) {
      const t = now();
      await sql.query('DELETE FROM refresh_sessions WHERE expires_at < $1 OR revoked_at < $1', [t - KEEP_ENDED_MS]);
      const { grant, hash } = newGrant(newSessionId(), subject, t, ttlMs);
      await sql.query('INSERT INTO refresh_sessions (id, user_id, session_key, secret_hash, created_at, used_at, expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6)', [
        grant.id,
        subject.id,
        subject.sessionKey,
        hash,
        t,
        t + ttlMs,
      ]);
      return grant;
    },
    async rotate(id, secret) {
      // The refusal is returned out of the transaction, not thrown in it: a throw would roll
      // back the revocation it decided on.
      const outcome = await sql.tx(async (client) => {
        const t = now();
        const row = isSessionId(id)
          ? (
              await client.query<Row>(
                'SELECT s.*, u.session_key AS current_key, u.disabled FROM refresh_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 FOR UPDATE OF s',
                [id],
              )
            ).rows[0]
          : undefined;
        const verdict = judgeRotation(row && toState(row), secret, t);
        if (!verdict.ok) {
          if (verdict.revoke !== undefined) await client.query(REVOKE, [t, verdict.revoke, id]);
          return verdict;
        }
        const next = newGrant(id, verdict.subject, t, ttlMs);
        await client.query('UPDATE refresh_sessions SET secret_hash = $1, generation = generation + 1, used_at = $2, expires_at = $3 WHERE id = $4', [next.hash, t, t + ttlMs, id]);
        return { ok: true as const, grant: next.grant };
      });
      if (!outcome.ok) throw outcome.error;
      return outcome.grant;
    },
    revoke: async (id, why) => isSessionId(id) && ((await sql.query(REVOKE, [now(), why, id])).rowCount ?? 0) > 0,
    async ownedBy(id, userId) {
      if (!isSessionId(id)) return false;
      const row = (await sql.query<{ user_id: string }>('SELECT user_id FROM refresh_sessions WHERE id = $1', [id])).rows[0];
      return row !== undefined && Number(row.user_id) === userId;
    },
  };
}
