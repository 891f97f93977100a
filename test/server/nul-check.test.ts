import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { findNul } from '../../src/server/nul-check.js';

test('findNul names the first string or key holding a NUL in what a parser built, and walks nothing else (a stream body points back at itself)', () => {
  assert.equal(findNul({ items: [{ text: 'ok' }, { text: 'a\u0000b' }] }, 'body'), 'body.items[1].text');
  assert.equal(findNul({ ['k\u0000']: 1 }, 'query'), 'query');
  assert.equal(findNul(Object.assign(Object.create(null) as object, { id: 'x\u0000' }), 'params'), 'params.id');
  assert.equal(findNul({ texts: ['plus de connexion', 'é 🙂'] }, 'body'), undefined);
  assert.equal(findNul(undefined, 'body'), undefined);
  // A text/csv upload stays a stream: not walked (its objects form cycles), nor is a buffer.
  const stream = new PassThrough();
  stream.write('a\u0000b');
  assert.equal(findNul(stream, 'body'), undefined);
  assert.equal(findNul(Buffer.from('a\u0000b'), 'body'), undefined);
  // Deep nesting is walked without recursion.
  let deep: unknown = 'x\u0000';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.match(findNul(deep, 'body') ?? '', /^body(\[0\]){100000}$/);
});
