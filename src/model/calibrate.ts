// Turns the hybrid's raw score into a calibrated `confidence`: the probability that all five
// labels are right. Fitted by isotonic regression (pool-adjacent-violators) on out-of-fold
// hybrid predictions, where each row's labels came from a combiner that never saw it; the
// fitted steps are joined by straight lines so nearby scores get nearby confidences.

import { TRAINED_FIELDS } from '../labels.js';
import type { FieldProbabilities } from './joint.js';

export interface CalibrationJson {
  /** What the raw score is, so a future change of score is detected instead of misread. */
  readonly score: typeof RAW_SCORE;
  /** Increasing raw scores (block means) and their calibrated values, non-decreasing. */
  readonly x: readonly number[];
  readonly y: readonly number[];
}

export const RAW_SCORE = 'product-of-chosen-probabilities';

/** The raw score: the chosen values' probabilities multiplied over the five fields. */
export function rawScore(probs: FieldProbabilities, indexes: ArrayLike<number>): number {
  let p = 1;
  TRAINED_FIELDS.forEach((f, d) => (p *= probs[f][indexes[d]!] ?? 0));
  return p;
}

/**
 * Isotonic fit of `right` (1 = all five right) on `score`. Blocks of fewer than `minBlock`
 * rows are merged with a neighbour so one lucky row cannot promise certainty.
 */
export function fitIsotonic(score: readonly number[], right: readonly number[], minBlock = 10): CalibrationJson {
  const order = [...score.keys()].sort((a, b) => score[a]! - score[b]!);
  const blocks: { sx: number; sy: number; n: number }[] = [];
  for (const i of order) {
    blocks.push({ sx: score[i]!, sy: right[i]!, n: 1 });
    // Pool while the last block is below the one before it (or too small to stand alone).
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1]!;
      const a = blocks[blocks.length - 2]!;
      if (a.sy / a.n < b.sy / b.n && a.n >= minBlock) break;
      blocks.pop();
      a.sx += b.sx;
      a.sy += b.sy;
      a.n += b.n;
    }
  }
  while (blocks.length > 1 && blocks[blocks.length - 1]!.n < minBlock) {
    const b = blocks.pop()!;
    const a = blocks[blocks.length - 1]!;
    a.sx += b.sx;
    a.sy += b.sy;
    a.n += b.n;
  }
  const round = (v: number): number => Math.round(v * 1e6) / 1e6;
  return { score: RAW_SCORE, x: blocks.map((b) => round(b.sx / b.n)), y: blocks.map((b) => round(b.sy / b.n)) };
}

/** The calibrated confidence of a raw score: linear between fitted points, flat beyond. */
export function calibrate(c: CalibrationJson, score: number): number {
  const { x, y } = c;
  if (x.length === 0) return score;
  if (score <= x[0]!) return y[0]!;
  if (score >= x[x.length - 1]!) return y[y.length - 1]!;
  let lo = 0;
  let hi = x.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid]! <= score) lo = mid;
    else hi = mid;
  }
  const t = x[hi]! === x[lo]! ? 0 : (score - x[lo]!) / (x[hi]! - x[lo]!);
  return y[lo]! + t * (y[hi]! - y[lo]!);
}

export function calibrationOf(value: unknown): CalibrationJson | undefined {
  const c = value as Partial<CalibrationJson> | undefined;
  if (typeof c !== 'object' || c === null || c.score !== RAW_SCORE || !Array.isArray(c.x) || !Array.isArray(c.y) || c.x.length !== c.y.length) return undefined;
  if (![...c.x, ...c.y].every((v) => typeof v === 'number' && Number.isFinite(v))) return undefined;
  return c as CalibrationJson;
}
