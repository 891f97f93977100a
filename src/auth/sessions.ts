import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { TokenSubject } from '../store/users.js';
import { FmcError } from '../errors.js';

// Refresh sessions: a login starts one; each use of its refresh secret hands out a new secret
// and invalidates the old one (rotation). Presenting an old secret again means it was copied
// (or a response was lost): the whole session is revoked, since the server cannot tell the
// thief from the owner. Only the SHA-256 of the current secret is stored.

export interface SessionGrant {
  /** The session's public id (names the cookie; not a credential by itself). */
  readonly id: string;
  /** The refresh secret, to go in the httpOnly cookie; shown once, stored hashed. */
  readonly secret: string;
  readonly expiresAt: string;
  /** The account to issue an access token to. */
  readonly subject: TokenSubject;
}

export interface SessionStore {
  /** A new session for an account that just logged in. */
  start(subject: TokenSubject): SessionGrant;
  /**
   * Checks `secret` against the session's current one and rotates it. Refuses with
   * FMC_ERR_SESSION_EXPIRED (idle too long), FMC_ERR_REFRESH_REUSED (an old secret: the
   * session is revoked), or FMC_ERR_SESSION_REVOKED (logged out, password changed, account
   * disabled or removed).
   */
  rotate(id: string, secret: string): SessionGrant;
  /** Ends the session (logout); false when there was none to end. */
  revoke(id: string, why: string): boolean;
  /** Whether `userId` owns the session (logout with a bearer token instead of the cookie). */
  ownedBy(id: string, userId: number): boolean;
}

export interface SessionOptions {
  /** Idle lifetime: a session unused this long expires (each rotation restarts it). */
  readonly ttlSeconds: number;
  /** Milliseconds since the epoch; injectable so expiry is tested without waiting. */
  readonly now?: () => number;
}

// Revoked and expired sessions are kept this long so a late caller gets the right code, then pruned.
const KEEP_ENDED_MS = 24 * 3600_000;
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

const hashOf = (secret: string): Buffer => createHash('sha256').update(secret).digest();

interface Row {
  id: string;
  user_id: number;
  session_key: string;
  secret_hash: string;
  expires_at: number;
  revoked_at: number | null;
  revoked_why: string | null;
  current_key: string;
  disabled: number;
}

export const isSessionId = (id: string): boolean => SESSION_ID.test(id);

export function createSessionStore(db: Database, options: SessionOptions): SessionStore {
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlSeconds * 1000;
  const insert = db.prepare('INSERT INTO refresh_sessions (id, user_id, session_key, secret_hash, created_at, used_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const select = db.prepare('SELECT s.*, u.session_key AS current_key, u.disabled FROM refresh_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?');
  const update = db.prepare('UPDATE refresh_sessions SET secret_hash = ?, generation = generation + 1, used_at = ?, expires_at = ? WHERE id = ?');
  const revokeOne = db.prepare('UPDATE refresh_sessions SET revoked_at = ?, revoked_why = ? WHERE id = ? AND revoked_at IS NULL');
  const prune = db.prepare('DELETE FROM refresh_sessions WHERE expires_at < ? OR revoked_at < ?');
  const owner = db.prepare('SELECT user_id FROM refresh_sessions WHERE id = ?').pluck();

  const grant = (id: string, subject: TokenSubject, t: number): SessionGrant & { hash: string } => {
    const secret = randomBytes(32).toString('base64url');
    return { id, secret, hash: hashOf(secret).toString('hex'), expiresAt: new Date(t + ttlMs).toISOString(), subject };
  };

  // The transaction returns the refusal instead of throwing it: a throw would roll back the
  // revocation it decided on.
  const rotateTx = db.transaction((id: string, secret: string): SessionGrant | FmcError => {
    const t = now();
    const row = isSessionId(id) ? (select.get(id) as Row | undefined) : undefined;
    // Unknown covers "removed with its account" (cascade) and "pruned long after it ended".
    if (!row) return new FmcError('FMC_ERR_SESSION_REVOKED', 'this session has ended (logged out, or the account was removed); log in again');
    if (row.revoked_at !== null) return new FmcError('FMC_ERR_SESSION_REVOKED', `this session has ended (${row.revoked_why ?? 'revoked'}); log in again`);
    if (row.disabled === 1 || row.current_key !== row.session_key) {
      revokeOne.run(t, 'password changed or account disabled', id);
      return new FmcError('FMC_ERR_SESSION_REVOKED', 'this session has ended (password changed or account disabled); log in again');
    }
    if (!timingSafeEqual(hashOf(secret), Buffer.from(row.secret_hash, 'hex'))) {
      revokeOne.run(t, 'an old refresh token was used again', id);
      return new FmcError('FMC_ERR_REFRESH_REUSED', 'this refresh token was already used; the session is revoked for safety: log in again');
    }
    if (row.expires_at <= t) return new FmcError('FMC_ERR_SESSION_EXPIRED', 'the session expired (unused for too long); log in again');
    const next = grant(id, { id: row.user_id, sessionKey: row.session_key }, t);
    update.run(next.hash, t, t + ttlMs, id);
    return { id, secret: next.secret, expiresAt: next.expiresAt, subject: next.subject };
  });

  return {
    start(subject) {
      const t = now();
      prune.run(t - KEEP_ENDED_MS, t - KEEP_ENDED_MS);
      const g = grant(randomBytes(16).toString('base64url'), subject, t);
      insert.run(g.id, subject.id, subject.sessionKey, g.hash, t, t, t + ttlMs);
      return { id: g.id, secret: g.secret, expiresAt: g.expiresAt, subject };
    },
    rotate(id, secret) {
      const result = rotateTx(id, secret);
      if (result instanceof FmcError) throw result;
      return result;
    },
    revoke: (id, why) => isSessionId(id) && revokeOne.run(now(), why, id).changes > 0,
    ownedBy: (id, userId) => isSessionId(id) && owner.get(id) === userId,
  };
}
