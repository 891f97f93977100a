// Turns the readable lexicon (./lexicon.ts) into one Aho-Corasick automaton, at module load.
//
// Term syntax. Terms are written as French is written, accents included; they are folded
// exactly like tweets, so "réseau" matches "reseau" and "réseau".
//   space ' -   separate words; "plus d'internet" is plus + d + internet, so it also matches
//               "plus d internet". A hyphenated word also matches glued ("wi-fi", "wifi").
//   word*       the word or any continuation ("coupure*": coupure, coupures...); last word only
//   (a|b c)     alternatives, possibly of several words; `?` after `)` makes the group optional
//   e?          `?` after a letter: optional letter ("coupée?" = coupée, coupé)
//   #           any number in digits ("depuis # jours", "#h" = 3h or 48h, "#h#" = 15h30).
//               Number words are spelled out where they matter ("(deux|trois) jours").
//               A literal number must be one the matcher tells apart (symbols.ts): "48h"
//               stands for any whole days in hours (24h, 48h, 72h), "3244" for a helpline.
// Terms match whole words only: "nul" never fires inside "annuler".
//
// Why an automaton and not regexes: V8 runs a regex of a few thousand alternatives at
// several microseconds per tweet, and one regex per cue costs a full scan each; the
// automaton reads each character once.

import { foldText } from '../clean/fold.js';
import { buildAutomaton, type Automaton } from './automaton.js';
import { ALPHABET_SIZE, BOUNDARY, DAY_HOURS, FIRST_LETTER, numberSymbol, OTHER_NUMBER, signSymbol } from './symbols.js';

