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
    const f1s: number[] = [];
    for (const v of values) {
      const tp = confusion[v]![v]!;
      const goldCount = values.reduce((a, p) => a + confusion[v]![p]!, 0);
      const predCount = values.reduce((a, g) => a + confusion[g]![v]!, 0);
      if (goldCount === 0 && predCount === 0) continue;
      const precision = predCount === 0 ? 0 : tp / predCount;
      const recall = goldCount === 0 ? 0 : tp / goldCount;
      f1s.push(precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall));
    }
    return {
      field,
      n: gold.length,
      accuracy: gold.length === 0 ? 0 : correct / gold.length,
      macroF1: f1s.length === 0 ? 0 : f1s.reduce((a, b) => a + b, 0) / f1s.length,
      confusion,
      values,
    };
  });
}

/** The human-readable report: a summary table, then one confusion matrix per field. */
export function formatReport(reports: readonly FieldReport[], provider: string): string {
  const lines = [`provider: ${provider}   rows: ${reports[0]?.n ?? 0}`, '', 'field       accuracy  macro-F1'];
  for (const r of reports) lines.push(`${r.field.padEnd(12)}${r.accuracy.toFixed(3).padStart(8)}  ${r.macroF1.toFixed(3).padStart(8)}`);
  for (const r of reports) {
    const width = Math.max(8, ...r.values.map((v) => v.length + 1));
    lines.push('', `${r.field}: rows = gold, columns = predicted`);
    lines.push(''.padEnd(width) + r.values.map((v) => v.padStart(width)).join(''));
    for (const g of r.values) lines.push(g.padEnd(width) + r.values.map((p) => String(r.confusion[g]![p]).padStart(width)).join(''));
  }
  return lines.join('\n');
}
