// `fmc eval`'s report for people: one small function per table, so each part can be read,
// tested and rearranged on its own. Tables are cli-table3's; no colour, so files and pipes
// get the same text as a terminal.

import Table from 'cli-table3';
import { TRAINED_FIELDS } from '../labels.js';
import type { CoverageRow, ThresholdChoice } from './calibration.js';
import type { FieldReport } from './metrics.js';

const fixed = (x: number): string => x.toFixed(3);

function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const t = new Table({ head: [...head], style: { head: [], border: [] } });
  for (const row of rows) t.push(row.map(String));
  return t.toString();
}

/** Accuracy and macro-F1 per field. */
export function summaryTable(reports: readonly FieldReport[]): string {
  return table(['field', 'accuracy', 'macro-F1'], reports.map((r) => [r.field, fixed(r.accuracy), fixed(r.macroF1)]));
}

/** Precision, recall, F1 and support of each value of one field. */
export function perClassTable(report: FieldReport): string {
  return table([report.field, 'precision', 'recall', 'F1', 'support'], report.perClass.map((c) => [c.value, fixed(c.precision), fixed(c.recall), fixed(c.f1), c.support]));
}

/** Rows = gold, columns = predicted. */
export function confusionTable(report: FieldReport): string {
  const rows = report.values.map((g) => [g, ...report.values.map((p) => report.confusion[g]![p]!)]);
  return `${report.field}: rows = gold, columns = predicted\n` + table(['', ...report.values], rows);
}

/** Share of rows at or above each threshold and their accuracy, all five fields and per field. */
export function coverageTableText(rows: readonly CoverageRow[]): string {
  return table(
    ['confidence ≥', 'coverage', 'rows', 'all five', ...TRAINED_FIELDS],
    rows.map((r) => [r.threshold.toFixed(2), `${(r.coverage * 100).toFixed(1)}%`, r.rows, fixed(r.accuracy), ...TRAINED_FIELDS.map((f) => fixed(r.fields[f]))]),
  );
}

/** The ECE and the threshold to pass to --escalate-below for the target accuracy. */
export function calibrationLines(ece: number, target: number, choice: ThresholdChoice | undefined): string {
  const lines = [`expected calibration error (confidence as P(all five right)): ${fixed(ece)}`];
  if (choice) {
    lines.push(
      `confidence ≥ ${fixed(choice.threshold)} keeps ${(choice.coverage * 100).toFixed(1)}% of rows at ${fixed(choice.accuracy)} all-five accuracy (target ${target}): ` +
        `pass --escalate-below ${fixed(choice.threshold)} to send the rest to an LLM tier`,
    );
  } else {
    lines.push(`no confidence threshold reaches ${target} all-five accuracy on this file`);
  }
  return lines.join('\n');
}

export interface EvalReportText {
  readonly header: string;
  readonly reports: readonly FieldReport[];
  readonly coverage: readonly CoverageRow[];
  readonly ece: number;
  readonly target: number;
  readonly choice: ThresholdChoice | undefined;
}

/** The whole report: summary, per-class scores and confusion per field, then calibration. */
export function formatEvalReport(r: EvalReportText): string {
  const parts = [r.header, summaryTable(r.reports)];
  for (const field of r.reports) parts.push(perClassTable(field), confusionTable(field));
  parts.push(coverageTableText(r.coverage), calibrationLines(r.ece, r.target, r.choice));
  return parts.join('\n\n');
}
