// Twitter exports escape &, <, > (and sometimes quotes) as HTML entities: "&amp;gt;" would
// be a double escape, which we leave half-decoded rather than guess.

const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,8}));/g;

const NAMED: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  laquo: '«',
  raquo: '»',
  hellip: '…',
  euro: '€',
  rsquo: '’',
  lsquo: '‘',
  ndash: '–',
  mdash: '—',
};

function fromCodePoint(code: number, original: string): string {
  // Invalid code points (surrogates, > U+10FFFF, NUL) stay as written rather than throw.
  if (code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return original;
  return String.fromCodePoint(code);
}

/** Decode the HTML entities tweets carry (`&amp;` `&lt;` `&gt;` `&quot;` `&#39;` `&#x1F600;` ...). */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (match, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (dec !== undefined) return fromCodePoint(Number.parseInt(dec, 10), match);
    if (hex !== undefined) return fromCodePoint(Number.parseInt(hex, 16), match);
    return (name !== undefined ? NAMED[name.toLowerCase()] : undefined) ?? match;
  });
}
