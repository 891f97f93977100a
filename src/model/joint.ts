// Choosing the five labels together. The fields are not independent: in the training labels
// a claim is always negative, a non-claim reports at most an outage (a third party's), and
// incident=none goes with urgency=low. Pairs of values that never occur although chance
// alone would give several are forbidden, and the answer is the allowed combination with
// the highest product of per-field probabilities, not five separate argmaxes.

import { FIELD_VALUES, TRAINED_FIELDS, type TrainedField } from '../labels.js';

/** [fieldA, valueA, fieldB, valueB]: these two values never go together. */
export type ForbiddenPair = readonly [TrainedField, string, TrainedField, string];

/** Per field, the probability of each value in FIELD_VALUES order. */
export type FieldProbabilities = Readonly<Record<TrainedField, ArrayLike<number>>>;

/**
 * Pairs with zero co-occurrences where independence predicts at least `minExpected`.
 * The taxonomy's own rule (incident=none implies urgency=low) is always included.
 */
export function deriveForbiddenPairs(rows: readonly Readonly<Record<TrainedField, string>>[], minExpected = 5): ForbiddenPair[] {
  const n = rows.length;
  const out: ForbiddenPair[] = [['incident', 'none', 'urgency', 'medium'], ['incident', 'none', 'urgency', 'high']];
  const has = (p: ForbiddenPair): boolean => out.some((q) => q.join('\0') === p.join('\0'));
  TRAINED_FIELDS.forEach((fa, i) => {
    for (const fb of TRAINED_FIELDS.slice(i + 1)) {
      for (const va of FIELD_VALUES[fa]) {
        for (const vb of FIELD_VALUES[fb]) {
          let na = 0;
          let nb = 0;
          let both = 0;
          for (const row of rows) {
            const a = row[fa] === va;
            const b = row[fb] === vb;
            if (a) na++;
            if (b) nb++;
            if (a && b) both++;
          }
          const pair: ForbiddenPair = [fa, va, fb, vb];
          if (both === 0 && n > 0 && (na * nb) / n >= minExpected && !has(pair)) out.push(pair);
        }
      }
    }
  });
  return out;
}

/** Every combination of value indexes (one per field, TRAINED_FIELDS order) no pair forbids. */
export function allowedCombinations(forbidden: readonly ForbiddenPair[]): Int8Array[] {
  const banned = new Set(forbidden.map(([fa, va, fb, vb]) => `${fa}=${va}|${fb}=${vb}`));
  const out: Int8Array[] = [];
  const current = new Int8Array(TRAINED_FIELDS.length);
  const walk = (depth: number): void => {
    if (depth === TRAINED_FIELDS.length) {
      out.push(current.slice());
      return;
    }
    const field = TRAINED_FIELDS[depth]!;
    FIELD_VALUES[field].forEach((value, v) => {
      for (let d = 0; d < depth; d++) {
        const other = TRAINED_FIELDS[d]!;
        if (banned.has(`${other}=${FIELD_VALUES[other][current[d]!]}|${field}=${value}`)) return;
      }
      current[depth] = v;
      walk(depth + 1);
    });
  };
  walk(0);
  return out;
}

/**
 * The allowed combination with the highest product of probabilities (sum of logs). With no
 * combination allowed (an impossible constraint set) each field takes its own argmax.
 */
export function decodeJointly(probs: FieldProbabilities, combinations: readonly Int8Array[]): Int8Array {
  const logs = TRAINED_FIELDS.map((f) => Array.from(probs[f], (p) => Math.log(Math.max(p, 1e-12))));
  let best: Int8Array | undefined;
  let bestScore = -Infinity;
  for (const combo of combinations) {
    let score = 0;
    for (let d = 0; d < combo.length; d++) score += logs[d]![combo[d]!]!;
    if (score > bestScore) {
      bestScore = score;
      best = combo;
    }
  }
  return best ?? Int8Array.from(logs, (l) => l.indexOf(Math.max(...l)));
}
