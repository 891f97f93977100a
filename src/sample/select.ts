// Which rows of a classified file are most worth a human look (pure: no I/O). A strategy
// ranks the rows; a coverage pass then makes sure every predicted class shows up, rarest
// first, so a review of 200 rows is not 200 fibre outages.

import { seededRandom } from '../model/random.js';
import { TRAINED_FIELDS, type TrainedField } from '../labels.js';

export const STRATEGIES = ['uncertain', 'disagreement', 'random'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface Candidate {
  /** Text as the tiers see it: rows with the same key are one text, sampled once. */
  readonly key: string;
  readonly predicted: Readonly<Record<TrainedField, string>>;
  readonly confidence: number;
  /** Fields where another opinion (the rules) differs from `predicted`: the disagreement strategy. */
  readonly disagreeing?: readonly TrainedField[];
}

export interface SelectOptions {
  readonly n: number;
  readonly strategy: Strategy;
  readonly seed?: number;
  /**
   * Share of the sample the coverage pass may use to bring in rare predicted classes
   * (each field's each predicted value), before the strategy's ranking fills the rest.
   */
  readonly coverageShare?: number;
}

/** Indexes into `candidates` of the chosen rows, best first: at most `n`, one per key. */
export function selectSample(candidates: readonly Candidate[], options: SelectOptions): number[] {
  const { n, strategy } = options;
  const coverageShare = options.coverageShare ?? 0.25;
  // One per distinct text: the first row of each key.
  const seen = new Set<string>();
  const distinct: number[] = [];
  candidates.forEach((c, i) => {
    if (seen.has(c.key)) return;
    seen.add(c.key);
    distinct.push(i);
  });
  const ranked = rank(candidates, distinct, strategy, options.seed ?? 1);
  const position = new Map(ranked.map((i, p) => [i, p]));

  // Coverage: the (field, value) pairs predicted in the file, rarest first.
  const counts = new Map<string, number>();
  for (const i of distinct) for (const f of TRAINED_FIELDS) counts.set(`${f}=${candidates[i]!.predicted[f]}`, (counts.get(`${f}=${candidates[i]!.predicted[f]}`) ?? 0) + 1);
  const pairs = [...counts].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).map(([p]) => p);
  const budget = Math.floor(n * coverageShare);
  const perPair = Math.max(1, Math.floor(budget / Math.max(1, pairs.length)));
  const chosen = new Set<number>();
  const have = new Map<string, number>();
  const take = (i: number): void => {
    chosen.add(i);
    for (const f of TRAINED_FIELDS) have.set(`${f}=${candidates[i]!.predicted[f]}`, (have.get(`${f}=${candidates[i]!.predicted[f]}`) ?? 0) + 1);
  };
  for (let round = 0; round < perPair; round++) {
    for (const pair of pairs) {
      if (chosen.size >= budget) break;
      if ((have.get(pair) ?? 0) > round) continue;
      const [field, value] = pair.split('=') as [TrainedField, string];
      const next = ranked.find((i) => !chosen.has(i) && candidates[i]!.predicted[field] === value);
      if (next !== undefined) take(next);
    }
  }
  for (const i of ranked) {
    if (chosen.size >= n) break;
    if (!chosen.has(i)) take(i);
  }
  return [...chosen].sort((a, b) => position.get(a)! - position.get(b)!);
}

function rank(candidates: readonly Candidate[], rows: readonly number[], strategy: Strategy, seed: number): number[] {
  const list = [...rows];
  switch (strategy) {
    case 'uncertain':
      return list.sort((a, b) => candidates[a]!.confidence - candidates[b]!.confidence || a - b);
    case 'disagreement':
      return list.sort((a, b) => (candidates[b]!.disagreeing?.length ?? 0) - (candidates[a]!.disagreeing?.length ?? 0) || candidates[a]!.confidence - candidates[b]!.confidence || a - b);
    case 'random': {
      const random = seededRandom(seed);
      for (let i = list.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [list[i], list[j]] = [list[j]!, list[i]!];
      }
      return list;
    }
  }
}

/** A short reason shown to the reviewer beside each sampled row. */
export function reasonFor(candidate: Candidate, strategy: Strategy): string {
  if (strategy === 'uncertain') return `confidence ${candidate.confidence.toFixed(2)}`;
  if (strategy === 'disagreement') return candidate.disagreeing && candidate.disagreeing.length > 0 ? `rules disagree on ${candidate.disagreeing.join(', ')}` : 'rules agree';
  return 'random';
}
