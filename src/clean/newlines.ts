// The sample data lost its line breaks: each "\n" became a bare "n" glued to its
// neighbours ("bonjournje" = "bonjour\nje", "nnretrouvez" = "\n\nretrouvez"). Only the
// patterns that no real French word produces are repaired; the rest is left as written.
// No `u` flag and no lookbehind below: this runs on every row and those made it 10x slower.

// A run of n right after sentence punctuation: "disponible.nje", "?nnmerci", "!non a".
// After punctuation "non"/"net" proved to be "\non"/"\net" in the sample, so the whole run
// goes, except before words whose n is not optional ("niveau" would become "iveau").
const AFTER_PUNCT = /([.!?:;…)\]»"])n+(?=[a-zà-ÿ])(?!iveau|ouve|ormal|ombre|uit|ul\b)/g;

// At a word start: "nn" + letter ("nnje"), or one n + a consonant ("nje", "nc'est",
// "nplus"): no French word starts that way. Acronyms that do ("nro", "nperf") are kept.
const WORD_START = /(^|[\s(«"'’,[])(n+)([a-zà-ÿ]+)/g;
const CONSONANT = /^[bcdfgjklmpqrstvwxzç]/;
const N_ACRONYMS: ReadonlySet<string> = new Set(['nro', 'nra', 'nperf', 'ntm', 'nfc', 'nba', 'nfl', 'nrj', 'nvidia', 'nft', 'nsfw', 'ncis', 'nhs', 'nyc']);

function fixWordStart(match: string, before: string, ns: string, rest: string): string {
  if (ns.length >= 2) return before + rest;
  if (!CONSONANT.test(rest) || N_ACRONYMS.has('n' + rest)) return match;
  return before + rest;
}

// Glued inside a token, only before the words that open most lines of these tweets:
// "bonjournje", "prochennmerci". No French word has n + one of these at its end.
const GLUED = /([a-zà-ÿ]{3})n+(?=(?:je|j'|j’|merci|vous|bonjour|cordialement|retrouvez|pourquoi|depuis)(?![a-zà-ÿ]))/g;

/** Undo the "\n" -> "n" mangling where it is unambiguous; other text is unchanged. */
export function repairNewlines(text: string): string {
  return text.replace(AFTER_PUNCT, '$1 ').replace(WORD_START, fixWordStart).replace(GLUED, '$1 ');
}
