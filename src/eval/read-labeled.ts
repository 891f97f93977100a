import { atPosition, FmcError } from '../errors.js';
import { FIELD_VALUES, LABEL_FIELDS, type LabelField } from '../labels.js';
import { AUTHOR_COLUMN_CANDIDATES } from '../clean/author.js';
import { openTweetSource } from '../pipeline/read.js';
import { findColumn } from '../pipeline/sniff.js';
import type { LabelRow } from './metrics.js';

export interface LabeledTweet {
  readonly line: number;
  readonly text: string;
  readonly labels: LabelRow;
  /** The author column's value, when the file has one (clean/author.ts). */
  readonly author?: string;
}

const MAX_LISTED = 20;

/**
 * Reads a labeled CSV (a text column plus the five label columns). Every value outside the
 * taxonomy is reported at once, with its line, so a bad file is fixed in one pass.
 */
export async function readLabeledFile(path: string, options: { textColumn?: string; authorColumn?: string } = {}): Promise<LabeledTweet[]> {
  const source = await openTweetSource({ path }, { textColumn: options.textColumn });
  const lower = source.columns.map((c) => c.trim().toLowerCase());
  const authorIndex = findColumn(source.columns, options.authorColumn, AUTHOR_COLUMN_CANDIDATES);
  if (options.authorColumn !== undefined && authorIndex < 0) {
    throw new FmcError('FMC_ERR_USAGE', `${atPosition(path, 1)}: --author-column "${options.authorColumn}" not found; columns found: ${source.columns.join(', ')}`);
  }
  const indexes = LABEL_FIELDS.map((f) => lower.indexOf(f));
  const missing = LABEL_FIELDS.filter((_, i) => indexes[i]! < 0);
  if (missing.length > 0) {
    throw new FmcError('FMC_ERR_LABELS', `${atPosition(path, 1)}: missing label columns ${missing.join(', ')}; columns found: ${source.columns.join(', ')}`);
  }
  const rows: LabeledTweet[] = [];
  const problems: string[] = [];
  for await (const row of source.rows) {
    const labels = {} as Record<LabelField, string>;
    LABEL_FIELDS.forEach((field, i) => {
      const value = String(row.values[indexes[i]!] ?? '').trim().toLowerCase();
      if (!FIELD_VALUES[field].includes(value)) problems.push(`${atPosition(path, row.line)}: ${field} "${value}" is not one of ${FIELD_VALUES[field].join(', ')}`);
      labels[field] = value;
    });
    rows.push({ line: row.line, text: row.text, labels, ...(authorIndex >= 0 ? { author: String(row.values[authorIndex] ?? '') } : {}) });
  }
  if (problems.length > 0) {
    const more = problems.length > MAX_LISTED ? `; and ${problems.length - MAX_LISTED} more` : '';
    throw new FmcError('FMC_ERR_LABELS', `${problems.length} unknown label values: ${problems.slice(0, MAX_LISTED).join('; ')}${more}`);
  }
  if (rows.length === 0) throw new FmcError('FMC_ERR_INPUT_EMPTY', `${path}: header only, no labeled rows`);
  return rows;
}
