// The offline "auto" combination: per field, a small softmax regression over the model's
// probabilities for all five fields, the rules' labels, decision path and cue counts. It is
// fitted on out-of-fold model probabilities (the model never saw those rows), so it learns
// when the rules see what the model cannot (durations for urgency, canned replies, bot
// reports) and when the model knows better. Pure: weights in, labels out.

import { FIELD_VALUES, parseFieldValue, TRAINED_FIELDS, type TrainedField, type TrainedLabels } from '../labels.js';
import type { CleanTweet } from '../tiers/tier.js';
import { calibrate, calibrationOf, rawScore, type CalibrationJson } from './calibrate.js';
import type { SparseRows } from './features.js';
import { decodeJointly, type FieldProbabilities } from './joint.js';
import type { RuleView } from './rule-view.js';
import { fitSoftmax, predictLogits, softmaxRows } from './softmax-regression.js';

export interface CombinerJson {
  readonly rulesVersion: string;
  /** Names of the rule signals the weights were fitted with, in input order. */
  readonly signals: readonly string[];
  /** Rule decision paths seen in training, in input order. */
  readonly rulePaths: readonly string[];
  /** Per field: weights [inputs][classes] row-major, then the bias. */
  readonly fields: Readonly<Record<TrainedField, { readonly weights: readonly number[]; readonly bias: readonly number[] }>>;
  /** Raw score -> P(all five right), fitted on out-of-fold predictions (calibrate.ts). */
  readonly calibration?: CalibrationJson;
}

const FIXED = TRAINED_FIELDS.reduce((n, f) => n + 2 * FIELD_VALUES[f].length, 0) + 3;
const inputCount = (c: Pick<CombinerJson, 'signals' | 'rulePaths'>): number => FIXED + c.rulePaths.length + c.signals.length;

/** Where the current RuleView's signals go in a combiner's inputs (-1: unknown to it). */
export interface InputLayout {
  readonly size: number;
  readonly pathIndex: ReadonlyMap<string, number>;
  readonly signalIndex: Int32Array;
}

export function inputLayout(combiner: Pick<CombinerJson, 'signals' | 'rulePaths'>, currentSignals: readonly string[]): InputLayout {
  const base = FIXED + combiner.rulePaths.length;
  const stored = new Map(combiner.signals.map((name, i) => [name, base + i]));
  return {
    size: inputCount(combiner),
    pathIndex: new Map(combiner.rulePaths.map((p, i) => [p, FIXED + i])),
    signalIndex: Int32Array.from(currentSignals, (name) => stored.get(name) ?? -1),
  };
}

/** One input row: log-probabilities, rule labels one-hot, rule confidence, flags, path, cues. */
export function combinerInput(layout: InputLayout, model: FieldProbabilities, view: RuleView, tweet: CleanTweet): Float64Array {
  const row = new Float64Array(layout.size);
  let at = 0;
  for (const field of TRAINED_FIELDS) {
    const p = model[field];
    for (let c = 0; c < FIELD_VALUES[field].length; c++) row[at++] = Math.log(Math.max(p[c] ?? 0, 1e-4));
  }
  const ruleStrings: Record<TrainedField, string> = { ...view.labels, is_claim: view.labels.is_claim ? 'true' : 'false' };
  for (const field of TRAINED_FIELDS) {
    const values = FIELD_VALUES[field];
    const v = values.indexOf(ruleStrings[field]);
    if (v >= 0) row[at + v] = 1;
    at += values.length;
  }
  row[at++] = view.labels.confidence;
  row[at++] = tweet.isCanned ? 1 : 0;
  row[at++] = tweet.isRetweet ? 1 : 0;
  const path = layout.pathIndex.get(view.rule);
  if (path !== undefined) row[path] = 1;
  view.signals.forEach((value, i) => {
    const to = layout.signalIndex[i];
    if (to !== undefined && to >= 0) row[to] = value;
  });
  return row;
}

