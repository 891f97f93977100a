import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenSubject } from '../store/users.js';
import { FmcError } from '../errors.js';

// Refresh sessions: a login starts one; each use of its refresh secret hands out a new secret
// and invalidates the old one (rotation). Presenting an old secret again means it was copied
// (or a response was lost): the whole session is revoked, since the server cannot tell the
// thief from the owner. Only the SHA-256 of the current secret is stored.
//
// One interface, two backends (store/sqlite/sessions.ts, store/pg/sessions.ts); the rules
// of a rotation are here, once (judgeRotation): each backend reads the row under its lock,
// asks, and writes what it is told, so two instances given one secret at once cannot both win.

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
  start(subject: TokenSubject): Promise<SessionGrant>;
  /**
   * Checks `secret` against the session's current one and rotates it. Refuses with
   * FMC_ERR_SESSION_EXPIRED (idle too long), FMC_ERR_REFRESH_REUSED (an old secret: the
   * session is revoked), or FMC_ERR_SESSION_REVOKED (logged out, password changed, account
   * disabled or removed).
   */
  rotate(id: string, secret: string): Promise<SessionGrant>;
  /** Ends the session (logout); false when there was none to end. */
  revoke(id: string, why: string): Promise<boolean>;
  /** Whether `userId` owns the session (logout with a bearer token instead of the cookie). */
  ownedBy(id: string, userId: number): Promise<boolean>;
}

export interface SessionOptions {
  /** Idle lifetime: a session unused this long expires (each rotation restarts it). */
  readonly ttlSeconds: number;
  /** Milliseconds since the epoch; injectable so expiry is tested without waiting. */
  readonly now?: () => number;
}

// Revoked and expired sessions are kept this long so a late caller gets the right code, then pruned.
export const KEEP_ENDED_MS = 24 * 3600_000;
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

export const isSessionId = (id: string): boolean => SESSION_ID.test(id);

const hashOf = (secret: string): Buffer => createHash('sha256').update(secret).digest();

/** A session as both backends read it: its row joined with its account's current state. */
export interface SessionState {
  readonly userId: number;
  /** The account's key when the session began. */
  readonly sessionKey: string;
  readonly secretHash: string;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly revokedWhy: string | null;
  /** The account's key now: a password change or a disable replaced it. */
  readonly currentKey: string;
  readonly disabled: boolean;
}

/** A new secret for session `id`, and the hash to store in its place. */
export function newGrant(id: string, subject: TokenSubject, t: number, ttlMs: number): { grant: SessionGrant; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { grant: { id, secret, expiresAt: new Date(t + ttlMs).toISOString(), subject }, hash: hashOf(secret).toString('hex') };
}

export const newSessionId = (): string => randomBytes(16).toString('base64url');

/** What a rotation does: refuse (revoking the session first when `revoke` says why), or go on. */
export type Verdict = { readonly ok: true; readonly subject: TokenSubject } | { readonly ok: false; readonly error: FmcError; readonly revoke?: string };

/** The rules of a rotation, on the session as read under the backend's lock at time `t`. */
export function judgeRotation(state: SessionState | undefined, secret: string, t: number): Verdict {
  // Unknown covers "removed with its account" (cascade) and "pruned long after it ended".
  if (!state) return { ok: false, error: new FmcError('FMC_ERR_SESSION_REVOKED', 'this session has ended (logged out, or the account was removed); log in again') };
  if (state.revokedAt !== null) return { ok: false, error: new FmcError('FMC_ERR_SESSION_REVOKED', `this session has ended (${state.revokedWhy ?? 'revoked'}); log in again`) };
  if (state.disabled || state.currentKey !== state.sessionKey) {
    const why = 'password changed or account disabled';
    return { ok: false, revoke: why, error: new FmcError('FMC_ERR_SESSION_REVOKED', `this session has ended (${why}); log in again`) };
  }
  if (!timingSafeEqual(hashOf(secret), Buffer.from(state.secretHash, 'hex'))) {
    return {
      ok: false,
      revoke: 'an old refresh token was used again',
      error: new FmcError('FMC_ERR_REFRESH_REUSED', 'this refresh token was already used; the session is revoked for safety: log in again'),
    };
  }
  if (state.expiresAt <= t) return { ok: false, error: new FmcError('FMC_ERR_SESSION_EXPIRED', 'the session expired (unused for too long); log in again') };
  return { ok: true, subject: { id: state.userId, sessionKey: state.sessionKey } };
}
