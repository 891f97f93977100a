import type pg from 'pg';
import { asDbError } from './pool.js';

// Queries and transactions on a pool whose connection errors become one line
// (FMC_ERR_DB_UNAVAILABLE naming the host, never the password): the stores' common plumbing.

export interface Sql {
  /** A text, or a config (a named, prepared statement). */
  query<R extends pg.QueryResultRow>(text: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** `work` inside BEGIN … COMMIT on one connection; rolled back when it throws. */
  tx<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}

/** Thrown by inTransaction when even the ROLLBACK failed: the connection is unusable. */
class RollbackFailed extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** BEGIN … COMMIT on a connection already held; rolled back when `work` throws. */
async function inTransaction<T>(client: pg.PoolClient, work: () => Promise<T>): Promise<T> {
  try {
    // Inside the try: a BEGIN that fails is followed by a ROLLBACK too, and a connection
    // that cannot take even that is dropped.
    await client.query('BEGIN');
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      throw new RollbackFailed(err);
    });
    throw err;
  }
}

export function sqlOn(pool: pg.Pool, url: string): Sql {
  /** One connection for `work`; dropped, not handed out again, when even a ROLLBACK failed on it. */
  async function withConnection<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw asDbError(err, url);
    }
    let drop = false;
    try {
      return await work(client);
    } catch (err) {
      drop = err instanceof RollbackFailed;
      throw asDbError(err instanceof RollbackFailed ? err.cause : err, url);
    } finally {
      client.release(drop);
    }
  }
  return {
    async query(text, values) {
      try {
        return await pool.query(text, values);
      } catch (err) {
        throw asDbError(err, url);
      }
    },
    // After a ROLLBACK that went through, the connection is clean whatever `work` threw.
    tx: (work) => withConnection((client) => inTransaction(client, () => work(client))),
  };
}
