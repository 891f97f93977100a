import { openResultCache } from '../cache/store.js';
import { loadConfig } from '../config.js';
import { FmcError } from '../errors.js';
import { processIO, type CommandIO } from './command-io.js';
import { parseDuration, parseSize } from './units.js';

export interface CacheOptions {
  cache?: string;
  tier?: string;
  json?: boolean;
  /** `fmc cache prune`: e.g. `30d`. */
  olderThan?: string;
  /** `fmc cache prune`: e.g. `500MB`. */
  maxSize?: string;
}

export async function cacheStats(options: CacheOptions, io: CommandIO = processIO()): Promise<number> {
  const cache = openResultCache(options.cache ?? loadConfig(io.env).cachePath);
  try {
    const stats = cache.stats();
    if (options.json) io.stdout.write(JSON.stringify(stats, null, 2) + '\n');
    else {
      io.stdout.write(`${stats.path}: ${stats.entries} entries, ${(stats.bytes / 1024).toFixed(0)} KiB\n`);
      for (const [tier, n] of Object.entries(stats.byTier)) io.stdout.write(`  ${tier}: ${n}\n`);
    }
    return 0;
  } finally {
    cache.close();
  }
}

export async function cacheClear(options: CacheOptions, io: CommandIO = processIO()): Promise<number> {
  const cache = openResultCache(options.cache ?? loadConfig(io.env).cachePath);
  try {
    const removed = cache.clear(options.tier);
    io.stdout.write(`removed ${removed} entries${options.tier ? ` of tier ${options.tier}` : ''} from ${cache.path}\n`);
    return 0;
  } finally {
    cache.close();
  }
}

/** `fmc cache prune --older-than 30d | --max-size 500MB`: old answers go first; the file is compacted. */
export async function cachePrune(options: CacheOptions, io: CommandIO = processIO(), now: number = Date.now()): Promise<number> {
  if (options.olderThan === undefined && options.maxSize === undefined) {
    throw new FmcError('FMC_ERR_USAGE', 'fmc cache prune needs --older-than <age> (e.g. 30d) or --max-size <size> (e.g. 500MB), or both');
  }
  // Parsed before the cache is opened: a typo changes nothing.
  const olderThan = options.olderThan === undefined ? undefined : now - parseDuration('--older-than', options.olderThan);
  const maxBytes = options.maxSize === undefined ? undefined : parseSize('--max-size', options.maxSize);
  const cache = openResultCache(options.cache ?? loadConfig(io.env).cachePath);
  try {
    const before = cache.stats();
    const after = cache.prune({ olderThan, maxBytes });
    io.stdout.write(`removed ${after.removed} of ${before.entries} entries from ${cache.path}: ${after.entries} left, ${(before.bytes / 1024).toFixed(0)} KiB -> ${(after.bytes / 1024).toFixed(0)} KiB\n`);
    return 0;
  } finally {
    cache.close();
  }
}
