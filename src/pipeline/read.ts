import { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { atPosition, FmcError, ioReason } from '../errors.js';
import { batchReader } from './batch-reader.js';
import { uniqueColumnNames, type RenamedColumn } from './column-names.js';
import type { InputDialect } from './dialect.js';
import { openInputFile } from './input-file.js';
import { boundedLines } from './jsonl-lines.js';
import { countNewlines, lineInFile } from './line-of.js';
import { InvalidUtf8, utf8Checker } from './utf8.js';
import { transcodeUtf16, looksUtf16, utf16Bom } from './utf16.js';
import { AUTHOR_COLUMN_CANDIDATES } from '../clean/author.js';
import { findColumn, hasUtf8Bom, sniffCrlf, sniffDelimiter, sniffEncoding, TEXT_COLUMN_CANDIDATES } from './sniff.js';
import { looksLikeZip, openXlsxRows } from './xlsx-read.js';
import type { RecordCopier } from './record-copy.js';

export interface InputRow {
  /** 1-based line where the record starts (the header is line 1 in a CSV). */
  readonly line: number;
  readonly values: readonly unknown[];
  readonly text: string;
  readonly id: string | undefined;
  /**
   * Byte offsets of the record among the bytes given to the parser (with its line breaks),
   * for the record copier; -1 when it must be written anew: after a skipped record, or when
   * it spans lines (see openCsv).
   */
  readonly start: number;
  readonly end: number;
}

export interface InvalidRow {
  readonly line: number;
  readonly column?: number | undefined;
  readonly reason: string;
}

export type InputFormat = 'csv' | 'jsonl' | 'xlsx';

export interface ReadOptions {
  readonly format?: InputFormat | undefined;
  /** XLSX: the sheet to read, by name or 1-based number (default: the first). */
  readonly sheet?: string | undefined;
  readonly textColumn?: string | undefined;
  readonly idColumn?: string | undefined;
  /** Column naming each row's author (default: sniffed from AUTHOR_COLUMN_CANDIDATES; none is fine). */
  readonly authorColumn?: string | undefined;
  /** Skip malformed rows (counted and reported) instead of stopping. */
  readonly skipInvalid?: boolean | undefined;
  /** Force an encoding instead of sniffing it. */
  readonly encoding?: 'utf-8' | 'windows-1252' | undefined;
  /** Largest record in characters; bigger ones are an error (or skipped). */
  readonly maxRecordSize?: number | undefined;
  /**
   * Given by a caller whose output can take rows as read (a CSV output): a UTF-8 CSV input
   * hands it the bytes it parses (record-copy.ts).
   */
  readonly copier?: RecordCopier | undefined;
  /**
   * How the caller spells the column options in its error messages: the CLI's flags by
   * default (`--text-column <name>`, `--id-column`); over HTTP, query parameters.
   */
  readonly optionNames?: { readonly textColumn: string; readonly idColumn: string } | undefined;
}

const CLI_OPTION_NAMES = { textColumn: '--text-column <name>', idColumn: '--id-column' } as const;

export interface TweetSource {
  readonly name: string;
  readonly format: InputFormat;
  readonly encoding: string;
  /** CSV only: what the output mirrors by default. */
  readonly dialect?: InputDialect | undefined;
  /** Unique header names (see column-names.ts). */
  readonly columns: readonly string[];
  /** Header names that were repeated or empty, and what they became. */
  readonly renamedColumns: readonly RenamedColumn[];
  readonly textColumn: string;
  /** Position of the text column in `InputRow.values`. */
  readonly textIndex: number;
  /** Position of the author column in `InputRow.values`, -1 without one (clean/author.ts). */
  readonly authorIndex: number;
  /** The rows one by one; read either these or `batches`, not both. */
  readonly rows: AsyncIterable<InputRow>;
  /** The rows in arrays of up to `max` (what has been parsed already): one await per array. */
  batches(max: number): AsyncIterable<InputRow[]>;
  /** Malformed rows skipped so far (only with skipInvalid). */
  readonly invalid: InvalidRow[];
  bytesRead(): number;
  readonly totalBytes: number | undefined;
}

/** A row's author (its cell in the author column), or undefined without one. */
export function authorOf(row: Pick<InputRow, 'values'>, authorIndex: number): string | undefined {
  const cell = authorIndex < 0 ? undefined : row.values[authorIndex];
  return cell === undefined || cell === null ? undefined : String(cell);
}

export type SourceSpec = { readonly path: string } | { readonly stream: Readable; readonly name: string };

const HEAD_BYTES = 64 * 1024;
const DEFAULT_MAX_RECORD = 1024 * 1024;
// csv-parse's own size limit cannot resume after a skip (it swallows the rest of the file),
// so records are measured here and the parser's limit is only a memory backstop.
const PARSER_HARD_LIMIT = 64 * 1024 * 1024;
const PARSE_AHEAD = 2048;

/** Opens a CSV/JSONL file or stream and reads its header; rows are then streamed. */
export async function openTweetSource(spec: SourceSpec, options: ReadOptions = {}): Promise<TweetSource> {
  if (!('path' in spec)) return readTweetSource(spec.stream, spec.name, undefined, options);
  const input = await openInputFile(spec.path);
  const stream = input.handle.createReadStream({ highWaterMark: HEAD_BYTES });
  try {
    return await readTweetSource(stream, spec.path, input.size, options);
  } catch (err) {
    // Opened here, so closed here: the caller never sees the stream.
    stream.destroy();
    throw err;
  }
}

/** A NUL byte anywhere: the same error for the first block as for the last, with its line. */
function nulError(name: string, line: number, offset: number): FmcError {
  return new FmcError(
    'FMC_ERR_INPUT_BINARY',
    `${atPosition(name, line)}: not a text file (NUL byte at byte ${offset}); export the sheet as CSV, or remove the NUL bytes (tr -d '\\000')`,
  );
}

async function readTweetSource(stream: Readable, name: string, totalBytes: number | undefined, options: ReadOptions): Promise<TweetSource> {
  let bytes = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = await readHead(bytes, name);
  if (head.length === 0) throw new FmcError('FMC_ERR_INPUT_EMPTY', `${name}: file is empty (expected a header line, then one row per tweet)`);
  const format = options.format ?? formatOf(name, head);
  if (format === 'xlsx') return openXlsx({ name, format, encoding: 'xlsx', totalBytes }, head, bytes, options);

  // UTF-16 is read as the UTF-8 it becomes: the checks, the parser and the line count
  // below all see UTF-8 bytes, so a file can no longer be read twice to place an error.
  const utf16 = options.encoding ? undefined : utf16Bom(head);
  let rawBytes: (() => number) | undefined;
  let rereadable = totalBytes !== undefined;
  if (utf16) {
    const transcoded = transcodeUtf16(head, bytes, utf16);
    bytes = transcoded;
    rawBytes = transcoded.rawBytes;
    rereadable = false;
    try {
      head = await readHead(bytes, name);
    } catch (err) {
      throw err instanceof TypeError ? utf16Error(name, 1) : err;
    }
  }
  const nul = head.indexOf(0);
  if (nul >= 0) {
    const bomless = looksUtf16(head);
    if (bomless) {
      const from = bomless === 'utf-16le' ? 'UTF-16LE' : 'UTF-16BE';
      throw new FmcError('FMC_ERR_INPUT_ENCODING', `${name}: looks like UTF-16 without a byte-order mark; convert to UTF-8 with iconv -f ${from} -t UTF-8`);
    }
    throw nulError(name, countNewlines(head, 0, nul) + 1, nul);
  }

  const encoding = utf16 ?? options.encoding ?? sniffEncoding(head);
  const textEncoding = utf16 ? 'utf-8' : encoding;
  const headText = new TextDecoder(textEncoding).decode(hasUtf8Bom(head) ? head.subarray(3) : head);
  const delimiter = format === 'csv' ? sniffDelimiter(headText) : ',';
  // A UTF-16 input had a BOM (only those are read): its UTF-8 output gets one.
  const dialect: InputDialect = { delimiter, bom: utf16 !== undefined || hasUtf8Bom(head), crlf: sniffCrlf(headText), encoding };
  // What the parser reads, byte for byte (only UTF-8 reaches it as bytes), for a caller
  // that copies records as read.
  const tap = format === 'csv' ? options.copier?.open({ delimiter, utf8: textEncoding === 'utf-8' }) : undefined;
  let read = 0;
  // Newlines before the chunk being read, counted only when the input cannot be read again.
  let linesBefore = 0;
  const lineAt = async (offset: number, chunk: Buffer | undefined, chunkStart: number): Promise<number> => {
    if (rereadable) return lineInFile(name, offset);
    return 1 + linesBefore + (chunk ? countNewlines(chunk, 0, Math.max(0, offset - chunkStart)) : 0);
  };
  /**
   * The input for the parser, checked: UTF-8 bytes as they are (or, `asText`, as strings),
   * anything else decoded. A NUL or invalid UTF-8 stops it with the line where it is.
   */
  async function* decoded(asText: boolean): AsyncGenerator<string | Buffer> {
    const decoder = textEncoding === 'utf-8' ? undefined : new TextDecoder(textEncoding, { fatal: true, ignoreBOM: false });
    const utf8 = decoder ? undefined : utf8Checker();
    let chunk: Buffer | undefined = head;
    let chunkStart = 0;
    try {
      while (chunk !== undefined) {
        chunkStart = read;
        read += chunk.length;
        // One memchr per 64 KiB block, not a pass per row.
        const nulAt = chunk.indexOf(0);
        if (nulAt >= 0) throw nulError(name, await lineAt(chunkStart + nulAt, chunk, chunkStart), chunkStart + nulAt);
        if (utf8) {
          const checked = utf8.check(chunk);
          tap?.(checked);
          yield asText ? checked.toString('utf8') : checked;
        } else {
          yield decoder!.decode(chunk, { stream: true });
        }
        if (!rereadable) linesBefore += countNewlines(chunk);
        const next = await bytes.next();
        chunk = next.done ? undefined : next.value;
      }
      if (utf8) utf8.end();
      else yield decoder!.decode();
    } catch (err) {
      if (err instanceof InvalidUtf8) {
        const line = await lineAt(err.offset, chunk, chunkStart);
        throw new FmcError('FMC_ERR_INPUT_ENCODING', `${atPosition(name, line)}: invalid UTF-8 (byte ${err.offset}); re-save as UTF-8 or pass --encoding windows-1252`);
      }
      if (err instanceof TypeError && utf16) throw utf16Error(name, 1 + linesBefore);
      if (err instanceof FmcError || err instanceof TypeError) throw err;
      throw new FmcError('FMC_ERR_INPUT_TRUNCATED', `${name}: read failed after ${read} bytes: ${ioReason(err)}`);
    }
  }
  const base = { name, format, encoding, bytesRead: rawBytes ?? (() => read), totalBytes } as const;
  const maxRecordSize = options.maxRecordSize ?? DEFAULT_MAX_RECORD;
  return format === 'jsonl'
    ? openJsonl(base, decoded(true) as AsyncGenerator<string>, maxRecordSize, options)
    : openCsv(base, Readable.from(decoded(false)), dialect, options);
}

/** From the name's extension; a zip without one (stdin, an HTTP body) is a workbook. */
function formatOf(name: string, head: Buffer): InputFormat {
  if (/\.xlsx$/i.test(name) || (!/\.(csv|tsv|txt|jsonl?)$/i.test(name) && looksLikeZip(head))) return 'xlsx';
  return /\.jsonl?$/i.test(name) ? 'jsonl' : 'csv';
}

async function openXlsx(base: Pick<TweetSource, 'name' | 'format' | 'encoding' | 'totalBytes'>, head: Buffer, bytes: AsyncIterator<Buffer>, options: ReadOptions): Promise<TweetSource> {
  let read = 0;
  async function* all(): AsyncGenerator<Buffer> {
    for (let chunk: Buffer | undefined = head; chunk !== undefined; ) {
      read += chunk.length;
      yield chunk;
      const next = await bytes.next();
      chunk = next.done ? undefined : next.value;
    }
  }
  const input = Readable.from(all(), { objectMode: false });
  const sheet = await openXlsxRows(base.name, input, options, options.maxRecordSize ?? DEFAULT_MAX_RECORD);
  const { columns } = sheet;
  const { text: textIndex, id: idIndex, author: authorIndex } = columnIndexes(`${base.name} [${sheet.sheet}]`, columns, options);
  const rows = sheet.rows((line, values) => ({ line, values, text: String(values[textIndex]), id: idIndex < 0 ? undefined : String(values[idIndex]), start: -1, end: -1 }));
  return { ...base, bytesRead: () => read, columns, renamedColumns: sheet.renamed, textColumn: columns[textIndex]!, textIndex, authorIndex, rows, batches: (max) => batched(rows, max), invalid: sheet.invalid };
}

function utf16Error(name: string, line: number): FmcError {
  return new FmcError('FMC_ERR_INPUT_ENCODING', `${atPosition(name, line)}: invalid UTF-16 (a lone surrogate); convert to UTF-8 with iconv -f UTF-16 -t UTF-8`);
}

async function readHead(bytes: AsyncIterator<Buffer>, name: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    while (size < HEAD_BYTES) {
      const next = await bytes.next();
      if (next.done) break;
      parts.push(next.value);
      size += next.value.length;
    }
  } catch (err) {
    // A stream that fails with its own FmcError (the server's body-size limit) keeps it.
    if (err instanceof FmcError || err instanceof TypeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new FmcError('FMC_ERR_INPUT_NOT_FILE', `${name}: is a directory, not a CSV or JSONL file`);
    throw new FmcError('FMC_ERR_INPUT_TRUNCATED', `${name}: read failed: ${ioReason(err)}`);
  }
  return Buffer.concat(parts);
}

type SourceBase = Pick<TweetSource, 'name' | 'format' | 'encoding' | 'bytesRead' | 'totalBytes'>;

function columnIndexes(name: string, columns: readonly string[], options: ReadOptions): { text: number; id: number; author: number } {
  const text = findColumn(columns, options.textColumn, TEXT_COLUMN_CANDIDATES);
  const names = options.optionNames ?? CLI_OPTION_NAMES;
  if (text < 0) {
    const asked = options.textColumn ? `column "${options.textColumn}" not found` : `no text column (looked for ${TEXT_COLUMN_CANDIDATES.join(', ')})`;
    throw new FmcError('FMC_ERR_NO_TEXT_COLUMN', `${atPosition(name, 1)}: ${asked}; columns found: ${columns.map((c) => JSON.stringify(c)).join(', ')}; pass ${names.textColumn}`);
  }
  const id = options.idColumn === undefined ? -1 : findColumn(columns, options.idColumn, []);
  if (options.idColumn !== undefined && id < 0) {
    throw new FmcError('FMC_ERR_USAGE', `${atPosition(name, 1)}: ${names.idColumn} "${options.idColumn}" not found; columns found: ${columns.join(', ')}`);
  }
  const author = findColumn(columns, options.authorColumn, AUTHOR_COLUMN_CANDIDATES);
  if (options.authorColumn !== undefined && author < 0) {
    throw new FmcError('FMC_ERR_USAGE', `${atPosition(name, 1)}: --author-column "${options.authorColumn}" not found; columns found: ${columns.join(', ')}`);
  }
  return { text, id, author };
}

/** A row as the parser hands it over; its text is undefined until the header is read. */
interface ParsedRow {
  readonly line: number;
  readonly values: string[];
  text: string | undefined;
  id: string | undefined;
  readonly start: number;
  readonly end: number;
}

async function openCsv(base: SourceBase, text: Readable, dialect: InputDialect, options: ReadOptions): Promise<TweetSource> {
  const maxRecordSize = options.maxRecordSize ?? DEFAULT_MAX_RECORD;
  const csvOptions = {
    delimiter: dialect.delimiter,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: Math.max(PARSER_HARD_LIMIT, maxRecordSize),
    skip_records_with_error: options.skipInvalid === true,
  };
  // Records parsed ahead (the stream default is 16): the reading thread keeps parsing while
  // it waits on a write, instead of stalling on back-pressure every few rows. A stream
  // option, which csv-parse passes on but does not declare.
  const parser = parse(Object.assign(csvOptions, { readableHighWaterMark: PARSE_AHEAD }));
  // Line numbers must follow parse order: the parser runs ahead of the consumer, and on an
  // error the stream drops what it had buffered. csv-parse's on_record would give them, but
  // it builds an info object per record (half the parse time), so push is wrapped instead
  // and reads the one counter it needs.
  // Byte spans likewise: a record ends where the parser stands when it pushes it, and starts
  // where the one before ended, unless the parser skipped a malformed one in between.
  let parsedEnd = 0;
  let spanEnd = 0;
  let spanBroken = false;
  // Each record becomes its row object right here. Its text is picked once the header has
  // named the columns; records parsed ahead of that get it in `batches`.
  let textAt = -1;
  let idAt = -1;
  const push = parser.push.bind(parser);
  parser.push = (record: unknown): boolean => {
    if (record === null) return push(null);
    const line = parsedEnd + 1;
    parsedEnd = parser.info.lines;
    // A record over several lines holds a CR or LF, which the input may have left unquoted
    // (a lone CR in an LF file: csv-parse counts it as a line): copied as read, no reader
    // would see one record. Blank lines before a record count too, and cost only a rewrite.
    const start = spanBroken || parsedEnd > line ? -1 : spanEnd;
    spanEnd = parser.info.bytes;
    spanBroken = false;
    const values = record as string[];
    const row: ParsedRow = { line, values, text: textAt < 0 ? undefined : values[textAt], id: idAt < 0 ? undefined : values[idAt], start, end: spanEnd };
    return push(row);
  };
  const invalid: InvalidRow[] = [];
  parser.on('skip', (err: CsvError & { lines?: number; index?: number }) => {
    invalid.push({ line: parsedEnd + 1, column: err.index === undefined ? undefined : err.index + 1, reason: csvReason(err, maxRecordSize) });
    parsedEnd = err.lines ?? parsedEnd;
    spanBroken = true;
  });
  text.on('error', (err) => parser.destroy(err));
  text.pipe(parser);
  const records = batchReader<ParsedRow>(parser);

  const fail = (err: unknown): never => {
    if (err instanceof FmcError) throw err;
    const e = err as CsvError & { lines?: number; index?: number };
    if (typeof e.code === 'string' && (e.code.startsWith('CSV_') || e.code === 'INVALID_OPENING_QUOTE')) {
      throw new FmcError('FMC_ERR_CSV', `${atPosition(base.name, parsedEnd + 1, (e.index ?? 0) + 1)}: ${csvReason(e, maxRecordSize)}; fix the file or pass --skip-invalid`);
    }
    throw err;
  };

  let first;
  try {
    first = await records.next(1);
  } catch (err) {
    fail(err);
  }
  if (!first) throw new FmcError('FMC_ERR_INPUT_EMPTY', `${base.name}: no header line`);
  const { names: columns, renamed: renamedColumns } = uniqueColumnNames(first[0]!.values);
  const { text: textIndex, id: idIndex, author: authorIndex } = columnIndexes(base.name, columns, options);
  textAt = textIndex;
  idAt = idIndex;
  const width = columns.length;

  async function* batches(max: number): AsyncGenerator<InputRow[]> {
    try {
      for (let next = await records.next(max); next; next = await records.next(max)) {
        const batch: InputRow[] = [];
        for (const row of next) {
          const problem = checkRecord(row.values, width, maxRecordSize);
          if (problem) {
            if (options.skipInvalid) {
              invalid.push({ line: row.line, column: problem.column, reason: problem.reason });
              continue;
            }
            throw new FmcError('FMC_ERR_CSV', `${atPosition(base.name, row.line, problem.column)}: ${problem.reason}; fix the row or pass --skip-invalid`);
          }
          if (row.text === undefined) {
            row.text = row.values[textIndex];
            row.id = idIndex < 0 ? undefined : row.values[idIndex];
          }
          batch.push(row as InputRow);
        }
        if (batch.length > 0) yield batch;
      }
    } catch (err) {
      fail(err);
    }
  }
  return { ...base, dialect, columns, renamedColumns, textColumn: columns[textIndex]!, textIndex, authorIndex, rows: flatten(batches(ROW_BATCH)), batches, invalid };
}

// What `rows` reads at a time: small enough that a consumer that stops early (a failing
// row) leaves little parsed for nothing.
const ROW_BATCH = 64;

async function* flatten<T>(batches: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const batch of batches) yield* batch;
}

