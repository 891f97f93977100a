import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'csv-stringify/sync';
import { csvLines } from '../../src/pipeline/csv-line.js';

// The engine writes CSV without csv-stringify; its bytes must be the library's.
const reference = (rows: unknown[][]): string => stringify(rows, { cast: { boolean: (v) => String(v) } });

test('csvLines writes what csv-stringify writes, for every kind of cell', () => {
  const rows: unknown[][] = [
    ['plain', '', 'a,b', 'say "hi"', 'line\nbreak', 'cr\rhere', '"', ',', 'é ’ 😀', ' spaced '],
    [true, false, 0, -1.5, 0.125, NaN, null, undefined, '=1+2', '-3', '@x', '\tt'],
    [{ a: 1 }, [1, 2], new Date(0), 12n, 'after'],
    [''],
    ['only'],
  ];
  assert.equal(csvLines(rows), reference(rows));
});

test('csvLines matches csv-stringify on random strings of the characters that matter', () => {
  const alphabet = ['a', 'é', ' ', ',', '"', '\n', '\r', ';', '\t', "'", '😀'];
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const rows: string[][] = [];
  for (let r = 0; r < 500; r++) {
    const row: string[] = [];
    for (let c = 1 + random(4); c > 0; c--) {
      let cell = '';
      for (let k = random(8); k > 0; k--) cell += alphabet[random(alphabet.length)];
      row.push(cell);
    }
    rows.push(row);
  }
  assert.equal(csvLines(rows), reference(rows));
});
