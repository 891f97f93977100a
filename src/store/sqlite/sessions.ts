import type { Database } from 'better-sqlite3';
import { isSessionId, judgeRotation, KEEP_ENDED_MS, newGrant, newSessionId, type SessionGrant, type SessionOptions, type SessionState, type SessionStore } from '../../auth/sessions.js';
import { FmcError } from '../../errors.js';

// Refresh sessions in the data dir's SQLite file (table refresh_sessions, m006). A rotation is
// one synchronous transaction: nothing else runs between its read and its write.

interface Row {
  user_id: number;
  session_key: string;
  secret_hash: string;
  expires_at: number;
  revoked_at: number | null;
  revoked_why: string | null;
  current_key: string;
  disabled: number;
}

const toState = (r: Row): SessionState => ({
  userId: r.user_id,
  sessionKey: r.session_key,
  secretHash: r.secret_hash,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  revokedWhy: r.revoked_why,
  currentKey: r.current_key,
  disabled: r.disabled === 1,
});

export function createSessionStore(db: Database, options: SessionOptions): SessionStore {
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlSeconds * 1000;
  const insert = db.prepare('INSERT INTO refresh_sessions (id, user_id, session_key, secret_hash, created_at, used_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const select = db.prepare('SELECT s.*, u.session_key AS current_key, u.disabled FROM refresh_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?');
  const update = db.prepare('UPDATE refresh_sessions SET secret_hash = ?, generation = generation + 1, used_at = ?, expires_at = ? WHERE id = ?');
  const revokeOne = db.prepare('UPDATE refresh_sessions SET revoked_at = ?, revoked_why = ? WHERE id = ? AND revoked_at IS NULL');
  const prune = db.prepare('DELETE FROM refresh_sessions WHERE expires_at < ? OR revoked_at < ?');
  const owner = db.prepare('SELECT user_id FROM refresh_sessions WHERE id = ?').pluck();

  // The transaction returns the refusal instead of throwing it: a throw would roll back the
  // revocation it decided on.
  const rotateTx = db.transaction((id: string, secret: string): SessionGrant | FmcError => {
    const t = now();
    const row = isSessionId(id) ? (select.get(id) as Row | undefined) : undefined;
    const verdict = judgeRotation(row && toState(row), secret, t);
    if (!verdict.ok) {
      if (verdict.revoke !== undefined) revokeOne.run(t, verdict.revoke, id);
      return verdict.error;
    }
    const next = newGrant(id, verdict.subject, t, ttlMs);
    update.run(next.hash, t, t + ttlMs, id);
    return next.grant;
  });

  return {
    async start(subject) {
      const t = now();
      prune.run(t - KEEP_ENDED_MS, t - KEEP_ENDED_MS);
      const { grant, hash } = newGrant(newSessionId(), subject, t, ttlMs);
      insert.run(grant.id, subject.id, subject.sessionKey, hash, t, t, t + ttlMs);
      return grant;
    },
    async rotate(id, secret) {
      const result = rotateTx(id, secret);
      if (result instanceof FmcError) throw result;
      return result;
    },
    revoke: async (id, why) => isSessionId(id) && revokeOne.run(now(), why, id).changes > 0,
    ownedBy: async (id, userId) => isSessionId(id) && owner.get(id) === userId,
  };
}
