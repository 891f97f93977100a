import type { Tier } from '../tiers/tier.js';

/**
 * The version (model id + prompt/lexicon/model hash) behind labels from `provider`: the tier
 * of that name, else (a composite tier's part, such as a part of the hybrid) every
 * tier of the chain, which together pin what produced them.
 */
export function versionLookup(tiers: readonly Tier[]): (provider: string) => string | null {
  const chain = tiers.map((t) => `${t.name}@${t.version}`).join(' ') || null;
  const byName = new Map(tiers.map((t) => [t.name, `${t.name}@${t.version}`]));
  return (provider) => byName.get(provider) ?? chain;
}
