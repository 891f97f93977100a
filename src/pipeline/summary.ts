import type { TierUsage } from '../tiers/tier.js';
import type { EngineStats } from './chunk.js';
import { countsSince, type Counts } from './counts.js';
import type { InvalidRow } from './read.js';

/** A run's own counts, added up chunk by chunk: the one Counts shape. */
export type RunCounters = Counts;

export interface RunSummary {
  readonly rows: number;
  /** Rows whose cleaned text was seen before in the run and reused its labels. */
  readonly duplicates: number;
  readonly invalidRows: number;
  /** The first skipped rows with their line and reason. */
  readonly invalid: readonly InvalidRow[];
  readonly labels: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly claimRate: number;
  readonly providers: Readonly<Record<string, number>>;
  /** `writeFailures`: answers the cache could not store; the next run asks (and pays) for them again. */
  readonly cache: { readonly hits: number; readonly misses: number; readonly hitRate: number; readonly writeFailures: number };
  /** Calls made to each tier in this run, failed calls, and (LLM tiers) requests and tokens. */
  readonly tiers: Readonly<Record<string, { calls: number; errors: number } & Partial<TierUsage>>>;
  readonly escalated: number;
  readonly unavailable: Readonly<Record<string, string>>;
  readonly durationMs: number;
  readonly rowsPerSecond: number;
}

const MAX_INVALID_LISTED = 50;

export function summarize(input: {
  counters: RunCounters;
  invalid: readonly InvalidRow[];
  before: EngineStats;
  after: EngineStats;
  tierNames: readonly string[];
  durationMs: number;
}): RunSummary {
  const { counters } = input;
  // The engine's figures over the run (cache, tier calls, circuits); rows and labels are the run's own.
  const engine = countsSince(input.after.counts, input.before.counts);
  const hits = engine.cacheHits;
  const misses = engine.cacheMisses;
  const calls = engine.tierCalls;
  const errors = engine.tierErrors;
  const tiers: RunSummary['tiers'] = Object.fromEntries(
    input.tierNames.map((name) => [name, { calls: calls[name] ?? 0, errors: errors[name] ?? 0, ...input.after.usage[name] }]),
  );
  return {
    rows: counters.rows,
    duplicates: counters.duplicates,
    invalidRows: input.invalid.length,
    invalid: input.invalid.slice(0, MAX_INVALID_LISTED),
    labels: counters.labels,
    claimRate: counters.rows === 0 ? 0 : (counters.labels.is_claim?.true ?? 0) / counters.rows,
    providers: counters.providers,
    cache: { hits, misses, hitRate: hits + misses === 0 ? 0 : hits / (hits + misses), writeFailures: engine.cacheWriteFailures },
    tiers,
    escalated: engine.escalated,
    unavailable: { ...input.after.counts.unavailable },
    durationMs: input.durationMs,
    rowsPerSecond: input.durationMs === 0 ? counters.rows : Math.round((counters.rows / input.durationMs) * 1000),
  };
}
