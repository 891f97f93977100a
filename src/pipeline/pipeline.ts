import type { PgDatabase } from '../store/pg/database.js';
import type { ResultCache } from '../store/result-cache.js';
import { openResultCache } from '../store/sqlite/result-cache.js';
import { isOperatorAccount, parseOperatorAccounts } from '../clean/author.js';
import { cleanTweet, type CleanOptions } from '../clean/clean-tweet.js';
import type { TierConfig } from '../config.js';
import type { LabelResult } from '../labels.js';
import { silentLogger, type Logger } from '../log.js';
import { buildChain, type TierProbe } from '../tiers/registry.js';
import type { CleanTweet, Tier, TierItem } from '../tiers/tier.js';
import { countResults } from './chunk.js';
import { createClassifier, type Classifier, type Lane } from './tier-cascade.js';
import { addCounts, type Counts } from './counts.js';
import { createInvoker } from './retry.js';

export interface PipelineOptions {
  readonly provider: string;
  readonly tiers: TierConfig;
  /** SQLite cache path; undefined = no cache. */
  readonly cachePath?: string | undefined;
  /** PostgreSQL (store/database-url.ts): the cache lives there instead of at cachePath. */
  readonly databaseUrl?: string | undefined;
  readonly concurrency?: number;
  readonly batchSize?: number;
  readonly escalateBelow?: number | undefined;
  readonly keepHashtags?: boolean;
  /** Authors whose tweets are the operator's (clean/author.ts); default the built-in list. */
  readonly operatorAccounts?: ReadonlySet<string>;
  readonly logger?: Logger;
}

export interface TextItem {
  readonly id: string;
  readonly text: string;
  /** The author column's value, when the input has one. */
  readonly author?: string | undefined;
}

/**
 * The classification engine, one per process: clean -> repeats -> cache -> tier chain, with
 * the one invoker (pacing, retries), the circuits, the cache and the counters. Every entry
 * point goes through it: `fmc classify` (in its engine thread, chunk by chunk: chunk.ts),
 * `--dry-run`, `fmc eval`, and in `fmc serve` the CSV route, the JSON API and the relay's
 * chat classifier (the `chat` lane), so `--rpm` and an open circuit hold for all of them.
 */
export interface Pipeline {
  readonly classifier: Classifier;
  readonly tiers: readonly Tier[];
  readonly probes: readonly TierProbe[];
  readonly cache: ResultCache | undefined;
  /** Everything counted since the engine started (rows, labels, cache, tier calls, circuits). */
  readonly counts: Counts;
  /** The one cleaning step: a raw text (and its author) as the tiers see it. */
  clean(text: string, author?: string): CleanTweet;
  /** The operator's accounts `clean` knows (FMC_OPERATOR_ACCOUNTS or the built-in list): a CSV's author column is read against them. */
  readonly operatorAccounts: ReadonlySet<string>;
  toItem(item: TextItem): TierItem;
  /** One result per text, in order; a text repeated in `items` is classified once. Counted. */
  classifyTexts(items: readonly TextItem[], signal?: AbortSignal, lane?: Lane): Promise<LabelResult[]>;
  close(): Promise<void>;
}

/**
 * How an engine with these options cleans a text: the engine's `clean`, and the same on
 * `fmc classify`'s reading thread, which cleans a share of the chunks itself (worker-client.ts).
 */
export function createCleaner(options: Pick<PipelineOptions, 'keepHashtags' | 'operatorAccounts'>): (text: string, author?: string) => CleanTweet {
  const cleanOptions: CleanOptions = { keepHashtags: options.keepHashtags ?? true };
  const accounts = options.operatorAccounts ?? parseOperatorAccounts(undefined);
  return (text, author) => {
    const tweet = cleanTweet(text, cleanOptions);
    return isOperatorAccount(author, accounts) ? { ...tweet, fromOperator: true } : tweet;
  };
}

