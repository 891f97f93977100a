import { cleanTweet } from '../../src/clean/clean-tweet.js';
import { createClassifier, type Classifier } from '../../src/pipeline/tier-cascade.js';
import { createInvoker, type InvokeOptions } from '../../src/pipeline/retry.js';
import { createRulesTier } from '../../src/tiers/rules.js';
import type { Tier, TierItem } from '../../src/tiers/tier.js';
import type { ResultCache } from '../../src/store/sqlite/result-cache.js';

// Shared by the LLM tier tests: a chain of one LLM tier and the real rules, with retry
// settings small enough that a test waits tenths of a second, not the production seconds.

export const TEXTS = ['plus de connexion depuis 3 jours', 'merci pour la nouvelle box', 'panne fibre à lyon', 'comment joindre le service client ?'];

export const items = (texts: readonly string[] = TEXTS): TierItem[] => texts.map((text, i) => ({ id: `t${i}`, tweet: cleanTweet(text) }));

export function chain(tier: Tier, options: Partial<InvokeOptions> & { batchSize?: number; concurrency?: number; cache?: ResultCache; escalateBelow?: number } = {}): Classifier {
  return createClassifier({
    tiers: [tier, createRulesTier()],
    batchSize: options.batchSize ?? 20,
    concurrency: options.concurrency ?? 1,
    cache: options.cache,
    escalateBelow: options.escalateBelow,
    invoke: createInvoker({ timeoutMs: 2000, backoffMs: 20, maxBackoffMs: 100, maxWaitMs: 5000, ...options }),
  });
}
