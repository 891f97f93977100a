import { atPosition, FmcError } from '../errors.js';
import { FIELD_VALUES, OUTPUT_COLUMNS, type Incident, type Sentiment, type Topic, type Urgency } from '../labels.js';
import { openTweetSource } from '../pipeline/read.js';
import { findColumn } from '../pipeline/sniff.js';
import type { Aggregator } from './aggregate.js';
import { parseDate } from './dates.js';
import type { Zone } from './zone.js';

// Reads files `fmc classify` wrote (CSV or JSONL, any number) into an aggregator, streaming.

export const DATE_COLUMN_CANDIDATES = ['date', 'created_at', 'timestamp', 'time'] as const;

export interface ReadClassifiedOptions {
  readonly dateColumn?: string | undefined;
  readonly zone: Zone;
}

export interface ReadResult {
  readonly dateColumn: string | null;
  readonly rows: number;
}

const BATCH = 1000;

/** The label columns `fmc classify` appends that `columns` lacks. */
export function missingLabelColumns(columns: readonly string[]): string[] {
  const have = new Set(columns.map((c) => c.trim().toLowerCase()));
  return OUTPUT_COLUMNS.filter((c) => !have.has(c));
}

function sameColumns(file: string, columns: readonly string[], firstFile: string, first: readonly string[]): void {
  const missing = first.filter((c) => !columns.includes(c));
  const extra = columns.filter((c) => !first.includes(c));
  if (missing.length === 0 && extra.length === 0) return;
  const parts = [missing.length > 0 ? `missing ${missing.join(', ')}` : '', extra.length > 0 ? `extra ${extra.join(', ')}` : ''].filter(Boolean);
  throw new FmcError('FMC_ERR_COLUMNS', `${atPosition(file, 1)}: columns differ from ${firstFile} (${parts.join('; ')}); report files of the same export together`);
}

export async function readClassified(files: readonly string[], aggregator: Aggregator, options: ReadClassifiedOptions): Promise<ReadResult> {
  let firstColumns: readonly string[] | undefined;
  let dateColumn: string | null = null;
  let rows = 0;
  let parsedDates = 0;
  let firstBad: { where: string; raw: string } | undefined;
  for (const file of files) {
    const source = await openTweetSource({ path: file });
    const columns = source.columns;
    const missing = missingLabelColumns(columns);
    if (missing.length > 0) {
      throw new FmcError('FMC_ERR_NOT_CLASSIFIED', `${atPosition(file, 1)}: not fmc classify output: missing label column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; run fmc classify ${file} first`);
    }
    if (firstColumns === undefined) firstColumns = columns;
    else sameColumns(file, columns, files[0]!, firstColumns);
    const at = (name: string): number => findColumn(columns, name, []);
    const dateAt = findColumn(columns, options.dateColumn, DATE_COLUMN_CANDIDATES);
    if (options.dateColumn !== undefined && dateAt < 0) {
      throw new FmcError('FMC_ERR_USAGE', `${atPosition(file, 1)}: --date-column "${options.dateColumn}" not found; columns found: ${columns.join(', ')}`);
    }
    dateColumn = dateAt < 0 ? null : columns[dateAt]!;
    const idx = { claim: at('is_claim'), sentiment: at('sentiment'), topic: at('topic'), incident: at('incident'), urgency: at('urgency'), confidence: at('confidence'), provider: at('provider') };
    const bad = (line: number, column: number, what: string): never => {
      throw new FmcError('FMC_ERR_LABELS', `${atPosition(file, line, column + 1)}: ${what}; is this file fmc classify output?`);
    };
    const label = (values: readonly unknown[], line: number, field: 'sentiment' | 'topic' | 'incident' | 'urgency'): string => {
      const value = String(values[idx[field]] ?? '');
      if (!FIELD_VALUES[field].includes(value)) bad(line, idx[field], `${field} "${value}" is not one of ${FIELD_VALUES[field].join(', ')}`);
      return value;
    };
    for await (const batch of source.batches(BATCH)) {
      for (const row of batch) {
        const values = row.values;
        const claimRaw = values[idx.claim];
        const isClaim = claimRaw === true || claimRaw === 'true' ? true : claimRaw === false || claimRaw === 'false' ? false : bad(row.line, idx.claim, `is_claim "${String(claimRaw)}" is not true or false`);
        const confidence = Number(values[idx.confidence]);
        if (!(confidence >= 0 && confidence <= 1)) bad(row.line, idx.confidence, `confidence "${String(values[idx.confidence])}" is not a number between 0 and 1`);
        let when: number | undefined;
        if (dateAt >= 0) {
          const raw = String(values[dateAt] ?? '');
          when = parseDate(raw, options.zone);
          if (when === undefined) {
            const where = atPosition(file, row.line);
            firstBad ??= { where, raw };
            aggregator.unparseableDate(where);
          } else parsedDates++;
        }
        aggregator.add({
          isClaim,
          sentiment: label(values, row.line, 'sentiment') as Sentiment,
          topic: label(values, row.line, 'topic') as Topic,
          incident: label(values, row.line, 'incident') as Incident,
          urgency: label(values, row.line, 'urgency') as Urgency,
          confidence,
          provider: String(values[idx.provider] ?? ''),
          text: row.text,
          at: when,
          source: `${file}:${row.line}`,
        });
        rows++;
      }
    }
  }
  if (rows === 0) throw new FmcError('FMC_ERR_INPUT_EMPTY', `${files.join(', ')}: no data rows (only a header)`);
  if (dateColumn !== null && parsedDates === 0 && firstBad) {
    throw new FmcError(
      'FMC_ERR_DATES',
      `${firstBad.where}: no date in column "${dateColumn}" could be read (first: "${firstBad.raw.slice(0, 40)}"); fmc reads ISO 8601, DD/MM/YYYY [HH:MM[:SS]], Twitter's "Tue Mar 05 14:02:11 +0000 2024" and Unix epochs; pick another column with --date-column`,
    );
  }
  return { dateColumn, rows };
}
