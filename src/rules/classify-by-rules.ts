import type { ScoredLabels } from '../labels.js';
import type { CleanTweet } from '../tiers/tier.js';
import { decide } from './decide-from-cues.js';
import { matchCues } from './match.js';

/**
 * The rules' labels for one cleaned tweet. Pure and synchronous, so other tiers (the
 * offline model hybrid) can reuse rule decisions; `confidence` is low when the rules fell
 * back to defaults and high when strong cues fired.
 */
export function classifyByRules(tweet: CleanTweet): ScoredLabels {
  return decide(tweet, matchCues(tweet.folded)).labels;
}