/** Arrays of up to `max` rows from a row-by-row source (JSONL: parsing a line is the cost). */
async function* batched<T>(items: AsyncIterable<T>, max: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= max) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function checkRecord(record: readonly string[], width: number, maxSize: number): { column: number; reason: string } | undefined {
  if (record.length !== width) {
    return { column: Math.min(record.length, width) + 1, reason: `row has ${record.length} fields, header has ${width} (ragged row)` };
  }
  for (let i = 0; i < record.length; i++) {
    if (record[i]!.length > maxSize) return { column: i + 1, reason: `field of ${record[i]!.length} characters, over the ${maxSize} limit (raise --max-record-size if it is real)` };
  }
  return undefined;
}

function csvReason(err: CsvError & { code?: string }, maxRecordSize: number): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'unbalanced quote: a quoted field opened here is never closed (input ended early?)';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'INVALID_OPENING_QUOTE':
      return 'stray quote inside a field (quote the whole field and double inner quotes: "")';
    case 'CSV_MAX_RECORD_SIZE':
      return `record larger than ${Math.max(PARSER_HARD_LIMIT, maxRecordSize)} characters`;
    default:
      return err.message.split('\n')[0]!;
  }
}

async function openJsonl(base: SourceBase, text: AsyncIterable<string>, maxRecordSize: number, options: ReadOptions): Promise<TweetSource> {
  // The limit holds while the line streams in: a line is never buffered whole to be measured.
  const lines = boundedLines(text, maxRecordSize);
  const invalid: InvalidRow[] = [];
  let lineNo = 0;
  // Known once the first object has named the columns: a later line without it is invalid,
  // not a row with an empty text.
  let textKey: string | undefined;
  const parseLine = (raw: string): Record<string, unknown> | string => {
    try {
      const value: unknown = JSON.parse(raw);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'line is not a JSON object';
      const text = textKey === undefined ? '' : (value as Record<string, unknown>)[textKey];
      if (typeof text !== 'string' && typeof text !== 'number') return `no "${textKey}" field with a text`;
      return value as Record<string, unknown>;
    } catch (err) {
      return (err as Error).message;
    }
  };
  const nextObject = async (): Promise<{ obj: Record<string, unknown>; line: number } | undefined> => {
    for (;;) {
      const next = await lines.next();
      if (next.done) return undefined;
      lineNo++;
      const { text: line, tooLong } = next.value;
      let parsed: Record<string, unknown> | string;
      if (line === undefined) {
        parsed = `line of ${tooLong} characters, over the ${maxRecordSize} limit (raise --max-record-size if it is real)`;
      } else {
        const raw = lineNo === 1 ? line.replace(/^\uFEFF/, '') : line;
        if (raw.trim() === '') continue;
        parsed = parseLine(raw);
      }
      if (typeof parsed !== 'string') return { obj: parsed, line: lineNo };
      if (!options.skipInvalid) throw new FmcError('FMC_ERR_JSONL', `${atPosition(base.name, lineNo)}: ${parsed}; fix the line or pass --skip-invalid`);
      invalid.push({ line: lineNo, reason: parsed });
    }
  };
  const first = await nextObject();
  if (!first) throw new FmcError('FMC_ERR_INPUT_EMPTY', `${base.name}: no JSON objects`);
  const columns = Object.keys(first.obj);
  const { text: textIndex, id: idIndex, author: authorIndex } = columnIndexes(base.name, columns, options);
  textKey = columns[textIndex];
  const toRow = ({ obj, line }: { obj: Record<string, unknown>; line: number }): InputRow => {
    const values = columns.map((c) => obj[c] ?? '');
    const id = idIndex < 0 ? undefined : String(values[idIndex]);
    return { line, values, text: String(values[textIndex]), id, start: -1, end: -1 };
  };
  async function* rows(): AsyncGenerator<InputRow> {
    yield toRow(first!);
    for (let next = await nextObject(); next; next = await nextObject()) yield toRow(next);
  }
  const all = rows();
  return { ...base, columns, renamedColumns: [], textColumn: columns[textIndex]!, textIndex, authorIndex, rows: all, batches: (max) => batched(all, max), invalid };
}
