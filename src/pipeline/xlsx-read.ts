// An .xlsx workbook as rows: one sheet (the first, or `--sheet <name|number>`), its first
// non-empty row the header. exceljs's streaming WorkbookReader unzips and parses as bytes
// arrive; a sheet stored before the shared strings is spooled to a temp file by exceljs,
// so memory stays flat either way.
import type { Readable } from 'node:stream';
import { exceljs } from './load-exceljs.js';
import { atPosition, FmcError } from '../errors.js';
import { uniqueColumnNames, type RenamedColumn } from './column-names.js';
import type { InputRow, InvalidRow, ReadOptions } from './read.js';

/** The first bytes of a zip file (an .xlsx is one). */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

/** A cell as text or a plain value: what a CSV or JSONL output can hold. */
export function cellValue(value: unknown): string | number | boolean {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) {
    // Excel dates have no time zone: written without one, and without a midnight time.
    return value.toISOString().replace(/\.000Z$/, '').replace(/Z$/, '').replace(/T00:00:00$/, '');
  }
  const v = value as { richText?: { text: string }[]; result?: unknown; text?: unknown; error?: string; formula?: string };
  if (v.richText) return v.richText.map((r) => r.text).join('');
  if ('result' in v || v.formula !== undefined) return cellValue(v.result);
  if (v.text !== undefined) return cellValue(v.text);
  if (v.error !== undefined) return v.error;
  return String(value);
}

function asText(value: unknown): string {
  return String(cellValue(value));
}

export interface XlsxRows {
  readonly sheet: string;
  readonly columns: readonly string[];
  readonly renamed: readonly RenamedColumn[];
  /** Data rows, values as cellValue gives them; malformed ones go to `invalid` or throw. */
  rows(toRow: (line: number, values: unknown[]) => InputRow): AsyncGenerator<InputRow>;
  readonly invalid: InvalidRow[];
}

type SheetReader = AsyncIterable<{ number: number; values: unknown }> & { name?: string };
type Book = AsyncIterable<SheetReader> & { model?: { sheets?: { name: string }[] } };

/** Opens the workbook and reads the chosen sheet's header. `input` is destroyed on failure. */
export async function openXlsxRows(name: string, input: Readable, options: Pick<ReadOptions, 'sheet' | 'skipInvalid' | 'maxRecordSize'>, maxRecordSize: number): Promise<XlsxRows> {
  const corrupt = (err: unknown): never => {
    input.destroy();
    if (err instanceof FmcError) throw err;
    const why = ((err as Error).message ?? String(err)).split('\n')[0];
    throw new FmcError('FMC_ERR_XLSX', `${name}: not a readable .xlsx workbook (${why}); re-save it from Excel, or export the sheet as CSV`);
  };
  const book = new (exceljs().stream.xlsx.WorkbookReader)(input, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore' }) as unknown as Book;
  const sheets = book[Symbol.asyncIterator]();
  const wanted = options.sheet;
  const wantedNumber = wanted !== undefined && /^\d+$/.test(wanted) ? Number(wanted) : undefined;
  const seen: string[] = [];
  let sheet: SheetReader | undefined;
  try {
    for (let emitted = 1; ; emitted++) {
      const next = await sheets.next();
      if (next.done) break;
      const candidate = next.value;
      // Its place among the tabs as Excel shows them (the zip may store them in another order).
      const place = (book.model?.sheets?.findIndex((s) => s.name === candidate.name) ?? -1) + 1 || emitted;
      const label = candidate.name ?? `sheet ${place}`;
      const match = wanted === undefined ? place === 1 : wantedNumber !== undefined ? place === wantedNumber : label === wanted;
      if (match) {
        sheet = candidate;
        break;
      }
      seen.push(label);
    }
  } catch (err) {
    corrupt(err);
  }
  if (!sheet) {
    input.destroy();
    if (wanted === undefined && seen.length === 0) throw new FmcError('FMC_ERR_XLSX', `${name}: the workbook has no sheet`);
    const names = (book.model?.sheets?.map((s) => s.name) ?? seen).map((s) => JSON.stringify(s)).join(', ');
    throw new FmcError('FMC_ERR_USAGE', `${name}: no sheet ${wantedNumber !== undefined ? `number ${wantedNumber}` : JSON.stringify(wanted)}; sheets: ${names}; pass --sheet <name|number>`);
  }
  const sheetName = sheet.name ?? `sheet ${wantedNumber ?? 1}`;
  const where = `${name} [${sheetName}]`;
  const rowIterator = sheet[Symbol.asyncIterator]();
  const nextRow = async (): Promise<{ number: number; values: unknown[] } | undefined> => {
    try {
      const next = await rowIterator.next();
      return next.done ? undefined : { number: next.value.number, values: next.value.values as unknown[] };
    } catch (err) {
      return corrupt(err);
    }
  };
  // The header: the first row with a cell (the reader skips rows that have none).
  const header = await nextRow();
  if (!header) {
    input.destroy();
    throw new FmcError('FMC_ERR_INPUT_EMPTY', `${where}: the sheet is empty (expected a header row, then one row per tweet)`);
  }
  // values is 1-based and sparse: index 0 is always empty.
  const width = Math.max(0, header.values.length - 1);
  const { names: columns, renamed } = uniqueColumnNames(Array.from({ length: width }, (_, i) => asText(header.values[i + 1])));
  const invalid: InvalidRow[] = [];
  async function* rows(toRow: (line: number, values: unknown[]) => InputRow): AsyncGenerator<InputRow> {
    for (let row = await nextRow(); row; row = await nextRow()) {
      const values: unknown[] = new Array<unknown>(width).fill('');
      let problem: { column: number; reason: string } | undefined;
      for (let c = 1; c < Math.max(row.values.length, width + 1); c++) {
        const value = cellValue(row.values[c]);
        if (c > width) {
          if (value !== '') problem ??= { column: c, reason: `cell in column ${c}, right of the header's last column (${width})` };
          continue;
        }
        if (typeof value === 'string' && value.length > maxRecordSize) problem ??= { column: c, reason: `cell of ${value.length} characters, over the ${maxRecordSize} limit (raise --max-record-size if it is real)` };
        values[c - 1] = value;
      }
      if (problem) {
        if (!options.skipInvalid) {
          input.destroy();
          throw new FmcError('FMC_ERR_XLSX', `${atPosition(where, row.number, problem.column)}: ${problem.reason}; fix the sheet or pass --skip-invalid`);
        }
        invalid.push({ line: row.number, column: problem.column, reason: problem.reason });
        continue;
      }
      yield toRow(row.number, values);
    }
  }
  return { sheet: sheetName, columns, renamed, rows, invalid };
}
