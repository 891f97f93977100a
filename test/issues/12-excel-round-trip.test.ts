import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { outputDialect } from '../../src/pipeline/dialect.js';
import { sniffCrlf } from '../../src/pipeline/sniff.js';
import { FIELD_VALUES, OUTPUT_COLUMNS } from '../../src/labels.js';
import { fmcBin, runFmc, tempDir } from '../helpers.js';

// Issue #12, item 14: a French Excel "CSV" (`;`, Windows-1252, CRLF) came back `,`-separated
// UTF-8 without a BOM, which Excel opens as one column with broken accents. CSV output now
// mirrors the input's dialect unless told otherwise, and .xlsx is read and written for real.

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir()));
after(() => cleanup());

const fmc = (args: string[], input?: string | Buffer) => runFmc([...args, '--provider', 'rules', '--no-cache', '--quiet'], { input });
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

const FRENCH_ROWS = [
  ['1', 'Très déçu : plus de connexion depuis hier, la Freebox clignote', 'Gérard'],
  ['2', '« Merci » au service client, problème réglé', 'Zoé'],
  ['3', 'Débit à 2 Mb/s ; c’est inadmissible', 'Anaïs'],
];
/** What French Excel writes for "CSV (séparateur : point-virgule)": Windows-1252, `;`, CRLF. */
function frenchExcelCsv(): Buffer {
  const text = ['id;texte;auteur', ...FRENCH_ROWS.map((r) => r.map((c) => (c.includes(';') ? `"${c}"` : c)).join(';'))].join('\r\n') + '\r\n';
  // Node has no Windows-1252 encoder; these characters are all in Latin-1 except ’ (0x92).
  return Buffer.from(Array.from(text, (ch) => (ch === '’' ? 0x92 : ch.charCodeAt(0))));
}

test('a ; / Windows-1252 / CRLF input comes back ; / UTF-8 with a BOM / CRLF, accents intact', () => {
  const input = join(dir, 'export.csv');
  writeFileSync(input, frenchExcelCsv());
  const r = fmc(['classify', input, '-o', join(dir, 'export.out.csv')]);
  assert.equal(r.status, 0, r.stderr);
  const bytes = readFileSync(join(dir, 'export.out.csv'));
  assert.deepEqual(bytes.subarray(0, 3), BOM, 'a BOM, so Excel reads UTF-8');
  const text = bytes.subarray(3).toString('utf8');
  const lines = text.split('\r\n');
  assert.equal(lines.length, FRENCH_ROWS.length + 2, 'CRLF after every record');
  assert.ok(!lines.slice(0, -1).some((l) => l.includes('\n')));
  assert.equal(lines[0], ['id', 'texte', 'auteur', ...OUTPUT_COLUMNS].join(';'));
  const rows = parse(bytes, { bom: true, delimiter: ';' }) as string[][];
  assert.deepEqual(rows.slice(1).map((row) => row.slice(0, 3)), FRENCH_ROWS);
  for (const row of rows.slice(1)) assert.ok(FIELD_VALUES.topic.includes(row[3 + OUTPUT_COLUMNS.indexOf('topic')]!), row.join(';'));
});

test('a UTF-8 ; file with a BOM and CRLF keeps all three, its records copied as read', () => {
  const input = join(dir, 'utf8-bom.csv');
  const body = 'id;texte\r\n1;"la box ""Pop"" ne synchronise plus"\r\n2;"quoted; on purpose"\r\n3;merci\r\n';
  writeFileSync(input, Buffer.concat([BOM, Buffer.from(body)]));
  const r = fmc(['classify', input, '-o', join(dir, 'utf8-bom.out.csv')]);
  assert.equal(r.status, 0, r.stderr);
  const bytes = readFileSync(join(dir, 'utf8-bom.out.csv'));
  assert.deepEqual(bytes.subarray(0, 3), BOM);
  const lines = bytes.subarray(3).toString('utf8').split('\r\n');
  assert.match(lines[1]!, /^1;"la box ""Pop"" ne synchronise plus";/);
  assert.match(lines[3]!, /^3;merci;(true|false);/);
});

