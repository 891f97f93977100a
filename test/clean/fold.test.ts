import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foldText } from '../../src/clean/fold.js';

/** The definition: per character, lower case, NFD without combining marks, ligatures and quotes. */
function reference(text: string): string {
  const extra: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss', '’': "'", '‘': "'", ʼ: "'", '´': "'", '`': "'" };
  return Array.from(text, (ch) => {
    const lower = ch.toLowerCase();
    return extra[lower] ?? lower.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  }).join('');
}

describe('foldText', () => {
  it('folds French text for matching', () => {
    assert.equal(foldText('Réseau COUPÉ à Noël, l’œil du cœur'), "reseau coupe a noel, l'oeil du coeur");
  });

  it('agrees with the NFD definition for every Latin, Greek and punctuation character', () => {
    const wrong: string[] = [];
    for (let code = 1; code < 0x2100; code++) {
      const text = `a${String.fromCharCode(code)}b`;
      if (foldText(text) !== reference(text)) wrong.push(`U+${code.toString(16).padStart(4, '0')}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('folds the rest of a text after a character the fast table lacks (€, –, œ)', () => {
    assert.equal(foldText('ÉTÉ – Cœur à 5€ L’ÉQUIPE'), "ete – coeur a 5€ l'equipe");
    assert.equal(foldText('ÉTÉ – Cœur à 5€ L’ÉQUIPE'), reference('ÉTÉ – Cœur à 5€ L’ÉQUIPE'));
  });

  it('leaves other scripts and emoji as they are', () => {
    assert.equal(foldText('panne 😡 Ｆ'), reference('panne 😡 Ｆ'));
  });
});