/** Rows as sparse: most rule signals are zero for any one tweet. */
function sparseRows(rows: readonly Float64Array[]): SparseRows {
  const indptr = new Int32Array(rows.length + 1);
  const indices: number[] = [];
  const values: number[] = [];
  rows.forEach((row, r) => {
    row.forEach((v, i) => {
      if (v !== 0) {
        indices.push(i);
        values.push(v);
      }
    });
    indptr[r + 1] = indices.length;
  });
  return { rows: rows.length, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
}

export interface CombinerTraining {
  /** Out-of-fold model probabilities per row. */
  readonly model: readonly FieldProbabilities[];
  readonly views: readonly RuleView[];
  readonly tweets: readonly CleanTweet[];
  readonly gold: readonly Readonly<Record<TrainedField, string>>[];
  readonly signals: readonly string[];
  readonly rulesVersion: string;
  readonly l2: number;
}

/** Builds the input layout from the training views and fits one regression per field. */
export function fitCombiner(t: CombinerTraining): CombinerJson {
  const rulePaths = [...new Set(t.views.map((v) => v.rule))].sort();
  const shape = { signals: t.signals, rulePaths };
  const layout = inputLayout(shape, t.signals);
  const x = sparseRows(t.model.map((m, i) => combinerInput(layout, m, t.views[i]!, t.tweets[i]!)));
  const fields = {} as Record<TrainedField, { weights: number[]; bias: number[] }>;
  for (const field of TRAINED_FIELDS) {
    const values = FIELD_VALUES[field];
    const y = Int32Array.from(t.gold, (g) => values.indexOf(g[field]));
    const fit = fitSoftmax(x, y, values.length, layout.size, { l2: t.l2, maxIterations: 150 });
    // Rounded so fmc-model.json stays readable; 1e-6 is far below what moves a decision.
    const round = (v: number): number => Math.round(v * 1e6) / 1e6;
    fields[field] = { weights: Array.from(fit.weights, round), bias: Array.from(fit.bias, round) };
  }
  return { rulesVersion: t.rulesVersion, signals: t.signals, rulePaths, fields };
}

/** A combiner ready to run: weights as typed arrays, layout resolved against current rules. */
export interface LoadedCombiner {
  readonly json: CombinerJson;
  readonly calibration: CalibrationJson | undefined;
  readonly layout: InputLayout;
  readonly weights: Readonly<Record<TrainedField, { readonly weights: Float32Array; readonly bias: Float32Array }>>;
}

export function loadCombiner(json: CombinerJson, currentSignals: readonly string[]): LoadedCombiner {
  const layout = inputLayout(json, currentSignals);
  const weights = {} as Record<TrainedField, { weights: Float32Array; bias: Float32Array }>;
  for (const field of TRAINED_FIELDS) {
    const f = json.fields[field];
    if (!f || f.weights.length !== layout.size * FIELD_VALUES[field].length || f.bias.length !== FIELD_VALUES[field].length) {
      throw new Error(`combiner weights for ${field} do not match its inputs`);
    }
    weights[field] = { weights: Float32Array.from(f.weights), bias: Float32Array.from(f.bias) };
  }
  return { json, layout, weights, calibration: calibrationOf(json.calibration) };
}

/** The combiner's probabilities per field for one tweet. */
export function combineProbabilities(c: LoadedCombiner, model: FieldProbabilities, view: RuleView, tweet: CleanTweet): Record<TrainedField, Float64Array> {
  const x = sparseRows([combinerInput(c.layout, model, view, tweet)]);
  const out = {} as Record<TrainedField, Float64Array>;
  for (const field of TRAINED_FIELDS) {
    const classes = FIELD_VALUES[field].length;
    const w = c.weights[field];
    out[field] = softmaxRows(predictLogits({ classes, columns: c.layout.size, weights: w.weights, bias: w.bias }, x), classes);
  }
  return out;
}

/** Labels from value indexes (TRAINED_FIELDS order). */
export function labelsFromIndexes(indexes: ArrayLike<number>): TrainedLabels {
  const labels: Record<string, unknown> = {};
  TRAINED_FIELDS.forEach((f, d) => (labels[f] = parseFieldValue(f, FIELD_VALUES[f][indexes[d]!]!)));
  return labels as TrainedLabels;
}

/** The least sure field's probability for the chosen values: how far to trust the set. */
export function confidenceOf(probs: FieldProbabilities, indexes: ArrayLike<number>): number {
  let min = 1;
  TRAINED_FIELDS.forEach((f, d) => (min = Math.min(min, probs[f][indexes[d]!] ?? 0)));
  return Math.max(0, Math.min(1, min));
}

/** The combiner's confidence: calibrated when it carries a calibration, else the least sure field. */
export function combinedConfidence(c: Pick<LoadedCombiner, 'calibration'>, probs: FieldProbabilities, indexes: ArrayLike<number>): number {
  return c.calibration ? calibrate(c.calibration, rawScore(probs, indexes)) : confidenceOf(probs, indexes);
}

/** Joint decode of the combined probabilities; see joint.ts. */
export function decideCombined(probs: FieldProbabilities, combinations: readonly Int8Array[]): { labels: TrainedLabels; confidence: number; indexes: Int8Array } {
  const indexes = decodeJointly(probs, combinations);
  return { labels: labelsFromIndexes(indexes), confidence: confidenceOf(probs, indexes), indexes };
}
