import type { TokenSubject, User, UserStore } from '../../../store/users.js';

/**
 * The account every socket frame checks (connection.ts: removed, disabled, a new role, a new
 * session key after a password change), kept
 * in memory while this instance hears the database. Each write to an account sends a notice
 * in its own statement (store/pg/users.ts), which drops that entry here; a re-connected
 * LISTEN drops them all, since notices may have been missed meanwhile; while LISTEN is down
 * every frame reads the database, as without the cache. So a change made on any instance,
 * or by `fmc users`, takes effect here when its notice arrives, a few milliseconds after its
 * commit, instead of costing every frame a round trip.
 */
export interface AccountCache {
  /** The store with `byId` answered from memory (everything else passed through). */
  readonly users: UserStore;
  /** The account changed (its notice came). */
  forget(userId: number): void;
  /** Notices may have been missed. */
  clear(): void;
}

// Accounts remembered at most (those with sockets here); the oldest goes first.
const MAX_ACCOUNTS = 10_000;

export function cacheAccounts(users: UserStore, listening: () => boolean): AccountCache {
  const known = new Map<number, User | undefined>();
  // byToken's answers, by account then session key: a new key (a password change) is another entry.
  const tokens = new Map<number, Map<string, User | undefined>>();
  // Bumped by every forget and clear: an answer read while one happened may predate it, and
  // is used once but not kept.
  let changes = 0;
  const forget = (userId: number): void => {
    changes++;
    known.delete(userId);
    tokens.delete(userId);
  };
  const byId = async (id: number): Promise<User | undefined> => {
    if (!listening()) {
      known.clear();
      return users.byId(id);
    }
    if (known.has(id)) return known.get(id);
    const before = changes;
    const user = await users.byId(id);
    if (before === changes && listening()) {
      if (known.size >= MAX_ACCOUNTS) known.delete(known.keys().next().value!);
      known.set(id, user);
    }
    return user;
  };
  const byToken = async (subject: TokenSubject): Promise<User | undefined> => {
    if (!listening()) {
      tokens.clear();
      return users.byToken(subject);
    }
    const keys = tokens.get(subject.id);
    if (keys?.has(subject.sessionKey)) return keys.get(subject.sessionKey);
    const before = changes;
    const user = await users.byToken(subject);
    if (before === changes && listening()) {
      if (tokens.size >= MAX_ACCOUNTS) tokens.delete(tokens.keys().next().value!);
      const entry = tokens.get(subject.id) ?? new Map<string, User | undefined>();
      // A few keys an account at most (its sockets opened before and after a change).
      if (entry.size >= 4) entry.clear();
      tokens.set(subject.id, entry.set(subject.sessionKey, user));
    }
    return user;
  };
  return {
    users: { ...users, byId, byToken },
    forget,
    clear() {
      changes++;
      known.clear();
      tokens.clear();
    },
  };
}
