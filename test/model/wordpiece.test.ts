import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONTINUATION, learnWordPiece, preTokenize, SPECIAL_TOKENS } from '../../src/model/wordpiece.js';

// The WordPiece trainer behind the local model's tokenizer.

const CORPUS = ['panne de la box', 'la box est en panne', 'panne panne panne', 'merci pour la box', 'box box', 'débit lent'];

test('pre-tokenizing folds case, accents and curly apostrophes', () => {
  assert.deepEqual(preTokenize('Débit LENT’s'), preTokenize("debit lent's"));
  assert.ok(preTokenize('La BOX').includes('box'));
});

test('the vocabulary: special tokens, then every character as a start and as a ##continuation, then merges', () => {
  const vocab = learnWordPiece(CORPUS, { vocabSize: 1000, minFrequency: 2 });
  assert.deepEqual(vocab.slice(0, SPECIAL_TOKENS.length), [...SPECIAL_TOKENS]);
  assert.equal(new Set(vocab).size, vocab.length, 'no token twice');
  // Every word of the corpus can be spelled: its first letter, then ## letters.
  for (const word of CORPUS.flatMap(preTokenize)) {
    assert.ok(vocab.includes(word[0]!), `${word[0]} as a word start`);
    for (const ch of word.slice(1)) assert.ok(vocab.includes(CONTINUATION + ch), `${CONTINUATION}${ch}`);
  }
  // Frequent words are merged whole: "panne" (5 times) and "box" (6 times).
  assert.ok(vocab.includes('panne') && vocab.includes('box'), vocab.join(' '));
  // A pair seen once ("lent" appears once) is never merged under minFrequency 2.
  assert.ok(!vocab.includes('lent'));
});

test('the size limit holds, merges come most frequent first, and the result is deterministic', () => {
  const full = learnWordPiece(CORPUS, { vocabSize: 1000 });
  const base = full.findIndex((t, i) => i >= SPECIAL_TOKENS.length && t.length > 1 && !t.startsWith(CONTINUATION));
  const small = learnWordPiece(CORPUS, { vocabSize: base + 2 });
  assert.equal(small.length, base + 2);
  assert.deepEqual(small, full.slice(0, base + 2), 'a smaller vocabulary is a prefix of a larger one');
  assert.deepEqual(learnWordPiece([...CORPUS].reverse(), { vocabSize: 1000 }), full, 'input order does not change it');
});
