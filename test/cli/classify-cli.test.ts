import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { FIELD_VALUES, LABEL_FIELDS, OUTPUT_COLUMNS, TRAINED_FIELDS } from '../../src/labels.js';
import { fixture, fmcBin, formulaEscaped, holdLock, runFmc, tempDir, type FmcResult } from '../helpers.js';

// The CLI as users run it: a child process, real files, exit codes and stderr.

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir()));
after(() => cleanup());

type Result = FmcResult;

const fmc = (args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Result =>
  runFmc(args, { input: options.input, env: { FMC_CACHE: join(dir, 'cache.sqlite'), ...options.env } });

function assertOneLineError(r: Result, status: number, pattern: RegExp): void {
  assert.equal(r.status, status, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
}

test('classifies the bundled sample: one labeled row per input row, input columns kept', () => {
  const out = join(dir, 'out.csv');
  const summary = join(dir, 'summary.json');
  const r = fmc(['classify', fixture('tweets.csv'), '-o', out, '--provider', 'rules', '--summary-json', summary]);
  assert.equal(r.status, 0, r.stderr);
  const input = parse(readFileSync(fixture('tweets.csv')), { columns: true }) as Record<string, string>[];
  const rows = parse(readFileSync(out), { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, input.length);
  assert.deepEqual(Object.keys(rows[0]!), ['tweet_id', 'author', 'text', 'date', 'url', ...OUTPUT_COLUMNS]);
  rows.forEach((row, i) => {
    assert.equal(row.tweet_id, input[i]!.tweet_id, 'input order kept');
    assert.equal(row.text, formulaEscaped(input[i]!.text!), 'input text untouched (a formula start escaped)');
    for (const f of LABEL_FIELDS) assert.ok(FIELD_VALUES[f].includes(row[f]!), `${f}=${row[f]}`);
    assert.equal(row.provider, 'rules');
  });
  const s = JSON.parse(readFileSync(summary, 'utf8'));
  assert.equal(s.rows, input.length);
  assert.ok(s.duplicates > 0, 'the sample has repeated tweets');
  assert.equal(s.providers.rules, input.length);
  assert.match(r.stderr, /3,464 rows/);
});

test('stdin to stdout, JSONL output, and the default output path beside the input', () => {
  const csv = 'id;texte\n1;plus de connexion depuis 3 jours\n2;merci free\n';
  const r = fmc(['classify', '-', '-o', '-', '--provider', 'rules', '--quiet'], { input: csv });
  assert.equal(r.status, 0, r.stderr);
  const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, 2);
  assert.equal(r.stderr, '', 'quiet: nothing on stderr');

  const jsonl = fmc(['classify', '-', '-o', '-', '--format', 'jsonl', '--provider', 'rules', '--quiet'], { input: csv });
  const objects = jsonl.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(typeof objects[0].is_claim, 'boolean');
  assert.equal(objects[1].texte, 'merci free');

  const input = join(dir, 'export.csv');
  copyFileSync(fixture('formats', 'semicolon.csv'), input);
  assert.equal(fmc(['classify', input, '--provider', 'rules', '--quiet']).status, 0);
  assert.ok(existsSync(join(dir, 'export.classified.csv')));
});

test('exact duplicates are classified once and reused', () => {
  const csv = 'text\npanne fibre\nmerci\npanne fibre\npanne fibre\n';
  const summary = join(dir, 'dups.json');
  const r = fmc(['classify', '-', '-o', '-', '--provider', 'rules', '--quiet', '--summary-json', summary], { input: csv });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(readFileSync(summary, 'utf8')).duplicates, 2);
  assert.equal(r.stdout.trim().split('\n').length, 5);
});

test('bad input: one-line error naming file, line and column; exit 2; nothing written', () => {
  const out = join(dir, 'keep.csv');
  writeFileSync(out, 'precious\n');
  const cases: [string[], RegExp][] = [
    [[fixture('nope.csv')], /nope\.csv: no such file/],
    [[fixture('bad')], /bad: is a directory/],
    [[fixture('bad', 'empty.csv')], /empty\.csv: file is empty/],
    [[fixture('bad', 'header-only.csv')], /header-only\.csv: header only, no data rows/],
    [[fixture('bad', 'no-text-column.csv')], /no-text-column\.csv:1: no text column .*columns found: "id", "body", "author"/],
    [[fixture('bad', 'unbalanced-quote.csv')], /unbalanced-quote\.csv:3:2: unbalanced quote/],
    [[fixture('bad', 'ragged.csv')], /ragged\.csv:3:3: row has 2 fields, header has 3/],
  ];
  for (const [args, pattern] of cases) {
    assertOneLineError(fmc(['classify', ...args, '-o', out, '--provider', 'rules']), 2, pattern);
    assert.equal(readFileSync(out, 'utf8'), 'precious\n', `${args[0]}: existing output untouched`);
  }
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temp files left');
});

test('--skip-invalid keeps going and reports what it skipped', () => {
  const out = join(dir, 'ragged-out.csv');
  const summary = join(dir, 'ragged.json');
  const r = fmc(['classify', fixture('bad', 'ragged.csv'), '-o', out, '--provider', 'rules', '--skip-invalid', '--summary-json', summary]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((parse(readFileSync(out), { columns: true }) as unknown[]).length, 2);
  const s = JSON.parse(readFileSync(summary, 'utf8'));
  assert.equal(s.invalidRows, 1);
  assert.equal(s.invalid[0].line, 3);
  assert.match(r.stderr, /1 invalid row skipped/);
  assert.match(r.stderr, /skipped line 3/);
});

test('binary file and a 5 MB field are refused', () => {
  const bin = join(dir, 'sheet.csv');
  writeFileSync(bin, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0x14, 0]));
  assertOneLineError(fmc(['classify', bin, '-o', join(dir, 'x.csv')]), 2, /sheet\.csv:1: not a text file \(NUL byte at byte 4\)/);
  const big = join(dir, 'big.csv');
  writeFileSync(big, `text\nok\n${'a'.repeat(5 * 1024 * 1024)}\n`);
  assertOneLineError(fmc(['classify', big, '-o', join(dir, 'x.csv'), '--provider', 'rules']), 2, /big\.csv:3:1: field of 5242880 characters/);
});

