// The one shape of counters: a chunk's, a run's and the engine's since it started are all
// `Counts`, added up and subtracted with the same two functions.

export interface Counts {
  /** Rows labeled (each input row or text once, repeats included). */
  rows: number;
  /** Rows that reused the labels of an identical cleaned text seen earlier. */
  duplicates: number;
  /** field -> value -> rows. */
  readonly labels: Record<string, Record<string, number>>;
  /** What produced each row's labels (the `provider` column) -> rows. */
  readonly providers: Record<string, number>;
  cacheHits: number;
  cacheMisses: number;
  /** Answers the cache could not take (locked, disk full): the next run pays for them again. */
  cacheWriteFailures: number;
  /** Rows sent on to the remote tiers by `--escalate-below`. */
  escalated: number;
  readonly tierCalls: Record<string, number>;
  readonly tierErrors: Record<string, number>;
  /** Tiers whose circuit opened, with the reason. */
  readonly unavailable: Record<string, string>;
}

export function emptyCounts(): Counts {
  return { rows: 0, duplicates: 0, labels: {}, providers: {}, cacheHits: 0, cacheMisses: 0, cacheWriteFailures: 0, escalated: 0, tierCalls: {}, tierErrors: {}, unavailable: {} };
}

export function bump(bucket: Record<string, number>, key: string, n = 1): void {
  bucket[key] = (bucket[key] ?? 0) + n;
}

const addMap = (into: Record<string, number>, from: Readonly<Record<string, number>>, sign: 1 | -1): void => {
  for (const [k, n] of Object.entries(from)) bump(into, k, sign * n);
};

/** Adds `from` into `into` (a circuit's first reason is kept). */
export function addCounts(into: Counts, from: Counts): Counts {
  into.rows += from.rows;
  into.duplicates += from.duplicates;
  for (const [field, values] of Object.entries(from.labels)) addMap((into.labels[field] ??= {}), values, 1);
  addMap(into.providers, from.providers, 1);
  into.cacheHits += from.cacheHits;
  into.cacheMisses += from.cacheMisses;
  into.cacheWriteFailures += from.cacheWriteFailures;
  into.escalated += from.escalated;
  addMap(into.tierCalls, from.tierCalls, 1);
  addMap(into.tierErrors, from.tierErrors, 1);
  for (const [tier, why] of Object.entries(from.unavailable)) into.unavailable[tier] ??= why;
  return into;
}

/** What changed from `before` to `after` (circuits: those open at `after`). */
export function countsSince(after: Counts, before: Counts): Counts {
  const out = addCounts(emptyCounts(), after);
  out.rows -= before.rows;
  out.duplicates -= before.duplicates;
  for (const [field, values] of Object.entries(before.labels)) addMap((out.labels[field] ??= {}), values, -1);
  addMap(out.providers, before.providers, -1);
  out.cacheHits -= before.cacheHits;
  out.cacheMisses -= before.cacheMisses;
  out.cacheWriteFailures -= before.cacheWriteFailures;
  out.escalated -= before.escalated;
  addMap(out.tierCalls, before.tierCalls, -1);
  addMap(out.tierErrors, before.tierErrors, -1);
  return out;
}
