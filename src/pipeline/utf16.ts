// UTF-16 input (what Excel's "Unicode text" export and some Windows tools write): read by
// turning it into UTF-8 as it streams, so everything after sees the bytes a UTF-8 file has.

export type Utf16 = 'utf-16le' | 'utf-16be';

/** The encoding its byte-order mark names, if `head` starts with one. */
export function utf16Bom(head: Uint8Array): Utf16 | undefined {
  if (head.length < 2) return undefined;
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

/**
 * UTF-16 without a byte-order mark, as far as the first bytes tell: text mostly in ASCII
 * has a NUL in every other byte (odd ones for little-endian). Only asked once NULs are found.
 */
export function looksUtf16(head: Uint8Array): Utf16 | undefined {
  const pairs = Math.min(head.length >> 1, 4096);
  if (pairs < 2) return undefined;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < pairs; i++) {
    if (head[2 * i] === 0) even++;
    if (head[2 * i + 1] === 0) odd++;
  }
  if (odd >= pairs * 0.4 && even === 0) return 'utf-16le';
  if (even >= pairs * 0.4 && odd === 0) return 'utf-16be';
  return undefined;
}

/**
 * `first`, then the rest of `bytes`, decoded from UTF-16 (its BOM dropped) and encoded as
 * UTF-8. A lone surrogate throws a TypeError, as a fatal decoder does. `rawBytes` counts
 * the input read, for progress against the file's size.
 */
export function transcodeUtf16(first: Buffer, bytes: AsyncIterator<Buffer>, encoding: Utf16): AsyncIterator<Buffer> & { rawBytes(): number } {
  let raw = 0;
  async function* run(): AsyncGenerator<Buffer> {
    const decoder = new TextDecoder(encoding, { fatal: true });
    for (let chunk: Buffer | undefined = first; chunk !== undefined; ) {
      raw += chunk.length;
      const text = decoder.decode(chunk, { stream: true });
      if (text.length > 0) yield Buffer.from(text, 'utf8');
      const next = await bytes.next();
      chunk = next.done ? undefined : next.value;
    }
    const tail = decoder.decode();
    if (tail.length > 0) yield Buffer.from(tail, 'utf8');
  }
  return Object.assign(run(), { rawBytes: () => raw });
}
