import { openResultCache } from '../cache/store.js';
import { loadConfig } from '../config.js';
import { processIO, type CommandIO } from './command-io.js';

export interface CacheOptions {
  cache?: string;
  tier?: string;
  json?: boolean;
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
