import { loadConfig } from '../config.js';
import { FmcError } from '../errors.js';
import { openCacheAt } from '../store/open-cache.js';
import type { ResultCache } from '../store/result-cache.js';
import { databaseUrlFrom } from './chain-options.js';
import { processIO, type CommandIO } from './command-io.js';
import { count, num, plainTable } from './format.js';
import { parseDuration, parseSize } from './units.js';

export interface CacheOptions {
  cache?: string;
  /** PostgreSQL instead of the SQLite file (also FMC_DATABASE_URL). */
  databaseUrl?: string;
  tier?: string;
  json?: boolean;
  /** `fmc cache prune`: e.g. `30d`. */
  olderThan?: string;
  /** `fmc cache prune`: e.g. `500MB`. */
  maxSize?: string;
}

/** The cache these options name: `--database-url`/FMC_DATABASE_URL, else `--cache`/FMC_CACHE. */
function openNamedCache(options: CacheOptions, io: CommandIO): Promise<ResultCache> {
  const config = loadConfig(io.env);
  return openCacheAt({ path: options.cache ?? config.cachePath, databaseUrl: databaseUrlFrom(config, options) });
}

export async function cacheStats(options: CacheOptions, io: CommandIO = processIO()): Promise<number> {
  const cache = await openNamedCache(options, io);
  try {
    const stats = await cache.stats();
    if (options.json) io.stdout.write(JSON.stringify(stats, null, 2) + '\n');
    else {
      io.stdout.write(`${stats.path}: ${count(stats.entries, 'entry', 'entries')}, ${num(Math.round(stats.bytes / 1024))} KiB\n`);
      if (Object.keys(stats.byTier).length > 0) io.stdout.write(plainTable(Object.entries(stats.byTier).map(([tier, n]) => [tier, num(n)]), { indent: 2 }) + '\n');
    }
    return 0;
  } finally {
    await cache.close();
  }
}

export async function cacheClear(options: CacheOptions, io: CommandIO = processIO()): Promise<number> {
  const cache = await openNamedCache(options, io);
  try {
    const removed = await cache.clear(options.tier);
    io.stdout.write(`removed ${count(removed, 'entry', 'entries')}${options.tier ? ` of tier ${options.tier}` : ''} from ${cache.path}\n`);
    return 0;
  } finally {
    await cache.close();
  }
}

/** `fmc cache prune --older-than 30d | --max-size 500MB`: old answers go first; the file is compacted. */
export async function cachePrune(options: CacheOptions, io: CommandIO = processIO(), now: number = Date.now()): Promise<number> {
  if (options.olderThan === undefined && options.maxSize === undefined) {
    throw new FmcError('FMC_ERR_USAGE', 'cache prune needs --older-than <age> (e.g. 30d) or --max-size <size> (e.g. 500MB), or both');
  }
  // Parsed before the cache is opened: a typo changes nothing.
  const olderThan = options.olderThan === undefined ? undefined : now - parseDuration('--older-than', options.olderThan);
  const maxBytes = options.maxSize === undefined ? undefined : parseSize('--max-size', options.maxSize);
  const cache = await openNamedCache(options, io);
  try {
    const before = await cache.stats();
    const after = await cache.prune({ olderThan, maxBytes });
    io.stdout.write(`removed ${num(after.removed)} of ${count(before.entries, 'entry', 'entries')} from ${cache.path}: ${num(after.entries)} left, ${num(Math.round(before.bytes / 1024))} KiB -> ${num(Math.round(after.bytes / 1024))} KiB\n`);
    return 0;
  } finally {
    await cache.close();
  }
}
