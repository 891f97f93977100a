/** A JSONL line, or the length of one over the limit (its text not kept). */
export type BoundedLine = { readonly text: string; readonly tooLong?: undefined } | { readonly text?: undefined; readonly tooLong: number };

/**
 * The lines of a text stream (`\n` or `\r\n`), none longer than `max` characters in memory:
 * a longer one is measured as it streams by and dropped, so a 300 MB line costs no more
 * than a short one and the line after it is read as usual.
 */
export async function* boundedLines(chunks: AsyncIterable<string>, max: number): AsyncGenerator<BoundedLine> {
  let parts: string[] = [];
  let size = 0;
  let over = false;
  const add = (piece: string): void => {
    if (piece.length === 0) return;
    size += piece.length;
    if (over) return;
    if (size > max) {
      over = true;
      parts = [];
      return;
    }
    parts.push(piece);
  };
  const take = (): BoundedLine => {
    let line: BoundedLine;
    if (over) {
      line = { tooLong: size };
    } else {
      const text = parts.length === 0 ? '' : parts.length === 1 ? parts[0]! : parts.join('');
      line = { text: text.endsWith('\r') ? text.slice(0, -1) : text };
    }
    parts = [];
    size = 0;
    over = false;
    return line;
  };
  for await (const chunk of chunks) {
    let from = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', from)) {
      add(chunk.slice(from, nl));
      from = nl + 1;
      yield take();
    }
    add(chunk.slice(from));
  }
  if (size > 0) yield take();
}
