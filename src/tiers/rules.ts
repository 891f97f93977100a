import { classifyByRules } from '../rules/classify-by-rules.js';
import { RULES_HASH } from '../rules/version.js';
import type { Tier, TierAnswer, TierItem } from './tier.js';

/**
 * The French keyword rules: offline, synchronous, a few microseconds a tweet, and an answer
 * for every item, so it ends every chain. Cheaper than a cache lookup, hence not cached.
 */
export function createRulesTier(): Tier {
  const version = `rules-${RULES_HASH}`;
  return {
    name: 'rules',
    version,
    cacheable: false,
    remote: false,
    immediate: true,
    maxBatch: 10_000,
    // The signal is not consulted: a full batch takes milliseconds and never waits on I/O.
    async classify(batch: readonly TierItem[]): Promise<Map<string, TierAnswer>> {
      const answers = new Map<string, TierAnswer>();
      for (const item of batch) answers.set(item.id, classifyByRules(item.tweet));
      return answers;
    },
    async check() {
      return { ok: true, detail: `rules: ${version}, offline` };
    },
  };
}
