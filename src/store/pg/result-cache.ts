import type pg from 'pg';
import { FmcError } from '../../errors.js';
import { describeDatabase } from '../database-url.js';
import { toCachedAnswer, type CacheEntry, type CachedAnswer, type ResultCache } from '../result-cache.js';
import { sqlOn } from './sql.js';

// The result cache on PostgreSQL (table `results`, migration 1): one cache for every batch
// machine, so a text one machine paid for is never paid again by another.

/** Rows' own size, not the table's files: PostgreSQL reuses freed pages itself (VACUUM), it does not shrink them. */
const ROW_BYTES = 'coalesce(sum(pg_column_size(r.*)), 0)::float8';

export function openPgResultCache(pool: pg.Pool, url: string): ResultCache {
  const path = `postgres ${describeDatabase(url)}`;
  const q = sqlOn(pool, url).query;
  const entryCount = async (): Promise<number> => Number((await q<{ n: string }>('SELECT count(*) AS n FROM results')).rows[0]!.n);
  const rowBytes = async (): Promise<number> => Number((await q<{ b: number }>(`SELECT ${ROW_BYTES} AS b FROM results r`)).rows[0]!.b);

  return {
    path,
    async getMany(keys) {
      const found = new Map<string, CachedAnswer>();
      if (keys.length === 0) return found;
      const rows = await q<{ key: string; labels: unknown; created_at: string }>('SELECT key, labels, created_at FROM results WHERE key = ANY($1::text[])', [keys]);
      for (const row of rows.rows) {
        const answer = toCachedAnswer(row.labels, Number(row.created_at));
        if (answer) found.set(row.key, answer);
      }
      return found;
    },
    async putMany(entries) {
      if (entries.length === 0) return;
      // ON CONFLICT may not touch one row twice in a statement: the last entry per key wins, as in SQLite.
      const byKey = new Map<string, CacheEntry>();
      for (const e of entries) byKey.set(e.key, e);
      const list = [...byKey.values()];
      await q(
        `INSERT INTO results (key, tier, version, labels, created_at)
         SELECT k, t, v, l, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[]) AS u (k, t, v, l)
         ON CONFLICT (key) DO UPDATE SET tier = excluded.tier, version = excluded.version, labels = excluded.labels, created_at = excluded.created_at`,
        [list.map((e) => e.key), list.map((e) => e.tier), list.map((e) => e.version), list.map((e) => JSON.stringify(e.labels)), Date.now()],
      );
    },
    async stats() {
      const rows = (await q<{ tier: string; n: string }>('SELECT tier, count(*) AS n FROM results GROUP BY tier ORDER BY tier')).rows;
      const age = (await q<{ oldest: string | null; newest: string | null; b: number }>(`SELECT min(created_at) AS oldest, max(created_at) AS newest, ${ROW_BYTES} AS b FROM results r`)).rows[0]!;
      return {
        path,
        entries: rows.reduce((a, r) => a + Number(r.n), 0),
        byTier: Object.fromEntries(rows.map((r) => [r.tier, Number(r.n)])),
        bytes: age.b,
        oldest: age.oldest === null ? undefined : Number(age.oldest),
        newest: age.newest === null ? undefined : Number(age.newest),
      };
    },
    async clear(tier) {
      const r = tier === undefined ? await q('DELETE FROM results') : await q('DELETE FROM results WHERE tier = $1', [tier]);
      return r.rowCount ?? 0;
    },
    async prune({ olderThan, maxBytes }) {
      let removed = 0;
      if (olderThan !== undefined) removed += (await q('DELETE FROM results WHERE created_at < $1', [olderThan])).rowCount ?? 0;
      if (maxBytes !== undefined) {
        // Oldest first, until the rows that stay fit: one statement, a running sum from the newest.
        const r = await q(
          `DELETE FROM results WHERE key IN (
             SELECT key FROM (
               SELECT key, sum(pg_column_size(r.*)) OVER (ORDER BY created_at DESC, key DESC) AS kept FROM results r
             ) s WHERE kept > $1)`,
          [maxBytes],
        );
        removed += r.rowCount ?? 0;
      }
      // Plain VACUUM: the freed pages go back to the table for the next writes, without locking it.
      if (removed > 0) await q('VACUUM results');
      return { removed, bytes: await rowBytes(), entries: await entryCount() };
    },
    async check(options = {}) {
      try {
        const entries = await entryCount();
        if (!options.write) return { ok: true, detail: 'readable', entries };
        const r = (await q<{ standby: boolean; may: boolean }>("SELECT pg_is_in_recovery() AS standby, has_table_privilege('results', 'INSERT, UPDATE, DELETE') AS may")).rows[0]!;
        if (r.standby) return { ok: false, detail: 'not writable: the server is a read-only standby', entries };
        if (!r.may) return { ok: false, detail: 'not writable: this user may not write the results table (GRANT INSERT, UPDATE, DELETE)', entries };
        return { ok: true, detail: `writable (${entries} entries)`, entries };
      } catch (err) {
        return { ok: false, detail: `not ${options.write ? 'writable' : 'readable'}: ${(err as Error).message}` };
      }
    },
    async backupTo() {
      throw new FmcError('FMC_ERR_USAGE', `the result cache is in PostgreSQL (${path}): back the database up with pg_dump (README, "Running on PostgreSQL"), not fmc backup`);
    },
    // The pool belongs to whoever opened the database (it also serves users and budgets).
    async close() {},
  };
}
