import { FIELD_VALUES, TRAINED_FIELDS, type TrainedField } from '../labels.js';

export interface FieldReport {
  readonly field: TrainedField;
  readonly n: number;
  readonly accuracy: number;
  /** Mean F1 over the field's values that occur in gold or predictions. */
  readonly macroF1: number;
  /** confusion[gold][predicted] = count, over the taxonomy's values. */
  readonly confusion: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly values: readonly string[];
  /** Precision, recall, F1 and gold support of each value, in taxonomy order. */
  readonly perClass: readonly ClassScore[];
}

export interface ClassScore {
  readonly value: string;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Rows whose gold label is this value. */
  readonly support: number;
  /** Rows predicted with this value. */
  readonly predicted: number;
}

export type LabelRow = Readonly<Record<TrainedField, string>>;

/** Pure: gold and predicted label strings, row-aligned -> per-field accuracy, macro-F1, confusion. */
export function evaluate(gold: readonly LabelRow[], predicted: readonly LabelRow[]): FieldReport[] {
  if (gold.length !== predicted.length) throw new Error(`evaluate: ${gold.length} gold rows vs ${predicted.length} predictions`);
  return TRAINED_FIELDS.map((field) => {
    const values = FIELD_VALUES[field];
    const confusion: Record<string, Record<string, number>> = Object.fromEntries(values.map((g) => [g, Object.fromEntries(values.map((p) => [p, 0]))]));
    let correct = 0;
    for (let i = 0; i < gold.length; i++) {
      const g = gold[i]![field];
      const p = predicted[i]![field];
      confusion[g]![p] = (confusion[g]![p] ?? 0) + 1;
      if (g === p) correct++;
    }
    const perClass = values.map((v) => classScore(confusion, values, v));
    // Values absent from both gold and predictions say nothing about the classifier.
    const f1s = perClass.filter((c) => c.support > 0 || c.predicted > 0).map((c) => c.f1);
    return {
      field,
      n: gold.length,
      accuracy: gold.length === 0 ? 0 : correct / gold.length,
      macroF1: f1s.length === 0 ? 0 : f1s.reduce((a, b) => a + b, 0) / f1s.length,
      confusion,
      values,
      perClass,
    };
  });
}

function classScore(confusion: Readonly<Record<string, Readonly<Record<string, number>>>>, values: readonly string[], v: string): ClassScore {
  const tp = confusion[v]![v]!;
  const support = values.reduce((a, p) => a + confusion[v]![p]!, 0);
  const predicted = values.reduce((a, g) => a + confusion[g]![v]!, 0);
  const precision = predicted === 0 ? 0 : tp / predicted;
  const recall = support === 0 ? 0 : tp / support;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { value: v, precision, recall, f1, support, predicted };
}