test('output equal to input is refused and the input is untouched; unwritable directory exits 1', () => {
  const input = join(dir, 'same.csv');
  writeFileSync(input, 'text\npanne\n');
  assertOneLineError(fmc(['classify', input, '-o', input, '--provider', 'rules']), 2, /same\.csv: output would overwrite the input/);
  assert.equal(readFileSync(input, 'utf8'), 'text\npanne\n');
  assertOneLineError(fmc(['classify', input, '-o', join(input, 'sub', 'out.csv'), '--provider', 'rules']), 1, /cannot write in .*\(ENOTDIR|ENOENT\)/);
});

test('stdin closed in the middle of a quoted field is an error, not a silent short file', async () => {
  const child = spawn(process.execPath, [fmcBin, 'classify', '-', '-o', join(dir, 'early.csv'), '--provider', 'rules'], {
    env: { ...process.env, NO_COLOR: '1', FMC_CACHE: join(dir, 'cache.sqlite') },
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  child.stdin.write('id,text\n1,ok\n2,"cut in the mid');
  child.stdin.end();
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(status, 2);
  assert.match(stderr.trim(), /^fmc: stdin:3:2: unbalanced quote/);
  assert.equal(existsSync(join(dir, 'early.csv')), false);
});

test('--lock: a second run while the lock is held exits 75', async () => {
  const lock = join(dir, 'run.lock');
  const first = await holdLock(lock);
  const r = fmc(['classify', fixture('formats', 'tab.tsv'), '-o', join(dir, 'l.csv'), '--provider', 'rules', '--lock', lock]);
  assertOneLineError(r, 75, new RegExp(`another fmc run \\(pid ${first.pid}\\) holds the lock`));
  assert.equal(await first.release(), 0);
  assert.equal(existsSync(lock), false);
});

test('SIGTERM and SIGINT mid-run: exit 143/130, no temp file, no output, the lock released, the input untouched', async () => {
  const work = join(dir, 'signals');
  mkdirSync(work);
  const input = join(work, 'big.csv');
  const texts = ["plus de fibre depuis hier soir, c'est urgent", 'merci pour votre aide', 'ma box redémarre sans arrêt', 'facture trop élevée ce mois-ci'];
  // Distinct rows (no dedupe shortcut), enough that the run is still going when the signal comes.
  writeFileSync(input, ['id,text', ...Array.from({ length: 500_000 }, (_, i) => `${i},${texts[i % texts.length]} n°${i}`)].join('\n') + '\n');
  const inputBefore = readFileSync(input);
  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    const out = join(work, 'out.csv');
    const lock = join(work, 'run.lock');
    const child = spawn(process.execPath, [fmcBin, 'classify', input, '-o', out, '--provider', 'rules', '--no-cache', '--lock', lock], { env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const status = new Promise<number | null>((resolve) => child.on('close', resolve));
    while (!readdirSync(work).some((f) => f.startsWith('.out.csv.tmp-'))) {
      assert.equal(child.exitCode, null, `fmc ended before its temp file appeared: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    child.kill(signal);
    assert.equal(await status, code, stderr);
    assert.match(stderr.trim(), new RegExp(`^fmc: stopped by ${signal} before the end; no output file written`));
    assert.deepEqual(readdirSync(work), ['big.csv'], 'no temp file, no output, no lock');
  }
  assert.ok(readFileSync(input).equals(inputBefore), 'input untouched');
});

test('usage errors exit 2; logs are JSON lines on stderr; NO_COLOR turns colour off', () => {
  assert.equal(fmc(['classify', fixture('formats', 'tab.tsv'), '--concurrency', '0']).status, 2);
  assert.equal(fmc(['classify', fixture('formats', 'tab.tsv'), '--provider', 'nope']).status, 2);
  const logs = fmc(['classify', fixture('formats', 'tab.tsv'), '-o', join(dir, 'logs.csv'), '--provider', 'rules', '--quiet', '--log-level', 'info']);
  assert.equal(logs.status, 0);
  const lines = logs.stderr.trim().split('\n');
  assert.ok(lines.length > 0);
  for (const line of lines) assert.equal(typeof JSON.parse(line).level, 'number');
  const coloured = fmc(['classify', fixture('formats', 'tab.tsv'), '-o', join(dir, 'c.csv'), '--provider', 'rules'], { env: { FORCE_COLOR: '1', NO_COLOR: '' } });
  assert.match(coloured.stderr, /\x1b\[/);
  const plain = fmc(['classify', fixture('formats', 'tab.tsv'), '-o', join(dir, 'c.csv'), '--provider', 'rules'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
  assert.doesNotMatch(plain.stderr, /\x1b\[/);
});

test('fmc eval prints accuracy per field; fmc cache stats and clear', () => {
  const r = fmc(['eval', fixture('dev.csv'), '--provider', 'rules', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.fields.map((f: { field: string }) => f.field), [...TRAINED_FIELDS]);
  for (const f of report.fields) assert.ok(f.accuracy > 0 && f.accuracy <= 1);
  const text = fmc(['eval', fixture('dev.csv'), '--provider', 'rules']);
  assert.match(text.stdout, /│ is_claim\s+│ 0\.\d{3}/);
  assert.match(text.stdout, /rows = gold, columns = predicted/);

  const stats = fmc(['cache', 'stats', '--json']);
  assert.equal(stats.status, 0, stats.stderr);
  assert.equal(typeof JSON.parse(stats.stdout).entries, 'number');
  assert.match(fmc(['cache', 'clear']).stdout, /removed \d+ entries/);
});

test('eval lists unknown label values with their lines', () => {
  const bad = join(dir, 'labels.csv');
  writeFileSync(bad, 'text,is_claim,sentiment,topic,incident,urgency\npanne,true,negative,phone,outage,high\nok,maybe,neutral,other,none,low\n');
  assertOneLineError(fmc(['eval', bad, '--provider', 'rules']), 2, /2 unknown label values: .*labels\.csv:2: topic "phone" is not one of .*labels\.csv:3: is_claim "maybe"/);
});
