import { createReadStream } from 'node:fs';

// Which line a byte offset of the input is on, for errors found below the parser (a NUL,
// invalid UTF-8). Counting as the bytes go by would cost the hot path a pass over every
// byte; a file is read again instead, and only streams (stdin, a pipe, an HTTP body),
// which cannot be, count as they go.

/** Number of `\n` bytes in bytes[from, to). */
export function countNewlines(bytes: Buffer, from = 0, to = bytes.length): number {
  let n = 0;
  for (let i = bytes.indexOf(10, from); i >= 0 && i < to; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

/** The 1-based line of byte `offset` of the file at `path`, by reading up to it again. */
export async function lineInFile(path: string, offset: number): Promise<number> {
  let line = 1;
  if (offset <= 0) return line;
  for await (const chunk of createReadStream(path, { start: 0, end: offset - 1 })) line += countNewlines(chunk as Buffer);
  return line;
}
