import pLimit from 'p-limit';
import { cacheKey } from '../store/cache-key.js';
import type { CacheEntry, ResultCache } from '../store/result-cache.js';
import { toLabelResult, type LabelResult } from '../labels.js';
import { silentLogger, type Logger } from '../log.js';
import { TierUnavailableError, type CleanTweet, type Tier, type TierItem } from '../tiers/tier.js';
import { bump as count, emptyCounts, type Counts } from './counts.js';
import { createInvoker, type InvokePolicy, type TierInvoker } from './retry.js';

// The same text from an operator's account gets other labels: its own cache entry.
const cachedText = (tweet: CleanTweet): string => (tweet.fromOperator ? `\u0000operator\u0000${tweet.text}` : tweet.text);

/**
 * Callers that differ. `batch` (files, the JSON API, eval): cached, the full retry policy.
 * `chat` (the relay): never cached (a cache entry would keep, in the clear, that a sentence
 * was said after its conversation is gone), its own small pool so it never queues behind a
 * file, and never retried for long: a message waits seconds at most, then the next tier answers.
 * Both share the engine's pacing (`--rpm`), circuits and counters.
 */
export type Lane = 'batch' | 'chat';

const CHAT_POLICY: InvokePolicy = { maxAttempts: 2, patienceMs: 2_000 };
const CHAT_CONCURRENCY = 2;

export interface ClassifierOptions {
  /** The chain, best first; the last tier should answer everything (rules). */
  readonly tiers: readonly Tier[];
  readonly cache?: ResultCache | undefined;
  /** Tier calls in flight at once (p-limit). */
  readonly concurrency?: number;
  /** Items per tier call (capped by each tier's maxBatch). */
  readonly batchSize?: number;
  readonly timeoutMs?: number;
  /** Cascade: local tiers first, only answers below this confidence go to remote tiers. */
  readonly escalateBelow?: number | undefined;
  readonly invoke?: TierInvoker;
  readonly logger?: Logger;
  /** The engine's counters, which this classifier adds its cache and tier figures to. */
  readonly counts?: Counts;
}

/** The engine's counters (the one shape: see counts.ts). */
export type ClassifierStats = Counts;

export interface Classifier {
  readonly tiers: readonly Tier[];
  readonly cache: ResultCache | undefined;
  /** One result per item, in the items' order. Never rejects for a tier failure. */
  classify(items: readonly TierItem[], signal?: AbortSignal, lane?: Lane): Promise<LabelResult[]>;
  /** How many items would reach each tier's first call after the cache (for --dry-run). */
  plan(items: readonly TierItem[]): Promise<{ cached: number; misses: number; requests: Record<string, number> }>;
  stats(): ClassifierStats;
  close(): Promise<void>;
}