test('--delimiter, --bom/--no-bom and --crlf/--no-crlf override the mirrored dialect', () => {
  const input = join(dir, 'export2.csv');
  writeFileSync(input, frenchExcelCsv());
  const plain = fmc(['classify', input, '-o', join(dir, 'plain.csv'), '--delimiter', ',', '--no-bom', '--no-crlf']);
  assert.equal(plain.status, 0, plain.stderr);
  const bytes = readFileSync(join(dir, 'plain.csv'));
  assert.notDeepEqual(bytes.subarray(0, 3), BOM);
  assert.ok(!bytes.includes('\r'));
  assert.deepEqual((parse(bytes) as string[][]).slice(1).map((row) => row.slice(0, 3)), FRENCH_ROWS);

  const tabs = fmc(['classify', '-', '-o', '-', '--delimiter', 'tab', '--bom', '--crlf'], 'id,text\n1,panne\n');
  assert.equal(tabs.status, 0, tabs.stderr);
  assert.ok(tabs.stdout.startsWith('\uFEFFid\ttext\tis_claim\t'));
  assert.match(tabs.stdout, /\r\n1\tpanne\t(true|false)\t.*\r\n$/);

  const bad = fmc(['classify', input, '--delimiter', 'x']);
  assert.equal(bad.status, 2);
});

test('dialect rules: sniffed CRLF, BOM for a BOM or a Windows-1252 input, overrides win', () => {
  assert.equal(sniffCrlf('a;b\r\n1;2\n'), true);
  assert.equal(sniffCrlf('a,"b\r\nc"\n1,2\r\n'), false, 'a CRLF inside quotes is not the line end');
  assert.deepEqual(outputDialect({ delimiter: ';', bom: false, crlf: true, encoding: 'windows-1252' }), { delimiter: ';', bom: true, eol: '\r\n', escapeFormulas: true });
  assert.deepEqual(outputDialect({ delimiter: ',', bom: false, crlf: false, encoding: 'utf-8' }), { delimiter: ',', bom: false, eol: '\n', escapeFormulas: true });
  assert.deepEqual(outputDialect(undefined, { delimiter: '\t', bom: true, crlf: true, escapeFormulas: false }), { delimiter: '\t', bom: true, eol: '\r\n', escapeFormulas: false });
});

async function workbook(path: string): Promise<void> {
  const book = new ExcelJS.Workbook();
  const notes = book.addWorksheet('Notes');
  notes.addRow(['rien à classer ici']);
  const sheet = book.addWorksheet('Tweets');
  sheet.addRow(['tweet_id', 'texte', 'date']);
  sheet.addRow([101, 'Plus de réseau mobile depuis ce matin, panne ?', new Date(Date.UTC(2026, 0, 2, 9, 30))]);
  sheet.addRow([102, { richText: [{ text: 'Merci ' }, { text: 'Free' }] }, new Date(Date.UTC(2026, 0, 3))]);
  sheet.addRow([103, '=1+1 ma box redémarre en boucle', null]);
  await book.xlsx.writeFile(path);
}

test('an .xlsx input classifies: the first sheet by default, --sheet by name or number, output .xlsx beside it', async () => {
  const input = join(dir, 'tweets.xlsx');
  await workbook(input);
  const first = fmc(['classify', input, '-o', '-']);
  assert.equal(first.status, 2, 'the first sheet (Notes) has no text column');
  assert.match(first.stderr, /tweets\.xlsx \[Notes\]:1: no text column/);

  for (const sheet of ['Tweets', '2']) {
    const r = fmc(['classify', input, '--sheet', sheet, '-o', '-', '--format', 'csv']);
    assert.equal(r.status, 0, r.stderr);
    const rows = parse(r.stdout) as string[][];
    assert.deepEqual(rows[0], ['tweet_id', 'texte', 'date', ...OUTPUT_COLUMNS]);
    assert.deepEqual(rows.slice(1).map((row) => row.slice(0, 3)), [
      ['101', 'Plus de réseau mobile depuis ce matin, panne ?', '2026-01-02T09:30:00'],
      ['102', 'Merci Free', '2026-01-03'],
      ['103', "'=1+1 ma box redémarre en boucle", ''],
    ]);
    assert.equal(rows[1]![OUTPUT_COLUMNS.indexOf('topic') + 3], 'mobile');
  }

  // No -o: a workbook comes back as a workbook, beside the input.
  const r = fmc(['classify', input, '--sheet', 'Tweets']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(dir, 'tweets.classified.xlsx')));

  const missing = fmc(['classify', input, '--sheet', 'Feuil9']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr.trim(), /^fmc: .*tweets\.xlsx: no sheet "Feuil9"; sheets: "Notes", "Tweets"; pass --sheet <name\|number> \[FMC_ERR_USAGE\]$/);
});