/** Split at the top-level `|` of a group body. */
function splitAlternatives(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body.charAt(i);
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

/** Every plain spelling of a (folded) term: groups and optional parts expanded. */
export function expandTerm(term: string): string[] {
  const open = term.indexOf('(');
  if (open >= 0) {
    let depth = 0;
    let close = open;
    for (; close < term.length; close++) {
      const ch = term.charAt(close);
      if (ch === '(') depth++;
      else if (ch === ')' && --depth === 0) break;
    }
    if (close >= term.length) throw new Error(`lexicon: unbalanced "(" in ${JSON.stringify(term)}`);
    const optional = term.charAt(close + 1) === '?';
    const head = term.slice(0, open);
    const tail = term.slice(close + (optional ? 2 : 1));
    const choices = splitAlternatives(term.slice(open + 1, close));
    if (optional) choices.push('');
    return choices.flatMap((choice) => expandTerm(head + choice + tail));
  }
  const optionalLetter = term.search(/[a-z]\?/);
  if (optionalLetter >= 0) {
    const head = term.slice(0, optionalLetter);
    const tail = term.slice(optionalLetter + 2);
    return [...expandTerm(head + term.charAt(optionalLetter) + tail), ...expandTerm(head + tail)];
  }
  return [term];
}

const SEPARATORS = /[\s'.,:;!?]+/;

/** The word sequences of one plain spelling: hyphenated words also glued, signs apart. */
function wordSequences(spelling: string): string[][] {
  const chunks = spelling.split(SEPARATORS).filter((c) => c.length > 0);
  // Most spellings have neither hyphens nor signs: one sequence, the words themselves.
  if (!/[-€+/%]/.test(spelling)) return chunks.length > 0 ? [chunks] : [];
  let sequences: string[][] = [[]];
  for (const chunk of chunks) {
    const parts = chunk.split('-').filter((p) => p.length > 0);
    const variants = (parts.length > 1 ? [parts, [parts.join('')]] : [parts]).map((words) =>
      words.flatMap((word) => word.split(/([€+/%])/).filter((w) => w.length > 0)),
    );
    sequences = sequences.flatMap((seq) => variants.map((v) => [...seq, ...v]));
  }
  return sequences.filter((seq) => seq.length > 0);
}

/** Symbols of one word; `#` stands for two number classes, hence one or two sequences. */
function encodeWord(word: string): number[][] {
  const sign = signSymbol(word);
  if (sign !== undefined) return [[sign]];
  if (!/^[a-z0-9#]+$/.test(word)) throw new Error(`lexicon: cannot match the word ${JSON.stringify(word)}`);
  let sequences: number[][] = [[]];
  for (const run of word.match(/[a-z]|\d+|#/g) ?? []) {
    let options: number[];
    if (run === '#') options = [OTHER_NUMBER, DAY_HOURS];
    else if (/\d/.test(run.charAt(0))) {
      const symbol = numberSymbol(Number(run), run.length);
      if (symbol === OTHER_NUMBER) throw new Error(`lexicon: write # for the number in ${JSON.stringify(word)}: the matcher does not tell ${run} apart`);
      options = [symbol];
    } else options = [FIRST_LETTER + run.charCodeAt(0) - 97];
    if (options.length === 1) for (const sequence of sequences) sequence.push(options[0] as number);
    else sequences = sequences.flatMap((seq) => options.map((symbol) => [...seq, symbol]));
  }
  return sequences;
}

/**
 * Symbol patterns of a word sequence: _w1_w2_, without the last boundary after a stem.
 * `codes` memoizes encodeWord: the expansions repeat the same words thousands of times.
 */
function encodeWords(words: readonly string[], codes: Map<string, number[][]>): number[][] {
  const perWord: number[][][] = [];
  let combinations = 1;
  words.forEach((raw, i) => {
    const stem = raw.endsWith('*');
    // The automaton has no loops: "any continuation" can only end a term.
    if (stem && i !== words.length - 1) throw new Error(`lexicon: "${raw}" must be the last word of its term: ${words.join(' ')}`);
    let encodings = codes.get(raw);
    if (encodings === undefined) {
      encodings = encodeWord(stem ? raw.slice(0, -1) : raw).map((symbols) => (stem ? symbols : [...symbols, BOUNDARY]));
      codes.set(raw, encodings);
    }
    perWord.push(encodings);
    combinations *= encodings.length;
  });
  if (combinations === 1) return [[BOUNDARY, ...perWord.flatMap((encodings) => encodings[0] as number[])]];
  let patterns: number[][] = [[BOUNDARY]];
  for (const options of perWord) patterns = patterns.flatMap((prefix) => options.map((symbols) => prefix.concat(symbols)));
  return patterns;
}

export interface CompiledLexicon<Name extends string> {
  readonly automaton: Automaton;
  /** Per pattern: the cues it counts for, its length in symbols, whether it hides what it spans. */
  readonly patternCues: readonly (readonly number[])[];
  readonly patternLength: Uint8Array;
  readonly patternSwallows: Uint8Array;
  readonly names: readonly Name[];
  /** Cue name -> index into the counts. */
  readonly index: Readonly<Record<Name, number>>;
  /** Per cue, its layer: the position of its lexicon in the list given to compileLexicon. */
  readonly cueLayer: Uint8Array;
  readonly layerCount: number;
}

/**
 * Compile lexicons (layers) into one automaton. A term listed under several cues ("urgent"
 * is a plea and a stake) is one pattern counting for all of them. Layers matter to the
 * matcher: at one word, only the longest term of each layer counts ("depuis 3 jours" is a
 * duration, not also "depuis 3"), while a topic word still counts under a longer incident
 * phrase. Terms of the `swallowing` cues (negations) hide the terms that start inside them:
 * "pas de problème" is no `problem`.
 */
export function compileLexicon<Name extends string>(
  layers: readonly Readonly<Partial<Record<Name, readonly string[]>>>[],
  swallowing: readonly Name[] = [],
): CompiledLexicon<Name> {
  const names: Name[] = [];
  const layerOf: number[] = [];
  const lexicon = {} as Record<Name, readonly string[]>;
  layers.forEach((layer, index) => {
    for (const [name, terms] of Object.entries(layer) as [Name, readonly string[]][]) {
      if (name in lexicon) throw new Error(`lexicon: cue ${name} is defined twice`);
      names.push(name);
      layerOf.push(index);
      lexicon[name] = terms;
    }
  });
  const spelled = names.map((name) =>
    lexicon[name].flatMap((term) => expandTerm(foldText(term.trim())).flatMap((spelling) => wordSequences(spelling))),
  );

  const codes = new Map<string, number[][]>();
  const byKey = new Map<string, number>();
  const patterns: number[][] = [];
  const cues: Set<number>[] = [];
  const swallows: boolean[] = [];
  spelled.forEach((sequences, cue) => {
    const swallowing_ = swallowing.includes(names[cue] as Name);
    for (const words of sequences) {
      for (const pattern of encodeWords(words, codes)) {
        if (pattern.length > 255) throw new Error(`lexicon: term too long: ${words.join(' ')}`);
        const key = String.fromCharCode(...pattern);
        let id = byKey.get(key);
        if (id === undefined) {
          id = patterns.length;
          byKey.set(key, id);
          patterns.push(pattern);
          cues.push(new Set());
          swallows.push(false);
        }
        (cues[id] as Set<number>).add(cue);
        if (swallowing_) swallows[id] = true;
      }
    }
  });

  return {
    automaton: buildAutomaton(patterns, ALPHABET_SIZE, BOUNDARY),
    patternCues: cues.map((set) => [...set].sort((a, b) => a - b)),
    patternLength: Uint8Array.from(patterns, (p) => p.length),
    patternSwallows: Uint8Array.from(swallows, (s) => (s ? 1 : 0)),
    names,
    index: Object.fromEntries(names.map((name, i) => [name, i])) as Record<Name, number>,
    cueLayer: Uint8Array.from(layerOf),
    layerCount: layers.length,
  };
}