export function createClassifier(options: ClassifierOptions): Classifier {
  const { tiers, cache } = options;
  const batchSize = Math.max(1, options.batchSize ?? 20);
  const limits: Record<Lane, ReturnType<typeof pLimit>> = { batch: pLimit(Math.max(1, options.concurrency ?? 4)), chat: pLimit(CHAT_CONCURRENCY) };
  const policies: Record<Lane, InvokePolicy | undefined> = { batch: undefined, chat: CHAT_POLICY };
  const invoke = options.invoke ?? createInvoker({ timeoutMs: options.timeoutMs ?? 30_000 });
  const logger = options.logger ?? silentLogger;
  const stats: Counts = options.counts ?? emptyCounts();
  const cacheable = cache ? tiers.filter((t) => t.cacheable) : [];

  // --batch-size is the LLM request size; local tiers take their own (larger) batches.
  const batchFor = (tier: Tier): number => Math.max(1, tier.remote ? Math.min(batchSize, tier.maxBatch) : tier.maxBatch);

  // The remote tiers ranked above each tier, found once: lookup runs for every row.
  const remoteAbove = new Map(tiers.map((tier, i) => [tier, tiers.slice(0, i).filter((t) => t.remote)]));
  // Whether a remote tier ranked above `tier` can still be asked in this run.
  const liveRemoteAbove = (tier: Tier): boolean => remoteAbove.get(tier)!.some((t) => !(t.name in stats.unavailable));

  // A tier whose circuit opened (daily quota) still has its cached answers: they cost nothing.
  // One getMany per chunk for every tier's key of every item: never a query per row per tier.
  async function lookupMany(items: readonly TierItem[]): Promise<(LabelResult | undefined)[]> {
    // A local answer stands in for a better tier only when that tier cannot be asked: a row
    // the local model labeled offline (or while Gemini was out) goes to Gemini once it is
    // live. In cascade mode a confident local answer is final, an unsure one is not.
    const eligible = cacheable.filter((tier) => tier.remote || options.escalateBelow !== undefined || !liveRemoteAbove(tier));
    if (eligible.length === 0 || items.length === 0) return new Array(items.length);
    const keys = items.map((item) => eligible.map((tier) => cacheKey(tier.name, tier.version, cachedText(item.tweet))));
    let found;
    try {
      found = await cache!.getMany([...new Set(keys.flat())]);
    } catch (err) {
      // A cache that cannot be read (PostgreSQL gone) costs requests, not the run: counted, then misses.
      count(stats.tierErrors, 'cache');
      logger.warn({ err: (err as Error).message, items: items.length }, 'cache read failed; these rows are asked of the tiers');
      return new Array(items.length);
    }
    return keys.map((itemKeys) => {
      for (let t = 0; t < eligible.length; t++) {
        const hit = found.get(itemKeys[t]!);
        if (!hit) continue;
        const tier = eligible[t]!;
        if (options.escalateBelow !== undefined && !tier.remote && hit.confidence < options.escalateBelow) continue;
        // Stored under the tier that produced it, which is what the provider column names.
        const { storedAt: _storedAt, ...labels } = hit;
        return { ...labels, provider: tier.name };
      }
      return undefined;
    });
  }

  /**
   * Runs `items[indexes]` through `tier` in batches; its answers fill `results` (replacing
   * an unsure local answer when escalating) and are flagged in the returned array.
   */
  async function runTier(
    tier: Tier,
    items: readonly TierItem[],
    indexes: readonly number[],
    results: (LabelResult | undefined)[],
    signal: AbortSignal,
    lane: Lane,
  ): Promise<Uint8Array> {
    const limit = limits[lane];
    const store = lane === 'batch' ? cache : undefined;
    const answered = new Uint8Array(items.length);
    const size = batchFor(tier);
    const batches: number[][] = [];
    for (let i = 0; i < indexes.length; i += size) batches.push(indexes.slice(i, i + size));
    await Promise.all(
      batches.map((batch) =>
        limit(async () => {
          if (tier.name in stats.unavailable || signal.aborted) return;
          const batchItems = batch.map((i) => items[i]!);
          count(stats.tierCalls, tier.name);
          let answers;
          try {
            answers = await invoke(tier, batchItems, signal, policies[lane]);
          } catch (err) {
            if (err instanceof TierUnavailableError) {
              if (!(tier.name in stats.unavailable)) {
                stats.unavailable[tier.name] = err.message;
                logger.warn({ tier: tier.name, reason: err.message }, 'tier unavailable for the rest of the run');
              }
            } else {
              count(stats.tierErrors, tier.name);
              logger.warn({ tier: tier.name, err: (err as Error).message, items: batch.length }, 'tier call failed; items go to the next tier');
            }
            return;
          }
          // Answers are matched by id, never by position; unknown ids and invalid labels are dropped.
          const toCache: CacheEntry[] = [];
          for (const i of batch) {
            const answer = answers.get(items[i]!.id);
            const result = answer && toLabelResult(answer, tier.name);
            if (!result) continue;
            results[i] = result;
            answered[i] = 1;
            // Stored under the tier that produced it: a fallback's answer never lands under an LLM's key.
            if (store && tier.cacheable) {
              toCache.push({ key: cacheKey(tier.name, tier.version, cachedText(items[i]!.tweet)), tier: tier.name, version: tier.version, labels: result });
            }
          }
          // Committed per call, not per chunk: after a crash, a rerun finds every answer that
          // was paid for, not only those of finished chunks.
          // A cache that cannot take the write (locked past its timeout, disk full) costs the
          // rerun, not this run: the answers are in hand and go out regardless.
          try {
            if (toCache.length > 0) await store?.putMany(toCache);
          } catch (err) {
            count(stats.tierErrors, 'cache');
            stats.cacheWriteFailures += toCache.length;
            logger.warn({ err: (err as Error).message, entries: toCache.length }, 'cache write failed; answers kept for this run only');
          }
        }),
      ),
    );
    return answered;
  }

  /** Sends the still-unanswered indexes down `chain`; fills `results`. */
  async function runChain(
    chain: readonly Tier[],
    items: readonly TierItem[],
    indexes: readonly number[],
    results: (LabelResult | undefined)[],
    signal: AbortSignal,
    lane: Lane,
  ): Promise<readonly number[]> {
    let pending = indexes;
    for (const tier of chain) {
      if (pending.length === 0) break;
      if (tier.name in stats.unavailable) continue;
      const answered = await runTier(tier, items, pending, results, signal, lane);
      pending = pending.filter((i) => answered[i] === 0);
    }
    return pending;
  }

  return {
    tiers,
    cache,
    async classify(items, signal = new AbortController().signal, lane = 'batch') {
      const results: (LabelResult | undefined)[] = new Array(items.length);
      let missing: number[] = [];
      // No cached tier in the chain (the rules alone): no lookup, and no misses counted.
      if (cacheable.length > 0 && lane === 'batch') {
        const hits = await lookupMany(items);
        for (let i = 0; i < items.length; i++) {
          const hit = hits[i];
          if (hit) results[i] = hit;
          else missing.push(i);
        }
        stats.cacheHits += items.length - missing.length;
        stats.cacheMisses += missing.length;
      } else {
        missing = items.map((_, i) => i);
      }

      const threshold = options.escalateBelow;
      if (threshold === undefined) {
        await runChain(tiers, items, missing, results, signal, lane);
      } else {
        await runChain(tiers.filter((t) => !t.remote), items, missing, results, signal, lane);
        const unsure = results.flatMap((r, i) => (r && r.confidence < threshold && !isRemote(r.provider) ? [i] : []));
        stats.escalated += unsure.length;
        if (unsure.length > 0) await runChain(tiers.filter((t) => t.remote), items, unsure, results, signal, lane);
      }
      return results.map((r, i) => {
        if (!r) throw new Error(`no tier answered item ${items[i]!.id}: the chain must end in a tier that always answers`);
        return r;
      });
    },
    async plan(items) {
      let cached = 0;
      if (cache) for (const hit of await lookupMany(items)) if (hit) cached++;
      const misses = items.length - cached;
      const requests: Record<string, number> = {};
      for (const tier of tiers) requests[tier.name] = Math.ceil(misses / batchFor(tier));
      return { cached, misses, requests };
    },
    stats: () => stats,
    async close() {
      await Promise.all(tiers.map((t) => t.close?.()));
    },
  };

  function isRemote(provider: string): boolean {
    return tiers.some((t) => t.remote && t.name === provider);
  }
}
