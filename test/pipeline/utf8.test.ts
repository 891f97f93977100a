import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstInvalid, InvalidUtf8, utf8Checker } from '../../src/pipeline/utf8.js';

const offsetOf = (chunks: Buffer[]): number | undefined => {
  const checker = utf8Checker();
  try {
    for (const chunk of chunks) checker.check(chunk);
    checker.end();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof InvalidUtf8);
    return err.offset;
  }
};

test('the checker names the offset of the first bad byte, across chunk boundaries', () => {
  const ok = Buffer.from('id,text\n1,é à ç 😀\n');
  assert.equal(offsetOf([ok]), undefined);
  // A valid sequence cut by the chunking is not an error.
  assert.equal(offsetOf([ok.subarray(0, 13), ok.subarray(13)]), undefined);
  // A lone Latin-1 é (0xE9 then ASCII) in the second chunk.
  assert.equal(offsetOf([Buffer.from('abc'), Buffer.from([0x61, 0xe9, 0x62])]), 4);
  // A lead byte at the end of one chunk, and no continuation at the start of the next.
  assert.equal(offsetOf([Buffer.from([0x61, 0x62, 0xc3]), Buffer.from('x')]), 2);
  // Cut at the very end of the input.
  assert.equal(offsetOf([Buffer.from('abc'), Buffer.from([0xe2, 0x82])]), 3);
});

test('firstInvalid follows RFC 3629: overlongs, surrogates and bytes past U+10FFFF are invalid', () => {
  assert.equal(firstInvalid(Buffer.from('aé€😀')), Buffer.from('aé€😀').length);
  assert.equal(firstInvalid(Buffer.from([0x61, 0xc0, 0xaf])), 1); // overlong '/'
  assert.equal(firstInvalid(Buffer.from([0x61, 0x62, 0xed, 0xa0, 0x80])), 2); // a surrogate
  assert.equal(firstInvalid(Buffer.from([0xf4, 0x90, 0x80, 0x80])), 0); // past U+10FFFF
  assert.equal(firstInvalid(Buffer.from([0x61, 0x80])), 1); // a stray continuation byte
});
