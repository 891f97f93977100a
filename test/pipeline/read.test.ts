import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { FmcError } from '../../src/errors.js';
import { openTweetSource, type InputRow, type ReadOptions, type SourceSpec } from '../../src/pipeline/read.js';
import { findColumn, sniffDelimiter, sniffEncoding } from '../../src/pipeline/sniff.js';
import { fixture, tempDir } from '../helpers.js';

async function readAll(spec: SourceSpec, options: ReadOptions = {}): Promise<{ rows: InputRow[]; columns: readonly string[]; invalid: unknown[]; encoding: string }> {
  const source = await openTweetSource(spec, options);
  const rows: InputRow[] = [];
  for await (const row of source.rows) rows.push(row);
  return { rows, columns: source.columns, invalid: source.invalid, encoding: source.encoding };
}

async function failure(promise: Promise<unknown>): Promise<FmcError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof FmcError, `expected FmcError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), 'error message is one line');
    return err;
  }
  assert.fail('expected a failure');
}

test('sniffs comma, semicolon and tab delimiters from the header, ignoring quoted ones', () => {
  assert.equal(sniffDelimiter('id,text\n1,a'), ',');
  assert.equal(sniffDelimiter('id;text;author\n'), ';');
  assert.equal(sniffDelimiter('id\ttext\n'), '\t');
  assert.equal(sniffDelimiter('"a;b;c",text\n'), ',');
});

test('text column is the first known name, case-insensitive, unless one is asked for', () => {
  assert.equal(findColumn(['id', 'Full_Text', 'Text'], undefined, ['text', 'full_text']), 2);
  assert.equal(findColumn(['id', 'Texte'], undefined, ['text', 'texte']), 1);
  assert.equal(findColumn(['id', 'body'], 'BODY', []), 1);
});

test('invalid UTF-8 is sniffed as windows-1252', () => {
  assert.equal(sniffEncoding(Buffer.from('Plus de réseau', 'utf8')), 'utf-8');
  assert.equal(sniffEncoding(Buffer.from([0x50, 0xe9, 0x2c])), 'windows-1252');
  // A multi-byte character cut at the block's end is still UTF-8.
  assert.equal(sniffEncoding(Buffer.from('réseau', 'utf8').subarray(0, 2)), 'utf-8');
});

test('reads the sample file: every row, text column found, line numbers', async () => {
  const { rows, columns } = await readAll({ path: fixture('tweets.csv') });
  assert.deepEqual(columns, ['tweet_id', 'author', 'text', 'date', 'url']);
  assert.equal(rows.length, 3464);
  assert.equal(rows[0]!.line, 2);
  assert.equal(rows[0]!.text, rows[0]!.values[2]);
});

test('semicolon and tab files, BOM and quoted newlines', async () => {
  const semi = await readAll({ path: fixture('formats', 'semicolon.csv') });
  assert.deepEqual(semi.rows.map((r) => r.text), ['panne; encore une', 'merci free !']);
  const tab = await readAll({ path: fixture('formats', 'tab.tsv') });
  assert.deepEqual(tab.rows.map((r) => r.text), ['panne internet', 'merci']);
  const bom = await readAll({ path: fixture('formats', 'bom-multiline.csv') });
  assert.deepEqual(bom.columns, ['id', 'Text'], 'BOM stripped from the first column name');
  assert.deepEqual(bom.rows.map((r) => r.text), ['ligne un\nligne deux', 'il a dit "nul"']);
  assert.deepEqual(bom.rows.map((r) => r.line), [2, 4], 'a record spanning two lines starts at line 2');
});

test('Windows-1252 export from French Excel is decoded with its accents and curly quotes', async () => {
  const { rows, encoding } = await readAll({ path: fixture('formats', 'excel-cp1252.csv') });
  assert.equal(encoding, 'windows-1252');
  assert.equal(rows[0]!.text, 'Plus de réseau depuis hier soir, c’est énervant');
  assert.equal(rows[1]!.text, 'Cœur sur vous, merci à l’équipe');
});

test('JSONL input, and a broken JSONL line named by line', async () => {
  const { rows, columns } = await readAll({ path: fixture('formats', 'tweets.jsonl') });
  assert.deepEqual(columns, ['id', 'text']);
  assert.equal(rows[1]!.text, 'merci pour la rapidité');
  const err = await failure(readAll({ path: fixture('bad', 'broken.jsonl') }));
  assert.equal(err.code, 'FMC_ERR_JSONL');
  assert.match(err.message, /broken\.jsonl:2: /);
  const skipped = await readAll({ path: fixture('bad', 'broken.jsonl') }, { skipInvalid: true });
  assert.equal(skipped.rows.length, 1);
  assert.equal(skipped.invalid.length, 1);
});

test('a JSONL line without the text field is invalid, not an empty tweet', async () => {
  const err = await failure(readAll({ path: fixture('bad', 'jsonl-missing-text.jsonl') }));
  assert.equal(err.code, 'FMC_ERR_JSONL');
  assert.match(err.message, /jsonl-missing-text\.jsonl:2: no "text" field with a text/);
  const skipped = await readAll({ path: fixture('bad', 'jsonl-missing-text.jsonl') }, { skipInvalid: true });
  assert.deepEqual(skipped.rows.map((r) => r.text), ['panne fibre depuis hier', 'merci']);
  assert.deepEqual((skipped.invalid as { line: number }[]).map((i) => i.line), [2]);
});

test('stdin-like streams are read the same way', async () => {
  const { rows } = await readAll({ stream: Readable.from([Buffer.from('text\nun\n'), Buffer.from('deux\n')]), name: 'stdin' });
  assert.deepEqual(rows.map((r) => r.text), ['un', 'deux']);
});

test('bad inputs: missing, directory, empty, header only, no text column', async () => {
  assert.equal((await failure(readAll({ path: fixture('nope.csv') }))).code, 'FMC_ERR_INPUT_MISSING');
  assert.equal((await failure(readAll({ path: fixture('bad') }))).code, 'FMC_ERR_INPUT_NOT_FILE');
  assert.equal((await failure(readAll({ path: fixture('bad', 'empty.csv') }))).code, 'FMC_ERR_INPUT_EMPTY');
  const noText = await failure(readAll({ path: fixture('bad', 'no-text-column.csv') }));
  assert.equal(noText.code, 'FMC_ERR_NO_TEXT_COLUMN');
  assert.match(noText.message, /no-text-column\.csv:1: .*columns found: "id", "body", "author"/);
  // Header only is legal to read (zero rows); the run reports it.
  assert.equal((await readAll({ path: fixture('bad', 'header-only.csv') })).rows.length, 0);
});

test('unbalanced quote names its line and column; --skip-invalid counts it', async () => {
  const err = await failure(readAll({ path: fixture('bad', 'unbalanced-quote.csv') }));
  assert.equal(err.code, 'FMC_ERR_CSV');
  assert.match(err.message, /unbalanced-quote\.csv:3:2: unbalanced quote/);
  const skipped = await readAll({ path: fixture('bad', 'unbalanced-quote.csv') }, { skipInvalid: true });
  assert.deepEqual(skipped.rows.map((r) => r.text), ['panne internet']);
  assert.equal(skipped.invalid.length, 1);
});

test('ragged rows name their line; --skip-invalid keeps the good rows', async () => {
  const err = await failure(readAll({ path: fixture('bad', 'ragged.csv') }));
  assert.equal(err.code, 'FMC_ERR_CSV');
  assert.match(err.message, /ragged\.csv:3:\d+: row has 2 fields, header has 3/);
  const skipped = await readAll({ path: fixture('bad', 'ragged.csv') }, { skipInvalid: true });
  assert.deepEqual(skipped.rows.map((r) => r.line), [2, 4]);
  assert.deepEqual(skipped.invalid, [{ line: 3, column: 3, reason: 'row has 2 fields, header has 3 (ragged row)' }]);
});

test('binary files and oversized fields are refused with a clear error', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const bin = join(dir, 'sheet.csv');
    writeFileSync(bin, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00]));
    assert.equal((await failure(readAll({ path: bin }))).code, 'FMC_ERR_INPUT_BINARY');
    const big = join(dir, 'big.csv');
    writeFileSync(big, `id,text\n1,ok\n2,${'x'.repeat(5 * 1024 * 1024)}\n3,ok\n`);
    const err = await failure(readAll({ path: big }));
    assert.equal(err.code, 'FMC_ERR_CSV');
    assert.match(err.message, /big\.csv:3:2: field of \d+ characters, over the [0-9]+ limit/);
    const skipped = await readAll({ path: big }, { skipInvalid: true });
    assert.deepEqual(skipped.rows.map((r) => r.line), [2, 4]);
  } finally {
    cleanup();
  }
});
