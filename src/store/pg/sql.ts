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

export function sqlOn(pool: pg.Pool, url: string): Sql {
  return {
    async query(text, values) {
      try {
        return await pool.query(text, values);
      } catch (err) {
        throw asDbError(err, url);
      }
    },
    async tx(work) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw asDbError(err, url);
      }
      // A connection whose ROLLBACK failed is broken: it is dropped, not handed out again.
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw asDbError(err, url);
      } finally {
        client.release(broken);
      }
    },
  };
}
