import { atPosition, FmcError } from '../errors.js';
import { AUTHOR_COLUMN_CANDIDATES } from '../clean/author.js';
import { FIELD_VALUES, TRAINED_FIELDS, type TrainedField } from '../labels.js';
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
export interface ReadLabeledOptions {
  readonly textColumn?: string;
  /** Column naming each row's author; default the first of AUTHOR_COLUMN_CANDIDATES present. */
  readonly authorColumn?: string;
  /** Told how many rows of a review file (`fmc sample`) had every gold_* cell empty and were left out. */
  readonly onUnreviewed?: (rows: number) => void;
}

/**
 * A review file from `fmc sample` has gold_<field> columns: a filled gold cell wins over the
 * suggestion beside it, an empty one keeps the suggestion (the reviewer agreed), and a row
 * whose gold cells are all empty was not reviewed and is left out.
 */
const GOLD_PREFIX = 'gold_';

export async function readLabeledFile(path: string, options: ReadLabeledOptions = {}): Promise<LabeledTweet[]> {
  const source = await openTweetSource({ path }, { textColumn: options.textColumn });
  const lower = source.columns.map((c) => c.trim().toLowerCase());
  const authorIndex = findColumn(source.columns, options.authorColumn, AUTHOR_COLUMN_CANDIDATES);
  if (options.authorColumn !== undefined && authorIndex < 0) {
    throw new FmcError('FMC_ERR_USAGE', `${atPosition(path, 1)}: --author-column "${options.authorColumn}" not found; columns found: ${source.columns.join(', ')}`);
  }
  const indexes = TRAINED_FIELDS.map((f) => lower.indexOf(f));
  const goldIndexes = TRAINED_FIELDS.map((f) => lower.indexOf(GOLD_PREFIX + f));
  const reviewed = goldIndexes.some((i) => i >= 0);
  const missing = reviewed ? TRAINED_FIELDS.filter((_, i) => goldIndexes[i]! < 0).map((f) => GOLD_PREFIX + f) : TRAINED_FIELDS.filter((_, i) => indexes[i]! < 0);
  if (missing.length > 0) {
    throw new FmcError('FMC_ERR_LABELS', `${atPosition(path, 1)}: missing label columns ${missing.join(', ')}; columns found: ${source.columns.join(', ')}`);
  }
  const rows: LabeledTweet[] = [];
  const problems: string[] = [];
  let unreviewed = 0;
  for await (const row of source.rows) {
    const cell = (i: number): string => (i < 0 ? '' : String(row.values[i] ?? '').trim().toLowerCase());
    if (reviewed && goldIndexes.every((i) => cell(i) === '')) {
      unreviewed++;
      continue;
    }
    const labels = {} as Record<TrainedField, string>;
    TRAINED_FIELDS.forEach((field, i) => {
      const value = (reviewed && cell(goldIndexes[i]!)) || cell(indexes[i]!);
      const column = reviewed && cell(goldIndexes[i]!) ? GOLD_PREFIX + field : field;
      if (!FIELD_VALUES[field].includes(value)) problems.push(`${atPosition(path, row.line)}: ${column} "${value}" is not one of ${FIELD_VALUES[field].join(', ')}`);
      labels[field] = value;
    });
    rows.push({ line: row.line, text: row.text, labels, ...(authorIndex >= 0 ? { author: String(row.values[authorIndex] ?? '') } : {}) });
  }
  if (problems.length > 0) {
    const more = problems.length > MAX_LISTED ? `; and ${problems.length - MAX_LISTED} more` : '';
    throw new FmcError('FMC_ERR_LABELS', `${problems.length} unknown label values: ${problems.slice(0, MAX_LISTED).join('; ')}${more}`);
  }
  if (unreviewed > 0) options.onUnreviewed?.(unreviewed);
  if (rows.length === 0) throw new FmcError('FMC_ERR_INPUT_EMPTY', reviewed ? `${path}: no reviewed rows (every gold_* cell is empty); fill some in, then train` : `${path}: header only, no labeled rows`);
  return rows;
}
