import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { uniqueColumnNames } from '../../src/pipeline/column-names.js';
import { outputColumns } from '../../src/pipeline/run.js';
import { runFmc, tempDir } from '../helpers.js';
import { startServer, type TestServer } from '../server/helpers.js';

// Issue #12, item 11: `text,text,id` was accepted and JSONL output kept one `text`. A repeat
// is renamed `<name>_2`, an empty name `column_<n>`, the same way in every output, and one
// warning line says so.

let dir: string;
let cleanup: () => void;
let server: TestServer;
before(async () => {
  ({ dir, cleanup } = tempDir());
  server = await startServer();
});
after(async () => {
  await server.close();
  cleanup();
});

const fmc = (args: string[]) => runFmc([...args, '--provider', 'rules', '--no-cache', '--quiet']);

test('uniqueColumnNames: repeats get _2, _3; empty names column_<n>; never a name the header already has', () => {
  assert.deepEqual(uniqueColumnNames(['text', 'text', '', 'id']).names, ['text', 'text_2', 'column_3', 'id']);
  assert.deepEqual(uniqueColumnNames(['text', 'text_2', 'text', 'text']).names, ['text', 'text_2', 'text_3', 'text_4']);
  assert.deepEqual(uniqueColumnNames(['column_2', '  ', 'column_2']).names, ['column_2', 'column_2_2', 'column_2_3']);
  assert.deepEqual(uniqueColumnNames(['a', 'b']).renamed, []);
  assert.deepEqual(uniqueColumnNames(['text', 'text', '']).renamed, [
    { column: 2, from: 'text', to: 'text_2' },
    { column: 3, from: '', to: 'column_3' },
  ]);
  // A kept label column meeting an input column of its new name.
  assert.deepEqual(outputColumns(['text', 'sentiment', 'input_sentiment']).slice(0, 3), ['text', 'input_sentiment', 'input_sentiment_2']);
});

test('JSONL, CSV and XLSX outputs keep every column, renamed the same way, with one warning line', async () => {
  const input = join(dir, 'dup.csv');
  writeFileSync(input, 'text,text,,id\nplus de réseau,deuxième texte,sans nom,7\n');

  const j = runFmc(['classify', input, '-o', join(dir, 'out.jsonl'), '--provider', 'rules', '--no-cache']);
  assert.equal(j.status, 0, j.stderr);
  const warnings = j.stderr.split('\n').filter((l) => /warning/.test(l));
  assert.deepEqual(warnings, [`fmc: warning: ${input}: header names must be unique: column 2 "text" renamed "text_2", column 3 "" renamed "column_3"`]);
  const object = JSON.parse(readFileSync(join(dir, 'out.jsonl'), 'utf8').trim()) as Record<string, unknown>;
  assert.equal(object.text, 'plus de réseau', 'the first "text" stays the text column');
  assert.equal(object.text_2, 'deuxième texte');
  assert.equal(object.column_3, 'sans nom');
  assert.equal(object.id, '7');

  const c = fmc(['classify', input, '-o', join(dir, 'out.csv')]);
  assert.equal(c.status, 0, c.stderr);
  const [header, row] = parse(readFileSync(join(dir, 'out.csv'))) as string[][];
  assert.deepEqual(header!.slice(0, 4), ['text', 'text_2', 'column_3', 'id']);
  assert.deepEqual(row!.slice(0, 4), ['plus de réseau', 'deuxième texte', 'sans nom', '7']);

  const x = fmc(['classify', input, '-o', join(dir, 'out.xlsx')]);
  assert.equal(x.status, 0, x.stderr);
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(join(dir, 'out.xlsx'));
  assert.deepEqual((book.worksheets[0]!.getRow(1).values as unknown[]).slice(1, 5), ['text', 'text_2', 'column_3', 'id']);

  const picked = fmc(['classify', input, '-o', join(dir, 'picked.jsonl'), '--text-column', 'text_2']);
  assert.equal(picked.status, 0, picked.stderr);
});

test('XLSX headers and the server CSV answer are renamed the same way', async () => {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Feuil1');
  sheet.addRow(['texte', 'texte', null, 'id']);
  sheet.addRow(['la box est en panne', 'autre', 'x', 1]);
  const path = join(dir, 'dup.xlsx');
  await book.xlsx.writeFile(path);
  const r = runFmc(['classify', path, '-o', join(dir, 'dup-xlsx.jsonl'), '--provider', 'rules', '--no-cache']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: .*dup\.xlsx: header names must be unique: column 2 "texte" renamed "texte_2", column 3 "" renamed "column_3"/);
  const object = JSON.parse(readFileSync(join(dir, 'dup-xlsx.jsonl'), 'utf8').trim()) as Record<string, unknown>;
  assert.deepEqual([object.texte, object.texte_2, object.column_3, object.id], ['la box est en panne', 'autre', 'x', 1]);

  const answer = await fetch(`${server.url}/api/classify`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'text,text,,id\npanne,b,c,1\n' });
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('x-fmc-renamed-columns'), 'column 2 "text" renamed "text_2", column 3 "" renamed "column_3"');
  const [header] = parse(await answer.text()) as string[][];
  assert.deepEqual(header!.slice(0, 4), ['text', 'text_2', 'column_3', 'id']);
});