test('-o out.xlsx writes a real workbook: exceljs reads back the cells, typed', async () => {
  const input = join(dir, 'for-xlsx.csv');
  writeFileSync(input, 'id,text\n1,plus de connexion depuis hier\n2,"=HYPERLINK(""x"")"\n3,"ligne 1\nligne 2"\n');
  const out = join(dir, 'labeled.xlsx');
  const r = fmc(['classify', input, '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readFileSync(out).subarray(0, 4), Buffer.from([0x50, 0x4b, 0x03, 0x04]), 'a zip, not CSV text');
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'temp file renamed away');
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(out);
  assert.equal(book.worksheets.length, 1);
  const sheet = book.worksheets[0]!;
  assert.deepEqual((sheet.getRow(1).values as unknown[]).slice(1), ['id', 'text', ...OUTPUT_COLUMNS]);
  const row = (n: number): unknown[] => (sheet.getRow(n).values as unknown[]).slice(1);
  assert.deepEqual(row(2).slice(0, 2), ['1', 'plus de connexion depuis hier']);
  const at = (column: string): number => 2 + OUTPUT_COLUMNS.indexOf(column);
  assert.equal(row(2)[at('is_claim')], true, 'is_claim is a boolean cell');
  assert.equal(typeof row(2)[at('confidence')], 'number', 'confidence is a number cell');
  assert.equal(row(2)[at('provider')], 'rules');
  // A string cell is never a formula in XLSX: kept as typed, no escaping needed.
  assert.deepEqual(row(3).slice(0, 2), ['2', '=HYPERLINK("x")']);
  assert.equal(sheet.getRow(3).getCell(2).type, ExcelJS.ValueType.String);
  assert.deepEqual(row(4).slice(0, 2), ['3', 'ligne 1\nligne 2']);
  assert.equal(sheet.rowCount, 4);
});

test('XLSX to stdout; a JSONL object value is written as its JSON text, never as an exceljs formula', async () => {
  const r = spawnSync(process.execPath, [fmcBin, 'classify', '-', '--input-format', 'jsonl', '-o', '-', '--format', 'xlsx', '--provider', 'rules', '--no-cache', '--quiet'], {
    input: '{"id":1,"text":"panne","x":{"formula":"1+1","result":2}}\n',
  });
  assert.equal(r.status, 0, r.stderr.toString());
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(r.stdout as unknown as ExcelJS.Buffer);
  const cell = book.worksheets[0]!.getRow(2).getCell(3);
  assert.equal(cell.type, ExcelJS.ValueType.String);
  assert.equal(cell.value, '{"formula":"1+1","result":2}');
});

test('a corrupt .xlsx is a one-line error, exit 2, and leaves no output', () => {
  const valid = join(dir, 'tweets.xlsx');
  const truncated = join(dir, 'broken.xlsx');
  const bytes = readFileSync(valid);
  writeFileSync(truncated, bytes.subarray(0, bytes.length >> 1));
  const garbage = join(dir, 'garbage.xlsx');
  writeFileSync(garbage, 'id,text\n1,this is CSV text in a file named .xlsx\n');
  for (const path of [truncated, garbage]) {
    const r = fmc(['classify', path, '-o', join(dir, 'never.csv')]);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^fmc: .*\.xlsx: not a readable \.xlsx workbook \(.+\); re-save it from Excel, or export the sheet as CSV \[FMC_ERR_XLSX\]$/);
    assert.ok(!existsSync(join(dir, 'never.csv')));
  }
});
