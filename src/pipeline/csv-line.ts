// CSV output without csv-stringify on the hot path: its sync API casts every field through
// a tuple and an options lookup, a fifth of the engine thread's time on a rules run. A
// writer writes the same bytes as `stringify(rows, stringifyOptions(dialect))` (the quote
// '"' doubled, a field quoted only when it holds a quote, the delimiter, CR or LF, formulas
// escaped when asked); test/pipeline/csv-line.test.ts checks that against the library.
import { stringify, type Options } from 'csv-stringify/sync';
import type { CsvDialect } from './dialect.js';

export type LineDialect = Pick<CsvDialect, 'delimiter' | 'eol' | 'escapeFormulas'>;

export interface CsvWriter {
  /** The cells of `values` joined by the delimiter, without the line end. */
  cells(values: readonly unknown[]): string;
  /** Records as CSV lines, each ending in the dialect's line end. */
  lines(rows: readonly (readonly unknown[])[]): string;
}

/** The csv-stringify options a writer for `dialect` matches. */
export function stringifyOptions(dialect: LineDialect): Options {
  return {
    delimiter: dialect.delimiter,
    record_delimiter: dialect.eol,
    // csv-stringify stops quoting a lone LF once record_delimiter is set; any reader would
    // split the record there.
    quote_record_delimiter: true,
    escape_formulas: dialect.escapeFormulas,
    cast: { boolean: (v) => String(v) },
  };
}

/**
 * First characters a spreadsheet reads as the start of a formula (or that hide one after a
 * tab or CR), with the full-width forms Apple Numbers folds into them: csv-stringify's list.
 */
export function isFormulaStart(code: number): boolean {
  switch (code) {
    case 0x3d: // =
    case 0x2b: // +
    case 0x2d: // -
    case 0x40: // @
    case 0x09: // tab
    case 0x0d: // CR
    case 0xff1d:
    case 0xff0b:
    case 0xff0d:
    case 0xff20:
      return true;
    default:
      return false;
  }
}

const QUOTES = /"/g;

export function csvWriter(dialect: LineDialect): CsvWriter {
  const { delimiter, eol, escapeFormulas } = dialect;
  const needsQuotes = new RegExp(`["\\n\\r${delimiter === '\t' ? '\\t' : `\\${delimiter}`}]`);
  const options = stringifyOptions(dialect);

  /** One cell as csv-stringify writes it, or undefined for a value only csv-stringify knows how to cast. */
  const cell = (value: unknown): string | undefined => {
    switch (typeof value) {
      case 'string': {
        const text = escapeFormulas && value.length > 0 && isFormulaStart(value.charCodeAt(0)) ? `'${value}` : value;
        if (!needsQuotes.test(text)) return text;
        return `"${text.replace(QUOTES, '""')}"`;
      }
      case 'number':
      case 'boolean':
        // String(number) holds none of the delimiters; a negative number is not a formula
        // (csv-stringify leaves numbers alone); booleans are written as true/false.
        return String(value);
      default:
        // null and undefined are empty cells; objects, dates and bigints take the library's path.
        return value === null || value === undefined ? '' : undefined;
    }
  };
  const slow = (values: readonly unknown[]): string => stringify([values as unknown[]], options).slice(0, -eol.length);
  const cells = (values: readonly unknown[]): string => {
    let line = '';
    for (let i = 0; i < values.length; i++) {
      const text = cell(values[i]);
      if (text === undefined) return slow(values);
      line += i === 0 ? text : `${delimiter}${text}`;
    }
    return line;
  };
  return {
    cells,
    lines(rows) {
      let out = '';
      for (const row of rows) out += `${cells(row)}${eol}`;
      return out;
    },
  };
}
