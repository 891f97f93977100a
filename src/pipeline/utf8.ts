import { Buffer, isUtf8 } from 'node:buffer';

/** Invalid UTF-8 at byte `offset` of the input (counted from its first byte). */
export class InvalidUtf8 extends TypeError {
  constructor(readonly offset: number) {
    super(`invalid UTF-8 at byte ${offset}`);
  }
}

/**
 * Checks UTF-8 input chunk by chunk without decoding it: csv-parse works on bytes, so a
 * UTF-8 file can go to it as read. Decoding to a string first only for csv-parse to encode
 * it back cost two passes over every byte. Throws InvalidUtf8 (a TypeError, like a fatal
 * TextDecoder) at the same chunk, with the offset of the first bad byte: a sequence cut at
 * a chunk's end waits for the next one, unless what arrived of it is already invalid.
 */
export function utf8Checker(): { check(chunk: Buffer): Buffer; end(): void } {
  let carry: Buffer | undefined;
  /** Input offset of the next `bytes[0]`: where the carry, if any, began. */
  let start = 0;
  return {
    check(chunk) {
      const bytes = carry ? Buffer.concat([carry, chunk]) : chunk;
      const cut = bytes.length - incompleteTail(bytes);
      const body = bytes.subarray(0, cut);
      // Only a failing chunk is walked byte by byte, to say where.
      if (!isUtf8(body)) throw new InvalidUtf8(start + firstInvalid(body));
      carry = cut < bytes.length ? bytes.subarray(cut) : undefined;
      if (carry) {
        // A fatal decoder in stream mode accepts exactly the valid beginnings of a sequence.
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(carry, { stream: true });
        } catch {
          throw new InvalidUtf8(start + cut);
        }
      }
      start += cut;
      return body;
    },
    end() {
      if (carry) throw new InvalidUtf8(start);
    },
  };
}

/** Length (0-3) of a multi-byte sequence begun but not finished at the end of `bytes`. */
function incompleteTail(bytes: Uint8Array): number {
  for (let k = 1; k <= 3 && k <= bytes.length; k++) {
    const byte = bytes[bytes.length - k] as number;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: its lead is further back
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > k ? k : 0;
  }
  return 0;
}

/** Index of the first byte of the first invalid sequence (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
export function firstInvalid(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const more = lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : 0;
    if (more === 0 || i + more >= bytes.length) return i;
    const second = bytes[i + 1] as number;
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    if (second < low || second > high) return i;
    for (let k = 2; k <= more; k++) if (((bytes[i + k] as number) & 0xc0) !== 0x80) return i;
    i += more + 1;
  }
  return bytes.length;
}
