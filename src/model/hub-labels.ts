// With `allowRemote` and a hub model id, a published sentiment classifier can stand in for
// the sentiment folder. Hub models name their classes their own way; this table says how
// each name maps onto the taxonomy's sentiment values:
//
//   negative / neg / label_0 (cardiffnlp order) / 1 star / 2 stars   -> negative
//   neutral / neu / label_1 / 3 stars                                 -> neutral
//   positive / pos / label_2 / 4 stars / 5 stars                      -> positive
//
// e.g. Xenova/distilbert-base-multilingual-cased-sentiments-student (positive, neutral,
// negative) and nlptown's bert-base-multilingual-uncased-sentiment (1..5 stars). A model
// with only positive/negative gives neutral no mass. Anything else is rejected by name.

import { SENTIMENTS, type Sentiment } from '../labels.js';

const HUB_SENTIMENT: Readonly<Record<string, Sentiment>> = {
  negative: 'negative',
  neg: 'negative',
  label_0: 'negative',
  '1 star': 'negative',
  '2 stars': 'negative',
  neutral: 'neutral',
  neu: 'neutral',
  label_1: 'neutral',
  '3 stars': 'neutral',
  positive: 'positive',
  pos: 'positive',
  label_2: 'positive',
  '4 stars': 'positive',
  '5 stars': 'positive',
};

/** The taxonomy sentiment for a hub label, or undefined when the name is unknown. */
export function hubSentiment(label: string): Sentiment | undefined {
  return HUB_SENTIMENT[label.trim().toLowerCase()];
}

/** Labels of a hub model that the table cannot map (empty when all map). */
export function unmappedHubLabels(labels: readonly string[]): string[] {
  return labels.filter((l) => hubSentiment(l) === undefined);
}

/**
 * Hub scores -> probabilities over SENTIMENTS (negative, neutral, positive), summing the
 * scores of labels that map to the same value and renormalizing.
 */
export function sentimentFromHubScores(scores: readonly { readonly label: string; readonly score: number }[]): Float64Array {
  const out = new Float64Array(SENTIMENTS.length);
  for (const { label, score } of scores) {
    const value = hubSentiment(label);
    if (value !== undefined) out[SENTIMENTS.indexOf(value)]! += score;
  }
  const total = out.reduce((a, b) => a + b, 0);
  if (total > 0) for (let i = 0; i < out.length; i++) out[i]! /= total;
  else out.fill(1 / out.length);
  return out;
}
