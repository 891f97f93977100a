// Rows as a real .xlsx workbook (one sheet), streamed: exceljs's WorkbookWriter deflates
// each committed row into the zip as it comes, and the zip's bytes go to the sink's own
// write function, so a file output keeps its temp file + rename and stdout works too.
// Cells keep their types (strings stay strings, so no cell is ever a formula: XLSX needs
// no formula escaping; booleans and numbers are Excel's own).
import { Writable } from 'node:stream';
import { exceljs } from './load-exceljs.js';

export interface RowEncoder {
  writeRows(rows: readonly (readonly unknown[])[]): Promise<void>;
  /** Writes the rest of the workbook (sheet end, styles, zip directory). */
  finish(): Promise<void>;
  /** Stops without finishing: the partial bytes are the sink's to drop. */
  abort(): void;
}

export const XLSX_SHEET_NAME = 'classified';

/**
 * A value as a plain cell. exceljs reads an object as a formula, a hyperlink or rich text,
 * so an object from a JSONL input (`{"formula": …}`) is written as its JSON text instead.
 */
function toCell(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return String(value);
    default:
      return value instanceof Date ? value : JSON.stringify(value);
  }
}

export function xlsxEncoder(columns: readonly string[], write: (bytes: Uint8Array) => Promise<void>): RowEncoder {
  let failure: Error | undefined;
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      write(chunk).then(
        () => callback(),
        (err: Error) => {
          failure ??= err;
          callback(err);
        },
      );
    },
  });
  // An error reaches the caller through `failure` (and the sink's own next write).
  out.on('error', () => undefined);
  const workbook = new (exceljs().stream.xlsx.WorkbookWriter)({ stream: out, useSharedStrings: false, useStyles: false });
  const sheet = workbook.addWorksheet(XLSX_SHEET_NAME);
  sheet.addRow([...columns]).commit();
  return {
    async writeRows(rows) {
      if (failure) throw failure;
      for (const row of rows) sheet.addRow(row.map(toCell)).commit();
    },
    async finish() {
      sheet.commit();
      await workbook.commit();
      if (failure) throw failure;
    },
    abort() {
      out.destroy();
    },
  };
}