async function importPg() {
  const [{ openPgDatabase }, { openPgResultCache }, { sharedPaces }] = await Promise.all([
    import('../store/pg/database.js'),
    import('../store/pg/result-cache.js'),
    import('../store/pg/shared-pace.js'),
  ]);
  return { openPgDatabase, openPgResultCache, sharedPaces };
}

export async function createPipeline(options: PipelineOptions): Promise<Pipeline> {
  const logger = options.logger ?? silentLogger;
  const { tiers, probes } = await buildChain(options.provider, options.tiers, logger);
  let cache: ResultCache | undefined;
  let database: PgDatabase | undefined;
  // The PostgreSQL modules are imported only in that mode: node-postgres and the migrations
  // cost ~16 MB in each thread that loads them (an SQLite run has two).
  const pg = options.databaseUrl === undefined ? undefined : await importPg();
  try {
    if (pg) database = await pg.openPgDatabase(options.databaseUrl!, { max: Math.max(2, (options.concurrency ?? 4) + 1) });
    if (options.cachePath !== undefined) cache = database ? pg!.openPgResultCache(database.pool, database.url) : openResultCache(options.cachePath);
  } catch (err) {
    await Promise.all(tiers.map((t) => t.close?.()));
    await database?.close();
    throw err;
  }
  const classifier = createClassifier({
    tiers,
    cache,
    concurrency: options.concurrency,
    batchSize: options.batchSize,
    invoke: createInvoker({
      timeoutMs: options.tiers.timeoutMs,
      maxWaitMs: options.tiers.maxWaitMs,
      rpm: options.tiers.rpm,
      // On PostgreSQL, --rpm and a spent quota hold for every process on the database.
      ...(database ? { paceFor: pg!.sharedPaces(database.pool, logger) } : {}),
      logger,
    }),
    escalateBelow: options.escalateBelow,
    logger,
  });
  const pipeline = assemblePipeline({ classifier, probes, clean: createCleaner(options), operatorAccounts: options.operatorAccounts });
  if (!database) return pipeline;
  const db = database;
  return {
    ...pipeline,
    async close() {
      await pipeline.close();
      await db.close();
    },
  };
}

/** The engine over a classifier built elsewhere (tests build one over fake tiers). */
export function assemblePipeline(parts: {
  classifier: Classifier;
  probes?: readonly TierProbe[];
  clean?: (text: string, author?: string) => CleanTweet;
  operatorAccounts?: ReadonlySet<string> | undefined;
}): Pipeline {
  const { classifier } = parts;
  const { tiers, cache } = classifier;
  const counts = classifier.stats();
  const operatorAccounts = parts.operatorAccounts ?? parseOperatorAccounts(undefined);
  const clean = parts.clean ?? createCleaner({ operatorAccounts });
  const toItem = (item: TextItem): TierItem => ({ id: item.id, tweet: clean(item.text, item.author) });
  return {
    classifier,
    tiers,
    probes: parts.probes ?? tiers.map((t) => ({ name: t.name, check: { ok: true, detail: `${t.name}: given` } })),
    cache,
    counts,
    clean,
    operatorAccounts,
    toItem,
    async classifyTexts(items, signal, lane) {
      const { results, duplicates } = await classifyUnique(classifier, items.map(toItem), signal, lane);
      addCounts(counts, countResults(results, duplicates));
      return results;
    },
    async close() {
      await classifier.close();
      await cache?.close();
    },
  };
}

/** Classifies each distinct cleaned text once; repeats get the same result object. */
export async function classifyUnique(
  classifier: Classifier,
  items: readonly TierItem[],
  signal?: AbortSignal,
  lane?: Lane,
): Promise<{ results: LabelResult[]; duplicates: number }> {
  const first = new Map<string, number>();
  const unique: TierItem[] = [];
  const slot = items.map((item) => {
    let at = first.get(item.tweet.text);
    if (at === undefined) {
      first.set(item.tweet.text, (at = unique.length));
      unique.push(item);
    }
    return at;
  });
  const results = await classifier.classify(unique, signal, lane);
  return { results: slot.map((at) => results[at]!), duplicates: items.length - unique.length };
}
