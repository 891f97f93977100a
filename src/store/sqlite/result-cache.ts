import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { FmcError } from '../../errors.js';
import { toCachedAnswer, type CacheEntry, type CachedAnswer, type ResultCache } from '../result-cache.js';
import { migrate } from './cache-migrations.js';

export type { CacheEntry, CacheStats, ResultCache } from '../result-cache.js';

/** The SQLite result cache. JSON rows, never pickles: a cache file is data, not code. */
export function openResultCache(path: string): ResultCache {
  let db: BetterSqlite3.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new BetterSqlite3(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (err) {
    throw new FmcError('FMC_ERR_CACHE', `cache ${path}: ${(err as Error).message} (set --cache <path> or FMC_CACHE, or pass --no-cache)`, { cause: err });
  }
  // One statement for a whole chunk's keys: json_each turns the JSON array into rows.
  const selectMany = db.prepare('SELECT key, labels, created_at FROM results WHERE key IN (SELECT value FROM json_each(?))');
  const insert = db.prepare(
    'INSERT OR REPLACE INTO results (key, tier, version, labels, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const insertAll = db.transaction((entries: readonly CacheEntry[]) => {
    const now = Date.now();
    for (const e of entries) insert.run(e.key, e.tier, e.version, JSON.stringify(e.labels), now);
  });
  const size = (): number => (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
  const count = (): number => db.prepare('SELECT count(*) FROM results').pluck().get() as number;

  return {
    path,
    async getMany(keys) {
      const found = new Map<string, CachedAnswer>();
      if (keys.length === 0) return found;
      for (const row of selectMany.all(JSON.stringify(keys)) as { key: string; labels: string; created_at: number }[]) {
        const answer = toCachedAnswer(row.labels, row.created_at);
        if (answer) found.set(row.key, answer);
      }
      return found;
    },
    async putMany(entries) {
      if (entries.length > 0) insertAll(entries);
    },
    async stats() {
      const rows = db.prepare('SELECT tier, count(*) AS n FROM results GROUP BY tier').all() as { tier: string; n: number }[];
      const byTier = Object.fromEntries(rows.map((r) => [r.tier, r.n]));
      const age = db.prepare('SELECT min(created_at) AS oldest, max(created_at) AS newest FROM results').get() as { oldest: number | null; newest: number | null };
      return { path, entries: rows.reduce((a, r) => a + r.n, 0), byTier, bytes: size(), oldest: age.oldest ?? undefined, newest: age.newest ?? undefined };
    },
    async clear(tier) {
      const info = tier === undefined ? db.prepare('DELETE FROM results').run() : db.prepare('DELETE FROM results WHERE tier = ?').run(tier);
      db.exec('VACUUM');
      return info.changes;
    },
    async prune({ olderThan, maxBytes }) {
      let removed = 0;
      if (olderThan !== undefined) removed += db.prepare('DELETE FROM results WHERE created_at < ?').run(olderThan).changes;
      db.exec('VACUUM');
      const deleteOldest = db.prepare('DELETE FROM results WHERE key IN (SELECT key FROM results ORDER BY created_at, key LIMIT ?)');
      // Pages are not rows: remove the share of rows the size is over by, compact, and look
      // again (a few rounds at most, since the average row size barely moves between them).
      for (let round = 0; maxBytes !== undefined && round < 8; round++) {
        const bytes = size();
        const entries = count();
        if (bytes <= maxBytes || entries === 0) break;
        // Keep 97% of the share that fits: pages are not filled evenly, so aim a little under.
        const keep = Math.floor(entries * (maxBytes / bytes) * 0.97);
        removed += deleteOldest.run(Math.max(1, entries - keep)).changes;
        db.exec('VACUUM');
      }
      return { removed, bytes: size(), entries: count() };
    },
    async check(options = {}) {
      try {
        const entries = count();
        if (!options.write) return { ok: true, detail: 'readable', entries };
        // root ignores file modes, so these only catch the non-root case; BEGIN IMMEDIATE
        // catches read-only mounts and a lock held by someone else, and writes nothing.
        if (path !== ':memory:') {
          accessSync(path, constants.W_OK);
          accessSync(dirname(path), constants.W_OK);
        }
        db.pragma('busy_timeout = 100');
        try {
          db.exec('BEGIN IMMEDIATE');
          db.exec('ROLLBACK');
        } finally {
          db.pragma('busy_timeout = 5000');
        }
        return { ok: true, detail: `writable (${entries} entries)`, entries };
      } catch (err) {
        return { ok: false, detail: `not ${options.write ? 'writable' : 'readable'}: ${(err as Error).message}` };
      }
    },
    async backupTo(dest) {
      await db.backup(dest);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
