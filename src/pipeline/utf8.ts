import { Buffer, isUtf8 } from 'node:buffer';

/**
 * Checks UTF-8 input chunk by chunk without decoding it: csv-parse works on bytes, so a
 * UTF-8 file can go to it as read. Decoding to a string first only for csv-parse to encode
 * it back cost two passes over every byte. Throws TypeError, like a fatal TextDecoder, at
 * the same chunk: a sequence cut at a chunk's end waits for the next one, unless what
 * arrived of it is already invalid.
 */
export function utf8Checker(): { check(chunk: Buffer): Buffer; end(): void } {
  let carry: Buffer | undefined;
  return {
    check(chunk) {
      const bytes = carry ? Buffer.concat([carry, chunk]) : chunk;
      const cut = bytes.length - incompleteTail(bytes);
      carry = cut < bytes.length ? bytes.subarray(cut) : undefined;
      const body = bytes.subarray(0, cut);
      if (!isUtf8(body)) throw new TypeError('invalid UTF-8');
      // A fatal decoder in stream mode accepts exactly the valid beginnings of a sequence.
      if (carry) new TextDecoder('utf-8', { fatal: true }).decode(carry, { stream: true });
      return body;
    },
    end() {
      if (carry) throw new TypeError('UTF-8 sequence cut at the end of the input');
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
