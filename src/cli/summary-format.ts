import type { ChalkInstance } from 'chalk';
import { LABEL_TABLE } from '../labels.js';
import type { RunSummary } from '../pipeline/summary.js';

const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;

function distribution(counts: Readonly<Record<string, number>> | undefined, total: number): string {
  if (!counts) return '';
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([value, n]) => `${value} ${pct(total === 0 ? 0 : n / total)}`)
    .join(', ');
}

/** The end-of-run summary people read on stderr. */
export function formatSummary(s: RunSummary, c: ChalkInstance): string {
  const lines = [
    c.bold(`${s.rows.toLocaleString('en')} rows`) +
      ` in ${(s.durationMs / 1000).toFixed(1)}s (${s.rowsPerSecond.toLocaleString('en')} rows/s); ` +
      `${s.duplicates} duplicates reused; ` +
      (s.invalidRows > 0 ? c.yellow(`${s.invalidRows} invalid rows skipped`) : '0 invalid rows'),
    `claim rate ${c.bold(pct(s.claimRate))}`,
  ];
  // Boolean fields are the claim rate above; each other field of the table, its distribution.
  for (const { name: field } of LABEL_TABLE.filter((f) => f.kind === 'enum')) lines.push(`${field}: ${distribution(s.labels[field], s.rows)}`);
  lines.push(`providers: ${distribution(s.providers, s.rows)}`);
  lines.push(`cache: ${s.cache.hits} hits, ${s.cache.misses} misses (${pct(s.cache.hitRate)})`);
  if (s.cache.writeFailures > 0) {
    lines.push(c.yellow(`cache: ${s.cache.writeFailures} answers could not be written (cache locked or disk full): the next run asks the tiers for those rows again`));
  }
  for (const [name, t] of Object.entries(s.tiers)) {
    if (t.requests === undefined && t.calls === 0) continue;
    const usage = t.requests === undefined ? '' : `, ${t.requests} requests, ${t.inputTokens ?? 0} input + ${t.outputTokens ?? 0} output tokens`;
    lines.push(`${name}: ${t.calls} calls${t.errors > 0 ? c.yellow(`, ${t.errors} failed`) : ''}${usage}`);
  }
  if (s.escalated > 0) lines.push(`escalated to LLM tiers: ${s.escalated}`);
  for (const [name, why] of Object.entries(s.unavailable)) lines.push(c.yellow(`${name} unavailable: ${why}`));
  for (const row of s.invalid.slice(0, 10)) lines.push(c.yellow(`  skipped line ${row.line}${row.column ? `:${row.column}` : ''}: ${row.reason}`));
  if (s.invalidRows > 10) lines.push(c.yellow(`  … ${s.invalidRows - 10} more (see --summary-json)`));
  return lines.join('\n');
}
