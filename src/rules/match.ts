// Reads a folded tweet once through the lexicon automaton and counts the cues.

import { compileLexicon } from './compile.js';
import { LEXICON_LAYERS, type Cue } from './lexicon.js';
import { BOUNDARY, EURO, FIRST_LETTER, numberSymbol, PERCENT, PLUS, SLASH } from './symbols.js';

export type { Cue };

// Negations hide the problem words they contain ("pas de coupure" is not a coupure).
const COMPILED = compileLexicon<Cue>(LEXICON_LAYERS, ['noProblem']);
const { cueLayer, layerCount } = COMPILED;
const { delta, outStart, outList, alphabet, outputStates } = COMPILED.automaton;
const { patternCues, patternLength, patternSwallows } = COMPILED;
const CUE_COUNT = COMPILED.names.length;

/** Index of each cue in `Cues.counts`. */
export const CUE: Readonly<Record<Cue, number>> = COMPILED.index;

export interface Cues {
  /** Occurrences per cue, indexed by CUE. */
  readonly counts: Uint8Array;
  readonly questionMark: boolean;
  readonly exclamation: boolean;
}

// Character code -> symbol, for the whole BMP (charCodeAt never exceeds it): one load per
// character instead of range tests. Codes from SPECIAL up are resolved in the loop.
const SPECIAL = 250;
const QUESTION = 251;
const EXCLAMATION = 252;
const SIGN = 253;
const DIGIT = 254;
const CHAR_SYMBOL: Uint8Array = (() => {
  const table = new Uint8Array(0x10000).fill(BOUNDARY);
  for (let code = 97; code <= 122; code++) table[code] = FIRST_LETTER + code - 97;
  for (let code = 48; code <= 57; code++) table[code] = DIGIT;
  for (const sign of '+/%€') table[sign.charCodeAt(0)] = SIGN;
  table['?'.charCodeAt(0)] = QUESTION;
  table['!'.charCodeAt(0)] = EXCLAMATION;
  return table;
})();

function signOf(code: number): number {
  if (code === 0x2b) return PLUS;
  if (code === 0x2f) return SLASH;
  return code === 0x25 ? PERCENT : EURO;
}

// The symbols one character yields off the common path, read in order: a number that
// ends, then the character's own symbol, or a sign between two boundaries (up to four).
// Module scratch like the match arrays below: matchCues is synchronous.
const queue = new Uint8Array(4);

// Matches of one scan (pattern id, start in symbols), reused across calls: matchCues is
// synchronous, so they are never shared. A tweet has a few dozen matches at most.
let matchPattern: Uint32Array = new Uint32Array(64);
let matchStart: Uint32Array = new Uint32Array(64);

/** Record the patterns ending at `state` after `counted` symbols; returns the new total. */
function record(state: number, counted: number, found: number): number {
  const end = outStart[state + 1] as number;
  for (let o = outStart[state] as number; o < end; o++) {
    if (found === matchPattern.length) {
      matchPattern = growTo(matchPattern, found * 2);
      matchStart = growTo(matchStart, found * 2);
    }
    const pattern = outList[o] as number;
    matchPattern[found] = pattern;
    matchStart[found] = counted - (patternLength[pattern] as number);
    found++;
  }
  return found;
}

/**
 * Count the cues of a folded tweet. At each word only the longest terms of each layer
 * count ("depuis 3 jours" is a duration, not also "depuis 3"); terms starting inside a
 * longer one still count ("j'ai plus" and "plus d'internet"), except inside a negation.
 */
