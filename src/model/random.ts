// The only randomness in training is how rows are dealt into cross-validation folds; a
// seeded generator keeps `fmc train --seed n` reproducible byte for byte.

/** mulberry32: small, fast, and good enough to shuffle a few thousand rows. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Fold of each row (0..k-1), stratified by `strata` (e.g. a label) so every fold sees the
 * rare classes: rows of each stratum are shuffled, then dealt round-robin.
 */
export function assignFolds(strata: readonly string[], k: number, seed: number): Int32Array {
  const random = seededRandom(seed);
  const folds = new Int32Array(strata.length);
  const groups = new Map<string, number[]>();
  strata.forEach((s, i) => {
    const group = groups.get(s);
    if (group) group.push(i);
    else groups.set(s, [i]);
  });
  let next = 0;
  for (const key of [...groups.keys()].sort()) {
    const rows = groups.get(key)!;
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    for (const row of rows) folds[row] = next++ % k;
  }
  return folds;
}
