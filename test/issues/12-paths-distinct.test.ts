import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runFmc, tempDir } from '../helpers.js';

// Issue 12, item 3: `--summary-json` could name the input or the output and silently
// replaced it. Every path fmc writes (output, summary, lock, cache) is checked against the
// input and the others as files: through symlinks and hard links, before anything runs.
// `--summary-json -` writes to stdout (it used to create a file named `-`).

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir()));
after(() => cleanup());

const CSV = 'id,text\n1,plus de fibre depuis hier\n2,merci free\n';

function oneLine(r: { status: number | null; stderr: string }, status: number, pattern: RegExp): void {
  assert.equal(r.status, status, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, pattern);
}

test('--summary-json on the input, directly, through a symlink or a hard link: refused, input untouched', () => {
  const work = join(dir, 'summary-input');
  mkdirSync(work);
  const input = join(work, 'in.csv');
  writeFileSync(input, CSV);
  symlinkSync(input, join(work, 'link.json'));
  linkSync(input, join(work, 'hard.json'));
  mkdirSync(join(work, 'sub'));
  for (const summary of [input, join(work, 'link.json'), join(work, 'hard.json'), join(work, 'sub', '..', 'in.csv')]) {
    const r = runFmc(['classify', input, '-o', join(work, 'out.csv'), '--provider', 'rules', '--no-cache', '--quiet', '--summary-json', summary]);
    oneLine(r, 2, /--summary-json would overwrite the input; choose another --summary-json path \[FMC_ERR_OUTPUT_IS_INPUT\]$/);
    assert.equal(readFileSync(input, 'utf8'), CSV);
    assert.equal(existsSync(join(work, 'out.csv')), false, 'refused before anything was written');
  }
});

test('--summary-json on the output (or a link to it), --lock or --cache on the output: refused', () => {
  const work = join(dir, 'summary-output');
  mkdirSync(work);
  const input = join(work, 'in.csv');
  writeFileSync(input, CSV);
  const out = join(work, 'out.csv');
  const previous = 'the previous output\n';
  writeFileSync(out, previous);
  linkSync(out, join(work, 'out-hard.json'));
  const cases: [string, string][] = [
    ['--summary-json', out],
    ['--summary-json', join(work, 'out-hard.json')],
    ['--lock', out],
    ['--cache', out],
  ];
  for (const [flag, path] of cases) {
    const r = runFmc(['classify', input, '-o', out, '--provider', 'rules', '--quiet', ...(flag === '--cache' ? [] : ['--no-cache']), flag, path]);
    oneLine(r, 2, new RegExp(`-o and ${flag} name the same file; give each its own path \\[FMC_ERR_USAGE\\]$`));
    assert.equal(readFileSync(out, 'utf8'), previous, `${flag}: the output is untouched`);
  }
  // Not yet existing, through a symlinked directory: still the same file.
  symlinkSync(work, join(dir, 'work-link'));
  const r = runFmc(['classify', input, '-o', join(work, 'new.csv'), '--provider', 'rules', '--no-cache', '--summary-json', join(dir, 'work-link', 'new.csv')]);
  oneLine(r, 2, /name the same file/);
});

test('-o on the input through a symlink is refused too', () => {
  const work = join(dir, 'output-link');
  mkdirSync(work);
  const input = join(work, 'in.csv');
  writeFileSync(input, CSV);
  symlinkSync(input, join(work, 'alias.csv'));
  const r = runFmc(['classify', input, '-o', join(work, 'alias.csv'), '--provider', 'rules', '--no-cache']);
  oneLine(r, 2, /alias\.csv: output would overwrite the input/);
  assert.equal(readFileSync(input, 'utf8'), CSV);
});

test('--summary-json - writes the summary to stdout, and is refused when -o - uses stdout too', () => {
  const work = join(dir, 'dash');
  mkdirSync(work);
  const input = join(work, 'in.csv');
  writeFileSync(input, CSV);
  const r = runFmc(['classify', input, '-o', join(work, 'out.csv'), '--provider', 'rules', '--no-cache', '--quiet', '--summary-json', '-'], { env: {} });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).rows, 2);
  assert.equal(existsSync(join(work, '-')), false, 'no file named -');
  assert.equal(existsSync(join(process.cwd(), '-')), false, 'no file named - in the working directory');

  const both = runFmc(['classify', input, '-o', '-', '--provider', 'rules', '--no-cache', '--quiet', '--summary-json', '-']);
  oneLine(both, 2, /^fmc: -o - and --summary-json - both write to stdout; send one of them to a file \[FMC_ERR_USAGE\]$/);
  assert.equal(both.stdout, '', 'refused before a row was written');
});

test('the output and the summary may both go to /dev/null', () => {
  const input = join(dir, 'null.csv');
  writeFileSync(input, CSV);
  const r = runFmc(['classify', input, '-o', '/dev/null', '--summary-json', '/dev/null', '--provider', 'rules', '--no-cache', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
});

test('fmc report and fmc sample: an output on an input through a hard link or a symlink is refused before reading', () => {
  const work = join(dir, 'report-sample');
  mkdirSync(work);
  const input = join(work, 'labeled.csv');
  const labeled = 'text,is_claim,sentiment,topic,incident,urgency,confidence\npanne,true,negative,fibre,outage,high,0.9\n';
  writeFileSync(input, labeled);
  linkSync(input, join(work, 'hard.html'));
  symlinkSync(input, join(work, 'link.csv'));
  const report = runFmc(['report', input, '-o', join(work, 'hard.html'), '--no-cache']);
  oneLine(report, 2, /hard\.html: output would overwrite the input; choose another -o path \[FMC_ERR_OUTPUT_IS_INPUT\]$/);
  const both = runFmc(['report', input, '-o', join(work, 'r.html'), '--json', join(work, 'r.html'), '--no-cache']);
  oneLine(both, 2, /-o and --json name the same file/);
  const sample = runFmc(['sample', input, '-n', '1', '-o', join(work, 'link.csv')]);
  oneLine(sample, 2, /link\.csv: output would overwrite the input; choose another -o path \[FMC_ERR_OUTPUT_IS_INPUT\]$/);
  assert.equal(readFileSync(input, 'utf8'), labeled);
});
