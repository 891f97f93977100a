import type pg from 'pg';
import type { SessionStore } from '../auth/sessions.js';
import { createPgSessionStore } from '../store/pg/sessions.js';
import { loadOrCreatePgSecret } from '../store/pg/secret.js';
import { createPgUserStore } from '../store/pg/users.js';
import { loadOrCreateSecret } from '../store/secret.js';
import type { DataDb } from '../store/sqlite/data-db.js';
import { createSessionStore } from '../store/sqlite/sessions.js';
import { createUserStore } from '../store/sqlite/users.js';
import type { UserStore } from '../store/users.js';

/** Who may log in, their refresh sessions, and the secret their access tokens are signed with. */
export interface Accounts {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly secret: string;
}

export interface AccountsWhere {
  /** The data dir's SQLite database: the accounts' home without PostgreSQL. */
  readonly data: DataDb;
  /** The generated secret's file in the data dir (SQLite mode). */
  readonly secretFile: string;
  /** PostgreSQL mode: accounts, sessions and the secret shared by every instance on it. */
  readonly pg?: { readonly pool: pg.Pool; readonly url: string } | undefined;
  /** FMC_JWT_SECRET: wins over the generated secret in both modes. */
  readonly jwtSecret?: string | undefined;
  readonly refreshTtlSeconds: number;
}

/** The accounts where the server's state is: the data dir, or the shared PostgreSQL. */
export async function openAccounts(where: AccountsWhere): Promise<Accounts> {
  const session = { ttlSeconds: where.refreshTtlSeconds };
  if (where.pg) {
    const { pool, url } = where.pg;
    return { users: createPgUserStore(pool, url), sessions: createPgSessionStore(pool, url, session), secret: where.jwtSecret ?? (await loadOrCreatePgSecret(pool, url)) };
  }
  return { users: createUserStore(where.data.db), sessions: createSessionStore(where.data.db, session), secret: where.jwtSecret ?? loadOrCreateSecret(where.secretFile) };
}
