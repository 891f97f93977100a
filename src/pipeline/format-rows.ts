// Labeled rows as output text: the input columns, then the label cells. Runs on the reading
// thread, which holds the rows; the engine sends only each row's result index.
import { Buffer } from 'node:buffer';
import type { LabelResult } from '../labels.js';
import type { RecordCopier } from './record-copy.js';
import { labelCells, type LabeledChunk } from './chunk.js';
import { csvWriter, isFormulaStart } from './csv-line.js';
import { DEFAULT_DIALECT, type CsvDialect } from './dialect.js';
import type { InputRow } from './read.js';
import { serializer, type OutputFormat } from './write.js';

/** Text or bytes for CSV and JSONL; the rows themselves for XLSX, which the sink encodes. */
export type RowFormatter = (rows: readonly InputRow[], labeled: LabeledChunk) => string | Buffer | unknown[][];

export interface FormatOptions {
  readonly format: OutputFormat;
  readonly columns: readonly string[];
  readonly dialect?: CsvDialect | undefined;
  /** The copier the input was read with, when its records may be copied as read (CSV output). */
  readonly copier?: RecordCopier | undefined;
}

/**
 * Whether a record's bytes can go out as read: not when a cell must be escaped as a formula
 * (a record holding a line break, which the input may have left unquoted, never gets here:
 * the reader gives it no span). Chosen once; it reads each cell's first character only.
 */
function copyCheck(escapeFormulas: boolean): (values: readonly unknown[]) => boolean {
  if (!escapeFormulas) return () => true;
  return (values) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as string;
      if (v.length > 0 && isFormulaStart(v.charCodeAt(0))) return false;
    }
    return true;
  };
}

/**
 * CSV: a row whose record bytes the copier holds is copied as read (same cells, maybe
 * quoted differently from how csv-stringify would, which any CSV reader reads alike),
 * unless a cell needs escaping; others (another encoding or delimiter, a record after a
 * skipped one or over several lines) are written anew. Chunks are formatted in input
 * order, so a chunk's bytes are released as soon as it is copied.
 */
export function rowFormatter(options: FormatOptions): RowFormatter {
  const { format, columns } = options;
  const dialect = options.dialect ?? DEFAULT_DIALECT;
  // Records are copied into a CSV output only: for the others, the copier stops keeping bytes.
  if (format !== 'csv') options.copier?.into(undefined);
  if (format === 'xlsx') return (rows, { codes, distinct }) => rows.map((row, i) => [...row.values, ...labelCells(distinct[codes[i]!]!)]);
  if (format === 'jsonl') {
    const serialize = serializer('jsonl', columns);
    return (rows, { codes, distinct }) => serialize(rows.map((row, i) => [...row.values, ...labelCells(distinct[codes[i]!]!)]));
  }
  const writer = csvWriter(dialect);
  const raw = options.copier?.into(dialect.delimiter);
  const copyable = copyCheck(dialect.escapeFormulas);
  // "<delimiter><label cells><eol>" per distinct result; a run has few (the engine shares equal results).
  let tails = new Map<string, Buffer>();
  const tailOf = (result: LabelResult): Buffer => {
    const text = writer.cells(labelCells(result));
    let bytes = tails.get(text);
    if (bytes === undefined) {
      if (tails.size >= 4096) tails = new Map(); // bounded when results are rarely shared
      bytes = Buffer.from(`${dialect.delimiter}${text}${dialect.eol}`);
      tails.set(text, bytes);
    }
    return bytes;
  };
  return (rows, { codes, distinct }) => {
    const rowTails = distinct.map(tailOf);
    // Sizes first, then one buffer: each row is either a span of `raw` or a string.
    const spans = new Float64Array(rows.length * 2);
    const fresh: (string | undefined)[] = new Array(rows.length);
    let size = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const span = raw && row.start >= 0 && copyable(row.values) ? raw.recordSpan(row.start, row.end) : undefined;
      if (span) {
        spans[2 * i] = span[0];
        spans[2 * i + 1] = span[1];
        size += span[1] - span[0];
      } else {
        const cells = row.values.length === 0 ? '' : writer.cells(row.values);
        fresh[i] = cells;
        size += Buffer.byteLength(cells);
      }
      const tail = rowTails[codes[i]!]!;
      // No input cell at all: the label cells start the line, without the delimiter.
      size += row.values.length === 0 ? tail.length - 1 : tail.length;
    }
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    for (let i = 0; i < rows.length; i++) {
      const cells = fresh[i];
      if (cells === undefined) at = raw!.copy(spans[2 * i]!, spans[2 * i + 1]!, out, at);
      else at += out.write(cells, at);
      const tail = rowTails[codes[i]!]!;
      at += tail.copy(out, at, rows[i]!.values.length === 0 ? 1 : 0);
    }
    // Later rows start after this chunk's last record: its bytes are no longer needed.
    if (rows.length > 0) raw?.release(rows[rows.length - 1]!.end);
    return out;
  };
}
