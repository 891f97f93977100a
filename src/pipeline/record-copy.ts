// The raw-bytes fast path, in one place. A labeled row is its input record plus the label
// cells, so a UTF-8 CSV row going to a CSV output with the input's delimiter is written as
// its record's bytes, as read, and the label cells: no input field is re-quoted or encoded
// again (the largest share of a rules run's work after parsing itself). The copier is made
// by whoever knows the output (only a CSV output wants one); the reader hands it the bytes
// it gives the parser and each row its span; the CSV formatter (format-rows.ts) copies the
// records from it and releases them once copied. Nothing else holds the bytes.

const CR = 0x0d;
const LF = 0x0a;

/** The input bytes the CSV parser has seen, kept until the rows they hold are written. */
export class ByteLog {
  private readonly chunks: Buffer[] = [];
  /** Absolute offset of each chunk in `chunks`. */
  private readonly starts: number[] = [];
  private total = 0;
  /** Index in `chunks` of the last lookup: rows are copied in input order. */
  private cursor = 0;

  /** Records the next bytes given to the parser; offsets count from the first byte given. */
  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.starts.push(this.total);
    this.total += chunk.length;
  }

  /** Forgets the bytes before `offset`: no row still to be written starts before it. */
  release(offset: number): void {
    let drop = 0;
    while (drop < this.chunks.length && this.starts[drop]! + this.chunks[drop]!.length <= offset) drop++;
    if (drop === 0) return;
    this.chunks.splice(0, drop);
    this.starts.splice(0, drop);
    this.cursor = 0;
  }

  /** Index of the chunk holding `offset` (which must be held). */
  private locate(offset: number): number {
    let c = this.cursor < this.chunks.length && this.starts[this.cursor]! <= offset ? this.cursor : 0;
    while (this.starts[c]! + this.chunks[c]!.length <= offset) c++;
    this.cursor = c;
    return c;
  }

  private byteAt(offset: number): number {
    const c = this.locate(offset);
    return this.chunks[c]![offset - this.starts[c]!]!;
  }

  /**
   * The record's bytes in [start, end) without the line breaks around it: the empty lines
   * the parser skipped before it and its own record delimiter (`\n`, `\r\n` or `\r`).
   * Returns undefined when those bytes are not held (released, or never appended).
   */
  recordSpan(start: number, end: number): [number, number] | undefined {
    const first = this.starts[0];
    if (first === undefined || start < first || end > this.total || start > end) return undefined;
    let from = start;
    let to = end;
    while (from < to && isBreak(this.byteAt(from))) from++;
    if (to > from && this.byteAt(to - 1) === LF) to--;
    if (to > from && this.byteAt(to - 1) === CR) to--;
    return [from, to];
  }

  /** Copies the held bytes [from, to) into `target` at `at`; returns the offset after them. */
  copy(from: number, to: number, target: Buffer, at: number): number {
    let out = at;
    let offset = from;
    while (offset < to) {
      const c = this.locate(offset);
      const chunk = this.chunks[c]!;
      const local = offset - this.starts[c]!;
      const take = Math.min(chunk.length - local, to - offset);
      out += chunk.copy(target, out, local, local + take);
      offset += take;
    }
    return out;
  }
}

function isBreak(byte: number): boolean {
  return byte === LF || byte === CR;
}

export interface RecordCopier {
  /**
   * Reader side, once the input is sniffed: where the bytes given to the parser go, or
   * undefined when records cannot be copied (the parser does not read the input's own
   * bytes: another encoding).
   */
  open(input: { readonly delimiter: string; readonly utf8: boolean }): ((chunk: Buffer) => void) | undefined;
  /**
   * Writer side, once the output is chosen: the held bytes when records can be copied into
   * a CSV with `delimiter` (undefined: not a CSV output), else undefined, and nothing more
   * is kept. The writer releases what it has copied.
   */
  into(delimiter: string | undefined): ByteLog | undefined;
}

export function createRecordCopier(): RecordCopier {
  let log: ByteLog | undefined;
  let inputDelimiter: string | undefined;
  return {
    open(input) {
      if (!input.utf8) return undefined;
      log = new ByteLog();
      inputDelimiter = input.delimiter;
      return (chunk) => log?.append(chunk);
    },
    into(delimiter) {
      // A record holds the input's delimiter between its cells: another one needs new cells.
      if (delimiter !== inputDelimiter) log = undefined;
      return log;
    },
  };
}
