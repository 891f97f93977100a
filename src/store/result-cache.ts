import { toScoredLabels, type AnswerLabels, type ScoredLabels } from '../labels.js';

// The result cache seam: one interface, two backends (sqlite/result-cache.ts, one file per
// machine; pg/result-cache.ts, shared by every process on the database). Async and batched:
// the engine asks once per chunk, never once per row per tier.

export interface CacheEntry {
  readonly key: string;
  readonly tier: string;
  readonly version: string;
  /** A tier's answer as stored: fields not every answer carries may be absent. */
  readonly labels: AnswerLabels & { readonly confidence: number; readonly provider?: string };
}

/** A stored answer and when it was stored (ms since the epoch): its age is `now - storedAt`. */
export type CachedAnswer = ScoredLabels & { readonly provider?: string; readonly storedAt: number };

export interface CacheStats {
  /** Where the entries live: the SQLite file's path, or the database (user@host:port/db, no password). */
  readonly path: string;
  readonly entries: number;
  readonly byTier: Readonly<Record<string, number>>;
  /** SQLite: the file's size. PostgreSQL: the rows' own size (the server reuses freed pages itself). */
  readonly bytes: number;
  /** Write times (ms since the epoch) of the oldest and newest entries; undefined when empty. */
  readonly oldest?: number | undefined;
  readonly newest?: number | undefined;
}

export interface PruneOptions {
  /** Removes entries written before this time (ms since the epoch). */
  readonly olderThan?: number | undefined;
  /** Then removes the oldest until the cache is at most this size (see CacheStats.bytes). */
  readonly maxBytes?: number | undefined;
}

export interface CacheCheck {
  readonly ok: boolean;
  readonly detail: string;
  /** How many entries the check counted, when it got that far. */
  readonly entries?: number;
}

export interface ResultCache {
  /** As in CacheStats.path. */
  readonly path: string;
  /** The stored answers among `keys` (one round trip); rows that no longer validate are misses. */
  getMany(keys: readonly string[]): Promise<Map<string, CachedAnswer>>;
  /** One transaction for the whole batch: per-row commits would dominate the run time. */
  putMany(entries: readonly CacheEntry[]): Promise<void>;
  stats(): Promise<CacheStats>;
  /** Removes every entry (or one tier's); returns how many. */
  clear(tier?: string): Promise<number>;
  /** Age first, then size; compacts where the backend can. */
  prune(options: PruneOptions): Promise<{ removed: number; bytes: number; entries: number }>;
  /** A real read (and with `write`, the write lock taken and released without writing), for health checks; never throws. */
  check(options?: { write?: boolean }): Promise<CacheCheck>;
  /**
   * A consistent copy at `dest` while others keep using the cache (SQLite's online backup).
   * PostgreSQL refuses with how to back it up instead (pg_dump): the database is not a file.
   */
  backupTo(dest: string): Promise<void>;
  close(): Promise<void>;
}

/** A stored row as an answer, or undefined when it no longer validates (schema drift, manual edit). */
export function toCachedAnswer(stored: unknown, storedAt: number): CachedAnswer | undefined {
  let parsed = stored;
  if (typeof stored === 'string') {
    try {
      parsed = JSON.parse(stored);
    } catch {
      return undefined;
    }
  }
  const labels = toScoredLabels(parsed);
  if (!labels) return undefined;
  const provider = (parsed as { provider?: unknown }).provider;
  return typeof provider === 'string' ? { ...labels, provider, storedAt } : { ...labels, storedAt };
}
