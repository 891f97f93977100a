import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { FmcError } from '../../errors.js';
import { toScoredLabels, type AnswerLabels, type ScoredLabels } from '../../labels.js';
import { migrate } from './cache-migrations.js';

export interface CacheEntry {
  readonly key: string;
  readonly tier: string;
  readonly version: string;
  /** A tier's answer as stored: fields not every answer carries may be absent. */
  readonly labels: AnswerLabels & { readonly confidence: number; readonly provider?: string };
}

export interface CacheStats {
  readonly path: string;
  readonly entries: number;
  readonly byTier: Readonly<Record<string, number>>;
  readonly bytes: number;
}

/** The SQLite result cache. JSON rows, never pickles: a cache file is data, not code. */
export interface ResultCache {
  readonly path: string;
  get(key: string): (ScoredLabels & { provider?: string }) | undefined;
  /** One transaction for the whole batch: per-row commits would dominate the run time. */
  putMany(entries: readonly CacheEntry[]): void;
  stats(): CacheStats;
  /** Removes every entry (or one tier's); returns how many. */
  clear(tier?: string): number;
  /**
   * Removes entries written before `olderThan` (ms since the epoch), then the oldest until the
   * file is at most `maxBytes`; compacts the file. Returns how many went and the size after.
   */
  prune(options: { olderThan?: number; maxBytes?: number }): { removed: number; bytes: number; entries: number };
  close(): void;
}

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
  const select = db.prepare('SELECT labels FROM results WHERE key = ?').pluck();
  const insert = db.prepare(
    'INSERT OR REPLACE INTO results (key, tier, version, labels, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const insertAll = db.transaction((entries: readonly CacheEntry[]) => {
    const now = Date.now();
    for (const e of entries) insert.run(e.key, e.tier, e.version, JSON.stringify(e.labels), now);
  });

  return {
    path,
    get(key) {
      const raw = select.get(key) as string | undefined;
      if (raw === undefined) return undefined;
      // A row that no longer validates (schema drift, manual edit) is a miss, not a crash.
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return undefined;
      }
      const labels = toScoredLabels(parsed);
      if (!labels) return undefined;
      const provider = (parsed as { provider?: unknown }).provider;
      return typeof provider === 'string' ? { ...labels, provider } : labels;
    },
    putMany(entries) {
      if (entries.length > 0) insertAll(entries);
    },
    stats() {
      const rows = db.prepare('SELECT tier, count(*) AS n FROM results GROUP BY tier').all() as { tier: string; n: number }[];
      const byTier = Object.fromEntries(rows.map((r) => [r.tier, r.n]));
      const pageCount = db.pragma('page_count', { simple: true }) as number;
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      return { path, entries: rows.reduce((a, r) => a + r.n, 0), byTier, bytes: pageCount * pageSize };
    },
    clear(tier) {
      const info = tier === undefined ? db.prepare('DELETE FROM results').run() : db.prepare('DELETE FROM results WHERE tier = ?').run(tier);
      db.exec('VACUUM');
      return info.changes;
    },
    prune({ olderThan, maxBytes }) {
      const size = (): number => (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
      const count = (): number => db.prepare('SELECT count(*) FROM results').pluck().get() as number;
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
    close() {
      db.close();
    },
  };
}
