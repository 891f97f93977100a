// What the hybrid combiner reads from the rules: their labels and confidence, the name of
// the decision path (canned reply, outage bot, promotion, ...) and every cue count. This is
// the only file that reaches into src/rules; one lexicon scan serves both the decision and
// the signals. Signals are named, so a combiner trained with an older lexicon still lines
// up by name (new cues weigh nothing until the model is retrained).

import type { ScoredLabels } from '../labels.js';
import { decide } from '../rules/decide-from-cues.js';
import { CUE, matchCues } from '../rules/match.js';
import { RULES_HASH } from '../rules/version.js';
import type { CleanTweet } from '../tiers/tier.js';

export interface RuleView {
  readonly labels: ScoredLabels;
  /** The decision path, e.g. "canned", "third-party-outage". */
  readonly rule: string;
  /** log(1 + count) per cue, then question mark, exclamation and operator-author flags; see RULE_SIGNALS. */
  readonly signals: Float64Array;
}

export type ViewRules = (tweet: CleanTweet) => RuleView;

/** Names of `RuleView.signals`, in order. */
export const RULE_SIGNALS: readonly string[] = [
  ...Object.entries(CUE)
    .sort((a, b) => a[1] - b[1])
    .map(([name]) => `cue:${name}`),
  'questionMark',
  'exclamation',
  'author:operator',
];

export const RULES_VERSION: string = `rules@${RULES_HASH}`;

// log1p of a Uint8 count, tabulated: this runs once per tweet on the hybrid's hot path.
const LOG1P = Float64Array.from({ length: 256 }, (_, i) => Math.log1p(i));

export function viewByRules(tweet: CleanTweet): RuleView {
  const cues = matchCues(tweet.folded);
  const decision = decide(tweet, cues);
  const signals = new Float64Array(RULE_SIGNALS.length);
  const counts = cues.counts;
  for (let i = 0; i < counts.length && i < signals.length - 3; i++) signals[i] = LOG1P[counts[i]!]!;
  signals[signals.length - 3] = cues.questionMark ? 1 : 0;
  signals[signals.length - 2] = cues.exclamation ? 1 : 0;
  signals[signals.length - 1] = tweet.fromOperator ? 1 : 0;
  return { labels: decision.labels, rule: decision.rule, signals };
}
