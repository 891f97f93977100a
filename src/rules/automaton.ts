// A generic Aho-Corasick automaton over small integer symbols: every pattern is found in one
// left-to-right pass, one typed-array lookup per symbol. Built once at module load.

export interface Automaton {
  /** Symbols are 0..alphabet-1. */
  readonly alphabet: number;
  /** delta[state * alphabet + symbol] = next state; state 0 is the root. */
  readonly delta: Uint16Array;
  /**
   * States where patterns end are numbered 1..outputStates-1, so the scan loop tests
   * `state < outputStates` instead of loading a flag. Their patterns:
   * outList[outStart[s] .. outStart[s + 1]).
   */
  readonly outputStates: number;
  readonly outStart: Uint32Array;
  readonly outList: Uint32Array;
}

/**
 * Build the automaton of `patterns` (symbol sequences); pattern ids are their indexes.
 * A run of the `repeatable` symbol reads as one (no pattern may contain it twice in a row):
 * after it, reading it again stays put, so the scan loop needs no "previous symbol" test.
 */
export function buildAutomaton(patterns: readonly (readonly number[])[], alphabet: number, repeatable?: number): Automaton {
  // Trie of the patterns, as one flat table (-1: no edge); a trie has at most one state per
  // pattern symbol plus the root.
  const capacity = patterns.reduce((sum, pattern) => sum + pattern.length, 1);
  const trie = new Int32Array(capacity * alphabet).fill(-1);
  const incoming = new Int32Array(capacity).fill(-1);
  const own: number[][] = [[]];
  let states = 1;
  patterns.forEach((pattern, id) => {
    let state = 0;
    for (const symbol of pattern) {
      let target = trie[state * alphabet + symbol] as number;
      if (target < 0) {
        target = states++;
        trie[state * alphabet + symbol] = target;
        incoming[target] = symbol;
        own.push([]);
      }
      state = target;
    }
    (own[state] as number[]).push(id);
  });
  if (states > 0xffff) throw new Error(`lexicon too large for the rules automaton: ${states} states`);

  // Breadth-first: failure links, completed transitions and inherited outputs.
  const delta = new Uint16Array(states * alphabet);
  const fail = new Int32Array(states);
  const outputs: number[][] = own;
  const queue = new Int32Array(states);
  let tail = 0;
  for (let symbol = 0; symbol < alphabet; symbol++) {
    const target = trie[symbol] as number;
    if (target > 0) {
      delta[symbol] = target;
      queue[tail++] = target;
    }
  }
  for (let head = 0; head < tail; head++) {
    const state = queue[head] as number;
    const failBase = (fail[state] as number) * alphabet;
    for (let symbol = 0; symbol < alphabet; symbol++) {
      const target = trie[state * alphabet + symbol] as number;
      if (target < 0) {
        delta[state * alphabet + symbol] = delta[failBase + symbol] as number;
        continue;
      }
      delta[state * alphabet + symbol] = target;
      const targetFail = delta[failBase + symbol] as number;
      fail[target] = targetFail;
      const inherited = outputs[targetFail] as number[];
      if (inherited.length > 0) (outputs[target] as number[]).push(...inherited);
      queue[tail++] = target;
    }
  }

  if (repeatable !== undefined) {
    for (let state = 1; state < states; state++) if (incoming[state] === repeatable) delta[state * alphabet + repeatable] = state;
  }

  // Renumber: root, then the states with outputs, then the rest.
  const order: number[] = [0];
  for (let state = 1; state < states; state++) if ((outputs[state] as number[]).length > 0) order.push(state);
  const outputStates = order.length;
  for (let state = 1; state < states; state++) if ((outputs[state] as number[]).length === 0) order.push(state);
  const rename = new Uint16Array(states);
  order.forEach((old, renamed) => (rename[old] = renamed));
  const renamedDelta = new Uint16Array(states * alphabet);
  order.forEach((old, renamed) => {
    for (let symbol = 0; symbol < alphabet; symbol++) {
      renamedDelta[renamed * alphabet + symbol] = rename[delta[old * alphabet + symbol] as number] as number;
    }
  });

  const outStart = new Uint32Array(outputStates + 1);
  let total = 0;
  for (let renamed = 0; renamed < outputStates; renamed++) {
    outStart[renamed] = total;
    total += (outputs[order[renamed] as number] as number[]).length;
  }
  outStart[outputStates] = total;
  const outList = new Uint32Array(total);
  for (let renamed = 0; renamed < outputStates; renamed++) outList.set(outputs[order[renamed] as number] as number[], outStart[renamed] as number);
  return { alphabet, delta: renamedDelta, outputStates, outStart, outList };
}
