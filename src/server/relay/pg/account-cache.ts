import type { User, UserStore } from '../../../store/users.js';

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
const MAX_SLOTS = 5;

export function cacheAccounts(users: UserStore, listening: () => boolean): AccountCache {
  // Per account, its answers: byId's under '', byToken's under each session key (a new key,
  // after a password change, is another entry).
  const known = new Map<number, Map<string, User | undefined>>();
  // Bumped by every forget and clear: an answer read while one happened may predate it, and
  // is used once but not kept.
  let changes = 0;
  const forget = (userId: number): void => {
    changes++;
    known.delete(userId);
  };
  const remembered = async (id: number, slot: string, read: () => Promise<User | undefined>): Promise<User | undefined> => {
    if (!listening()) {
      known.clear();
      return read();
    }
    const slots = known.get(id);
    if (slots?.has(slot)) return slots.get(slot);
    const before = changes;
    const user = await read();
    if (before === changes && listening()) {
      if (!slots && known.size >= MAX_ACCOUNTS) known.delete(known.keys().next().value!);
      const kept = known.get(id) ?? new Map<string, User | undefined>();
      // A few answers an account at most (its id, the keys of sockets opened before and after a change).
      if (kept.size >= MAX_SLOTS) kept.clear();
      known.set(id, kept.set(slot, user));
    }
    return user;
  };
  return {
    users: { ...users, byId: (id) => remembered(id, '', () => users.byId(id)), byToken: (subject) => remembered(subject.id, subject.sessionKey, () => users.byToken(subject)) },
    forget,
    clear() {
      changes++;
      known.clear();
    },
  };
}
