// CSV output without csv-stringify on the hot path: its sync API casts every field through
// a tuple and an options lookup, a fifth of the engine thread's time on a rules run. These
// functions write the same bytes as `stringify(rows, { cast: { boolean: String } })` with the
// default options (comma, '"' doubled, quoted only when a field holds a quote, a comma, CR
// or LF, '\n' after each record); test/pipeline/csv-line.test.ts checks that against it.
import { stringify } from 'csv-stringify/sync';

const NEEDS_QUOTES = /[",\n\r]/;
const QUOTES = /"/g;

/** One cell as csv-stringify writes it, or undefined for a value only csv-stringify knows how to cast. */
function cell(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      if (!NEEDS_QUOTES.test(value)) return value;
      return `"${value.replace(QUOTES, '""')}"`;
    case 'number':
    case 'boolean':
      // String(number) never holds a comma or a quote; booleans are written as true/false.
      return String(value);
    default:
      // null and undefined are empty cells; objects, dates and bigints take the library's path.
      return value === null || value === undefined ? '' : undefined;
  }
}

/** The cells of `values` joined by commas, without the line end. */
export function csvCells(values: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    const text = cell(values[i]);
    if (text === undefined) return csvCellsSlow(values);
    line += i === 0 ? text : `,${text}`;
  }
  return line;
}

function csvCellsSlow(values: readonly unknown[]): string {
  return stringify([values as unknown[]], { cast: { boolean: (v) => String(v) } }).slice(0, -1);
}

/** Records as CSV lines, each ending in '\n' (what `stringify(rows)` returns). */
export function csvLines(rows: readonly (readonly unknown[])[]): string {
  let out = '';
  for (const row of rows) out += `${csvCells(row)}\n`;
  return out;
}
