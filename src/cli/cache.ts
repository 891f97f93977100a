import { openResultCache } from '../cache/store.js';
import { loadConfig } from '../config.js';
import { processIO, type CommandIO } from './classify.js';
import { count, num, plainTable } from './format.js';

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
      io.stdout.write(`${stats.path}: ${count(stats.entries, 'entry', 'entries')}, ${num(Math.round(stats.bytes / 1024))} KiB\n`);
      if (Object.keys(stats.byTier).length > 0) io.stdout.write(plainTable(Object.entries(stats.byTier).map(([tier, n]) => [tier, num(n)]), { indent: 2 }) + '\n');
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
    io.stdout.write(`removed ${count(removed, 'entry', 'entries')}${options.tier ? ` of tier ${options.tier}` : ''} from ${cache.path}\n`);
    return 0;
  } finally {
    cache.close();
  }
}
