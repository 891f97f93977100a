// From probabilities to a tier answer, for the plain model and for the model + rules hybrid.
// Pure: the tiers only batch, run the model and call these.

import { FIELD_VALUES, TRAINED_FIELDS, applyConsistency, type TrainedField, type TrainedLabels } from '../labels.js';
import type { CleanTweet, TierAnswer } from '../tiers/tier.js';
import { combineProbabilities, combinedConfidence, confidenceOf, labelsFromIndexes, type LoadedCombiner } from './combiner.js';
import { decodeJointly, type FieldProbabilities } from './joint.js';
import type { RuleView } from './rule-view.js';

/** Row `i` of a batch's per-field probability arrays. */
export function rowOf(batch: Readonly<Record<TrainedField, Float64Array>>, i: number): FieldProbabilities {
  const row = {} as Record<TrainedField, Float64Array>;
  for (const f of TRAINED_FIELDS) {
    const c = FIELD_VALUES[f].length;
    row[f] = batch[f].subarray(i * c, (i + 1) * c);
  }
  return row;
}

/**
 * The model's answer: the best allowed combination when the model set lists its label
 * constraints, else each field's argmax; confidence = the least sure field's probability.
 */
export function modelAnswer(probs: FieldProbabilities, combinations: readonly Int8Array[] | undefined): TierAnswer {
  const indexes = combinations
    ? decodeJointly(probs, combinations)
    : Int8Array.from(TRAINED_FIELDS, (f) => {
        const p = Array.from(probs[f]);
        return p.indexOf(Math.max(...p));
      });
  return { ...applyConsistency(labelsFromIndexes(indexes)), confidence: confidenceOf(probs, indexes) };
}

/**
 * The hybrid's answer: the model's and the rules' probabilities combined, the labels chosen
 * jointly. Its rows say `hybrid` in the provider column (the tier's name): which part
 * "won" is not a provider, and naming one made hybrid rows look like the plain tiers'.
 */
export function hybridAnswer(
  combiner: LoadedCombiner,
  combinations: readonly Int8Array[],
  model: FieldProbabilities,
  view: RuleView,
  tweet: CleanTweet,
): TierAnswer {
  const probs = combineProbabilities(combiner, model, view, tweet);
  const indexes = decodeJointly(probs, combinations);
  const labels = applyConsistency(labelsFromIndexes(indexes));
  // Fields the model does not learn are the rules' alone.
  return { ...view.labels, ...labels, confidence: combinedConfidence(combiner, probs, indexes) };
}