export function matchCues(folded: string): Cues {
  // The text as symbols: letters, BOUNDARY for anything else (runs read as one), one
  // symbol per digit run, signs as words of their own. Repeated boundaries leave the state
  // unchanged and are not counted, so a term's start is always (symbols counted at its
  // end) - (its length), even across "panne,  coupure".
  let state = delta[BOUNDARY] as number; // the text starts after a boundary: "_word..."
  let counted = 1;
  let found = 0;
  let digits = 0;
  let value = 0;
  let questionMark = false;
  let exclamation = false;
  const length = folded.length;
  for (let i = 0; i <= length; i++) {
    const code = i < length ? folded.charCodeAt(i) : 32;
    const symbol = CHAR_SYMBOL[code] as number;
    if (symbol < SPECIAL && digits === 0) {
      // The common case, a letter or a boundary: one transition.
      const next = delta[state * alphabet + symbol] as number;
      if (next !== state) {
        state = next;
        counted++;
        if (next < outputStates && next !== 0) found = record(next, counted, found);
      }
      continue;
    }
    if (symbol === DIGIT) {
      if (digits++ < 10) value = value * 10 + code - 48;
      continue;
    }
    let slot = 0;
    if (digits > 0) {
      queue[slot++] = numberSymbol(value, digits);
      digits = 0;
      value = 0;
    }
    if (symbol === SIGN) {
      queue[slot++] = BOUNDARY;
      queue[slot++] = signOf(code);
      queue[slot++] = BOUNDARY;
    } else {
      if (symbol === QUESTION) questionMark = true;
      else if (symbol === EXCLAMATION) exclamation = true;
      queue[slot++] = symbol < SPECIAL ? symbol : BOUNDARY;
    }
    for (let k = 0; k < slot; k++) {
      const next = delta[state * alphabet + (queue[k] as number)] as number;
      if (next !== state) {
        state = next;
        counted++;
        if (next < outputStates && next !== 0) found = record(next, counted, found);
      }
    }
  }
  return { counts: countMatches(found, counted + 1), questionMark, exclamation };
}

function growTo(array: Uint32Array, length: number): Uint32Array {
  const grown = new Uint32Array(length);
  grown.set(array);
  return grown;
}

// Per pattern, its cues as one flat list: cueList[cueStart[p] .. cueStart[p + 1]).
const cueStart = new Uint32Array(patternCues.length + 1);
patternCues.forEach((cues, pattern) => (cueStart[pattern + 1] = (cueStart[pattern] as number) + cues.length));
const cueList = Uint8Array.from(patternCues.flat());

// Scratch for countMatches: the longest pattern length per (start position, layer), zeroed
// again after each use, and the spans of the negations found (rarely more than one).
let longestAt = new Uint8Array(4096);
let hiddenFrom = new Uint32Array(16);
let hiddenTo = new Uint32Array(16);

/** Apply "longest term of each layer at each start" and negation hiding, then count the cues. */
function countMatches(found: number, symbolCount: number): Uint8Array {
  const counts = new Uint8Array(CUE_COUNT);
  if (longestAt.length < (symbolCount + 1) * layerCount) longestAt = new Uint8Array(2 * (symbolCount + 1) * layerCount);
  if (hiddenFrom.length < found) {
    hiddenFrom = new Uint32Array(2 * found);
    hiddenTo = new Uint32Array(2 * found);
  }
  let hidden = 0;
  for (let a = 0; a < found; a++) {
    const pattern = matchPattern[a] as number;
    const start = matchStart[a] as number;
    const length = patternLength[pattern] as number;
    const end = cueStart[pattern + 1] as number;
    for (let c = cueStart[pattern] as number; c < end; c++) {
      const slot = start * layerCount + (cueLayer[cueList[c] as number] as number);
      if (length > (longestAt[slot] as number)) longestAt[slot] = length;
    }
    if (patternSwallows[pattern] === 1) {
      hiddenFrom[hidden] = start;
      hiddenTo[hidden++] = start + length - 1;
    }
  }
  for (let a = 0; a < found; a++) {
    const pattern = matchPattern[a] as number;
    const start = matchStart[a] as number;
    let isHidden = false;
    for (let h = 0; h < hidden; h++) if (start > (hiddenFrom[h] as number) && start < (hiddenTo[h] as number)) isHidden = true;
    if (isHidden) continue;
    const length = patternLength[pattern] as number;
    const end = cueStart[pattern + 1] as number;
    for (let c = cueStart[pattern] as number; c < end; c++) {
      const cue = cueList[c] as number;
      if (length < (longestAt[start * layerCount + (cueLayer[cue] as number)] as number)) continue;
      if (counts[cue] !== 255) counts[cue] = (counts[cue] as number) + 1;
    }
  }
  for (let a = 0; a < found; a++) {
    const base = (matchStart[a] as number) * layerCount;
    for (let layer = 0; layer < layerCount; layer++) longestAt[base + layer] = 0;
  }
  return counts;
}
