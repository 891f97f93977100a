import { openPgDatabase } from './pg/database.js';
import { openPgResultCache } from './pg/result-cache.js';
import type { ResultCache } from './result-cache.js';
import { openResultCache } from './sqlite/result-cache.js';

/** Where the result cache lives: PostgreSQL when a database URL is given (store/database-url.ts), else the SQLite file. */
export interface CacheTarget {
  readonly path: string;
  readonly databaseUrl?: string | undefined;
}

/** The cache alone (`fmc cache`, health, backup): closing it closes the connection it opened. */
export async function openCacheAt(target: CacheTarget): Promise<ResultCache> {
  if (target.databaseUrl === undefined) return openResultCache(target.path);
  const db = await openPgDatabase(target.databaseUrl, { max: 2 });
  const cache = openPgResultCache(db.pool, db.url);
  return { ...cache, close: () => db.close() };
}
