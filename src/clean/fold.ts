// Accent folding for matching only: the lexicon is folded the same way at compile time, so
// "réseau", "reseau" and "RÉSEAU" all meet on "reseau". Never shown to people.

// Combining diacritical marks left by NFD. A plain BMP range (no `u` flag, no \p{M}) keeps
// this the cheapest pass of the cleaner; other scripts' marks are irrelevant to French.
const COMBINING_MARKS = /[\u0300-\u036f]/g;
// Characters NFD does not decompose but French writers use as variants of ASCII.
const LIGATURES = /[œæß’‘ʼ`´]/g;
const LIGATURE_MAP: Readonly<Record<string, string>> = {
  œ: 'oe',
  æ: 'ae',
  ß: 'ss',
  '’': "'",
  '‘': "'",
  ʼ: "'",
  '`': "'",
  '´': "'",
};
const NON_ASCII = /[^\x00-\x7f]/;

/** Lower-case, strip accents, fold typographic apostrophes and the œ/æ ligatures. */
export function foldText(text: string): string {
  const lower = text.toLowerCase();
  // Most tweets have at least one accent, but skipping NFD for pure-ASCII ones is free.
  if (!NON_ASCII.test(lower)) return lower.replaceAll('`', "'");
  return lower
    .normalize('NFD')
    .replace(COMBINING_MARKS, '')
    .replace(LIGATURES, (ch) => LIGATURE_MAP[ch] ?? ch);
}
