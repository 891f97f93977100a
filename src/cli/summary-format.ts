import type { ChalkInstance } from 'chalk';
import { LABEL_TABLE } from '../labels.js';
import type { RunSummary } from '../pipeline/summary.js';
import { count, duration, num, percent, plainTable } from './format.js';

function distribution(counts: Readonly<Record<string, number>> | undefined, total: number): string {
  if (!counts) return '';
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([value, n]) => `${value} ${percent(total === 0 ? 0 : n / total)}`)
    .join(', ');
}

/** The first line: what was done, how long it took (start-up included) and at what rate. */
function headline(s: RunSummary, c: ChalkInstance): string {
  const startup = s.startupMs >= 1000 ? `, of which ${duration(s.startupMs)} start-up` : '';
  const invalid = s.invalidRows > 0 ? c.yellow(`${count(s.invalidRows, 'invalid row')} skipped`) : 'no invalid rows';
  return (
    c.bold(count(s.rows, 'row')) +
    ` in ${duration(s.durationMs)}${startup} (${num(s.rowsPerSecond)} rows/s); ` +
    `${count(s.duplicates, 'duplicate')} reused; ${invalid}`
  );
}

/**
 * The cache line. A chain without a cached tier (the rules alone are never cached: a lookup
 * costs more than they do) makes no lookups, so "0 hits, N misses" would mislead.
 */
function cacheLine(s: RunSummary): string {
  const { hits, misses, hitRate } = s.cache;
  if (hits + misses === 0) return 'not used (no cached tier in this chain, or --no-cache)';
  return `${count(hits, 'hit')}, ${count(misses, 'miss', 'misses')} (${percent(hitRate)} hits)`;
}

/**
 * What each LLM tier cost: requests (every retry and re-ask included) for the batches it
 * was handed, and tokens. Local tiers cost nothing to report: their call counts are
 * internal batching, shown only when some failed.
 */
function tierRows(s: RunSummary, c: ChalkInstance): string[][] {
  const rows: string[][] = [];
  for (const [name, t] of Object.entries(s.tiers)) {
    const failed = t.errors > 0 ? c.yellow(`${count(t.errors, 'failed batch', 'failed batches')}`) : '';
    if (t.requests !== undefined) {
      const cost = `${count(t.requests, 'request')} (${count(t.calls, 'batch', 'batches')}), ${num(t.inputTokens ?? 0)} input + ${num(t.outputTokens ?? 0)} output tokens`;
      rows.push([name, failed ? `${cost}, ${failed}` : cost]);
    } else if (failed) rows.push([name, failed]);
  }
  return rows;
}

/** The end-of-run summary people read on stderr: one headline, then an aligned table. */
export function formatSummary(s: RunSummary, c: ChalkInstance): string {
  const rows: string[][] = [['claim rate', c.bold(percent(s.claimRate))]];
  // Boolean fields are the claim rate above; each other field of the table, its distribution.
  for (const { name: field } of LABEL_TABLE.filter((f) => f.kind === 'enum')) rows.push([field, distribution(s.labels[field], s.rows)]);
  rows.push(['providers', distribution(s.providers, s.rows)]);
  rows.push(['cache', cacheLine(s)]);
  if (s.cache.writeFailures > 0) {
    rows.push(['cache', c.yellow(`${count(s.cache.writeFailures, 'answer')} could not be written (cache locked or disk full): the next run asks the tiers for those rows again`)]);
  }
  rows.push(...tierRows(s, c));
  if (s.escalated > 0) rows.push(['escalated', `${count(s.escalated, 'row')} to LLM tiers`]);
  for (const [name, why] of Object.entries(s.unavailable)) rows.push([name, c.yellow(`unavailable: ${why}`)]);
  const lines = [headline(s, c), plainTable(rows, { indent: 2 })];
  for (const row of s.invalid.slice(0, 10)) lines.push(c.yellow(`  skipped line ${row.line}${row.column ? `:${row.column}` : ''}: ${row.reason}`));
  if (s.invalidRows > 10) lines.push(c.yellow(`  … ${num(s.invalidRows - 10)} more (see --summary-json)`));
  return lines.join('\n');
}
