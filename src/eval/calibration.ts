// How far a row's `confidence` can be trusted, measured against gold labels: the share of
// rows at or above each threshold and their accuracy (coverage table), the expected
// calibration error, and the lowest threshold whose kept rows reach a target accuracy (the
// value for `--escalate-below`). Pure: confidences and per-field outcomes in, figures out.

import { TRAINED_FIELDS, type TrainedField } from '../labels.js';

export interface ScoredOutcome {
  readonly confidence: number;
  /** Whether each field's prediction equals the gold label. */
  readonly correct: Readonly<Record<TrainedField, boolean>>;
}

export interface CoverageRow {
  readonly threshold: number;
  /** Share of rows with confidence >= threshold. */
  readonly coverage: number;
  readonly rows: number;
  /** Share of those rows with all five fields right (0 when no row is kept). */
  readonly accuracy: number;
  readonly fields: Readonly<Record<TrainedField, number>>;
}

export const COVERAGE_THRESHOLDS: readonly number[] = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];

const allRight = (o: ScoredOutcome): boolean => TRAINED_FIELDS.every((f) => o.correct[f]);

/** Accuracy (all five, and per field) of the rows with confidence >= threshold. */
export function coverageAt(outcomes: readonly ScoredOutcome[], threshold: number): CoverageRow {
  const kept = outcomes.filter((o) => o.confidence >= threshold);
  const share = (hits: number): number => (kept.length === 0 ? 0 : hits / kept.length);
  const fields = Object.fromEntries(TRAINED_FIELDS.map((f) => [f, share(kept.filter((o) => o.correct[f]).length)])) as Record<TrainedField, number>;
  return {
    threshold,
    coverage: outcomes.length === 0 ? 0 : kept.length / outcomes.length,
    rows: kept.length,
    accuracy: share(kept.filter(allRight).length),
    fields,
  };
}

export function coverageTable(outcomes: readonly ScoredOutcome[], thresholds: readonly number[] = COVERAGE_THRESHOLDS): CoverageRow[] {
  return thresholds.map((t) => coverageAt(outcomes, t));
}

/**
 * Expected calibration error of `confidence` as the probability that all five fields are
 * right: over `bins` equal-width confidence bins, the row-weighted mean of
 * |accuracy - mean confidence|.
 */
export function expectedCalibrationError(outcomes: readonly ScoredOutcome[], bins = 10): number {
  if (outcomes.length === 0) return 0;
  const count = new Float64Array(bins);
  const confidence = new Float64Array(bins);
  const right = new Float64Array(bins);
  for (const o of outcomes) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(o.confidence * bins)));
    count[b]!++;
    confidence[b]! += o.confidence;
    if (allRight(o)) right[b]!++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]! > 0) ece += Math.abs(right[b]! - confidence[b]!) / outcomes.length;
  return ece;
}

export interface ThresholdChoice {
  readonly threshold: number;
  readonly coverage: number;
  readonly accuracy: number;
}

/**
 * The lowest threshold (among the confidences seen) whose kept rows are at least `target`
 * accurate on all five fields: the most rows kept locally at that accuracy. Undefined when
 * no threshold reaches it.
 */
export function thresholdForAccuracy(outcomes: readonly ScoredOutcome[], target: number): ThresholdChoice | undefined {
  const sorted = [...outcomes].sort((a, b) => b.confidence - a.confidence);
  let hits = 0;
  let best: ThresholdChoice | undefined;
  for (let i = 0; i < sorted.length; i++) {
    if (allRight(sorted[i]!)) hits++;
    // Only cut between distinct confidences: a threshold keeps every row tied with it.
    if (i + 1 < sorted.length && sorted[i + 1]!.confidence === sorted[i]!.confidence) continue;
    const kept = i + 1;
    if (hits / kept >= target) best = { threshold: sorted[i]!.confidence, coverage: kept / sorted.length, accuracy: hits / kept };
  }
  return best;
}
