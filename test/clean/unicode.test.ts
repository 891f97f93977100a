import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsUnicodePass, normalizeUnicode } from '../../src/clean/unicode.js';

describe('needsUnicodePass', () => {
  it('lets through only BMP characters that NFKC and emoji removal leave unchanged', () => {
    const missed: string[] = [];
    for (let code = 0; code < 0x10000; code++) {
      const ch = String.fromCharCode(code);
      if (needsUnicodePass(ch)) continue;
      if (normalizeUnicode(ch) !== ch) missed.push(`U+${code.toString(16).padStart(4, '0')}`);
    }
    assert.deepEqual(missed, []);
  });

  it('skips the common French characters', () => {
    assert.equal(needsUnicodePass('déjà l’été « coupé » – 45 € œuvre'), false);
    assert.equal(needsUnicodePass('panne 😡'), true);
    assert.equal(needsUnicodePass('attente…'), true);
  });
});
