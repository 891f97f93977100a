import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'csv-stringify/sync';
import { csvWriter, stringifyOptions, type LineDialect } from '../../src/pipeline/csv-line.js';

// The engine writes CSV without csv-stringify; its bytes must be the library's, in every dialect.
const DIALECTS: LineDialect[] = [
  { delimiter: ',', eol: '\n', escapeFormulas: false },
  { delimiter: ',', eol: '\n', escapeFormulas: true },
  { delimiter: ';', eol: '\r\n', escapeFormulas: true },
  { delimiter: '\t', eol: '\n', escapeFormulas: true },
  { delimiter: '|', eol: '\r\n', escapeFormulas: false },
];
const reference = (rows: unknown[][], dialect: LineDialect): string => stringify(rows, stringifyOptions(dialect));
const name = (d: LineDialect): string => JSON.stringify(d);

test('csvWriter writes what csv-stringify writes, for every kind of cell and dialect', () => {
  const rows: unknown[][] = [
    ['plain', '', 'a,b', 'a;b', 'a\tb', 'a|b', 'say "hi"', 'line\nbreak', 'cr\rhere', 'crlf\r\n', '"', ',', 'é ’ 😀', ' spaced '],
    [true, false, 0, -1.5, 0.125, NaN, null, undefined, '=1+2', '-3', '+3', '@x', '\tt', '\r=1', '＝1', "'quoted"],
    [{ a: 1 }, [1, 2], new Date(0), 12n, 'after', '=after'],
    [''],
    ['only'],
  ];
  for (const dialect of DIALECTS) assert.equal(csvWriter(dialect).lines(rows), reference(rows, dialect), name(dialect));
});

test('csvWriter matches csv-stringify on random strings of the characters that matter', () => {
  const alphabet = ['a', 'é', ' ', ',', '"', '\n', '\r', ';', '\t', '|', "'", '=', '+', '-', '@', '😀', '＠'];
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
  for (const dialect of DIALECTS) assert.equal(csvWriter(dialect).lines(rows), reference(rows, dialect), name(dialect));
});

test('a lone LF or CR is quoted with a CRLF line end too (csv-stringify alone would leave it bare)', () => {
  const line = csvWriter({ delimiter: ';', eol: '\r\n', escapeFormulas: true }).cells(['a\nb', 'c\rd']);
  assert.equal(line, '"a\nb";"c\rd"');
});
