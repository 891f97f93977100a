// NFKC and emoji removal, and the cheap test that spares both passes on most rows.

// Pictographs, flags, skin tones, keycaps, joiners and the other invisible format
// characters (variation selectors, bidi isolates, zero-width spaces) that emoji leave behind.
const EMOJI = /[\p{Extended_Pictographic}\p{Cf}\u{1F1E6}-\u{1F1FF}\u{1F3FB}-\u{1F3FF}\u20e3\ufe0e\ufe0f]/gu;

// Characters that NFKC may change, emoji and format characters, as ranges; everything else
// in the BMP (French letters, ’ “ ” « » – — € œ) needs neither pass. test/clean checks the
// ranges against normalize() and EMOJI for every BMP character.
const NEEDS_UNICODE_PASS =
  /[\u00a0-\u00aa\u00ad-\u00ba\u00bc-\u00be\u0132\u0133\u013f\u0140\u0149\u017f-\u2011\u2017\u2024-\u20a8\u20d0-\u33ff\ua66f-\uabed\ud800-\udfff\uf900-\ufffb]/;

/** Whether NFKC or emoji removal could change this text. */
export function needsUnicodePass(text: string): boolean {
  return NEEDS_UNICODE_PASS.test(text);
}

/** NFKC, then every emoji (sequence part) becomes a space. */
export function normalizeUnicode(text: string): string {
  return text.normalize('NFKC').replace(EMOJI, ' ');
}
