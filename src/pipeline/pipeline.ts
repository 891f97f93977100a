import { openResultCache, type ResultCache } from '../cache/store.js';
import { isOperatorAccount, parseOperatorAccounts } from '../clean/author.js';
import { cleanTweet, type CleanOptions } from '../clean/clean-tweet.js';
import type { TierConfig } from '../config.js';
import type { LabelResult } from '../labels.js';
import { silentLogger, type Logger } from '../log.js';
import { buildChain, type TierProbe } from '../tiers/registry.js';
import type { Tier, TierItem } from '../tiers/tier.js';
import { createClassifier, type Classifier } from './classify.js';
import { createInvoker } from './retry.js';

export interface PipelineOptions {
  readonly provider: string;
  readonly tiers: TierConfig;
  /** SQLite cache path; undefined = no cache. */
  readonly cachePath?: string | undefined;
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
 * clean -> classify (cache, tier chain) as one object: `fmc classify`, `fmc eval` and
 * `fmc serve` all go through it, so every entry point labels a text the same way.
 */
export interface Pipeline {
  readonly classifier: Classifier;
  readonly tiers: readonly Tier[];
  readonly probes: readonly TierProbe[];
  readonly cache: ResultCache | undefined;
  toItem(item: TextItem): TierItem;
  classifyTexts(items: readonly TextItem[], signal?: AbortSignal): Promise<LabelResult[]>;
  close(): Promise<void>;
}

/** How a pipeline with these options cleans: the reading thread cleans with the same. */
export function cleanOptionsOf(options: Pick<PipelineOptions, 'keepHashtags'>): CleanOptions {
  return { keepHashtags: options.keepHashtags ?? true };
}

export async function createPipeline(options: PipelineOptions): Promise<Pipeline> {
  const logger = options.logger ?? silentLogger;
  const { tiers, probes } = await buildChain(options.provider, options.tiers, logger);
  let cache: ResultCache | undefined;
  try {
    cache = options.cachePath === undefined ? undefined : openResultCache(options.cachePath);
  } catch (err) {
    await Promise.all(tiers.map((t) => t.close?.()));
    throw err;
  }
  const classifier = createClassifier({
    tiers,
    cache,
    concurrency: options.concurrency,
    batchSize: options.batchSize,
    invoke: createInvoker({ timeoutMs: options.tiers.timeoutMs, maxWaitMs: options.tiers.maxWaitMs, rpm: options.tiers.rpm, logger }),
    escalateBelow: options.escalateBelow,
    logger,
  });
  const cleanOptions = cleanOptionsOf(options);
  const accounts = options.operatorAccounts ?? parseOperatorAccounts(undefined);
  const toItem = (item: TextItem): TierItem => {
    const tweet = cleanTweet(item.text, cleanOptions);
    return { id: item.id, tweet: isOperatorAccount(item.author, accounts) ? { ...tweet, fromOperator: true } : tweet };
  };
  return {
    classifier,
    tiers,
    probes,
    cache,
    toItem,
    classifyTexts: (items, signal) => classifier.classify(items.map(toItem), signal),
    async close() {
      await classifier.close();
      cache?.close();
    },
  };
}
