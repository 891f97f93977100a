// Labeled rows as output text: the input columns, then the label cells. Runs on the reading
// thread, which holds the rows; the engine sends only each row's result index.
import { Buffer } from 'node:buffer';
import type { LabelResult } from '../labels.js';
import type { ByteLog } from './byte-log.js';
import { labelCells, type LabeledChunk } from './chunk.js';
import { csvCells } from './csv-line.js';
import type { InputRow } from './read.js';
import { serializer, type OutputFormat } from './write.js';

export type RowFormatter = (rows: readonly InputRow[], labeled: LabeledChunk) => string | Buffer;

/**
 * CSV: a row whose record bytes `raw` still holds is copied as read (same cells, maybe
 * quoted differently from how csv-stringify would, which any CSV reader reads alike);
 * others (another encoding or delimiter, a record after a skipped one) are written anew.
 */
export function rowFormatter(format: OutputFormat, columns: readonly string[], raw: ByteLog | undefined): RowFormatter {
  if (format === 'jsonl') {
    const serialize = serializer('jsonl', columns);
    return (rows, { codes, distinct }) => serialize(rows.map((row, i) => [...row.values, ...labelCells(distinct[codes[i]!]!)]));
  }
  // ",<label cells>\n" per distinct result; a run has few (the engine shares equal results).
  let tails = new Map<string, Buffer>();
  const tailOf = (result: LabelResult): Buffer => {
    const text = csvCells(labelCells(result));
    let bytes = tails.get(text);
    if (bytes === undefined) {
      if (tails.size >= 4096) tails = new Map(); // bounded when results are rarely shared
      bytes = Buffer.from(`,${text}\n`);
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
      const span = raw && row.start >= 0 ? raw.recordSpan(row.start, row.end) : undefined;
      if (span) {
        spans[2 * i] = span[0];
        spans[2 * i + 1] = span[1];
        size += span[1] - span[0];
      } else {
        const cells = row.values.length === 0 ? '' : csvCells(row.values);
        fresh[i] = cells;
        size += Buffer.byteLength(cells);
      }
      const tail = rowTails[codes[i]!]!;
      // No input cell at all: the label cells start the line, without the comma.
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
    return out;
  };
}
