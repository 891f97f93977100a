import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fmcBin, runFmc, tempDir, type FmcResult } from '../helpers.js';
import { OUTPUT_COLUMNS } from '../../src/labels.js';

// Issue 12, item 13: I/O failures each get the right one-line message, exit code and
// cleanup, and every path is checked at start, before a row is read.

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir()));
after(() => cleanup());

const RULES = ['--provider', 'rules', '--no-cache'];

function oneLine(r: FmcResult, status: number, pattern: RegExp): void {
  assert.equal(r.status, status, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
}

/** A CSV whose first 64 KiB block is clean and whose line `line` holds `bad`. */
function badAfterFirstBlock(name: string, bad: Buffer): { path: string; line: number } {
  const rows = Array.from({ length: 5000 }, (_, i) => `${i},ligne ${i} sans souci particulier`);
  const head = Buffer.from(['id,text', ...rows].join('\n') + '\n');
  assert.ok(head.length > 128 * 1024, 'past the first blocks');
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([head, Buffer.from('5000,avant '), bad, Buffer.from(' après\n5001,fin\n')]));
  return { path, line: 5002 };
}

test('-o <directory> is refused at start (not "internal error" after the run): exit 2', () => {
  const folder = join(dir, 'folder');
  mkdirSync(folder);
  const input = join(dir, 'in.csv');
  writeFileSync(input, 'text\nmerci\n');
  oneLine(runFmc(['classify', input, '-o', folder, ...RULES]), 2, /-o is a directory; give a file path .*\[FMC_ERR_OUTPUT_NOT_FILE\]$/);
});

test('-o - > /dev/full: one line naming ENOSPC, exit 1', () => {
  const input = join(dir, 'full.csv');
  writeFileSync(input, 'text\nmerci\npanne fibre\n');
  const full = openSync('/dev/full', 'w');
  try {
    const r = spawnSync(process.execPath, [fmcBin, 'classify', input, '-o', '-', ...RULES, '--quiet'], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    oneLine({ status: r.status, stdout: '', stderr: r.stderr }, 1, /^fmc: stdout: write failed: no space left on device \(ENOSPC\) \[FMC_ERR_OUTPUT_UNWRITABLE\]$/);
  } finally {
    closeSync(full);
  }
});

test('--summary-json on a full disk (/dev/full): one line, exit 1, the output itself complete', () => {
  const input = join(dir, 'sum.csv');
  writeFileSync(input, 'text\nmerci\n');
  const out = join(dir, 'sum-out.csv');
  const r = runFmc(['classify', input, '-o', out, ...RULES, '--quiet', '--summary-json', '/dev/full']);
  oneLine(r, 1, /^fmc: --summary-json \/dev\/full: write failed: no space left on device \(ENOSPC\); the labeled rows in .*sum-out\.csv are complete \[FMC_ERR_OUTPUT_UNWRITABLE\]$/);
  assert.ok(existsSync(out));
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
});

test('an unreadable input (EACCES) is a permissions error, exit 2, not a truncated stream', () => {
  const input = join(dir, 'secret.csv');
  writeFileSync(input, 'text\nmerci\n');
  chmodSync(input, 0o000);
  // Root reads anything: run as nobody there.
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  try {
    chmodSync(dir, 0o777);
    const r = spawnSync(process.execPath, [fmcBin, 'classify', input, '-o', join(dir, 'secret-out.csv'), ...RULES], { ...asNobody, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', HOME: dir } });
    oneLine({ status: r.status, stdout: r.stdout, stderr: r.stderr }, 2, /^fmc: .*secret\.csv: cannot be read: permission denied \(EACCES\); check its permissions .*\[FMC_ERR_INPUT_UNREADABLE\]$/);
  } finally {
    chmodSync(input, 0o644);
    chmodSync(dir, 0o700);
  }
});

test('invalid UTF-8 past the first block names its line, from a file and from stdin', () => {
  const { path, line } = badAfterFirstBlock('latin.csv', Buffer.from([0xe9]));
  const pattern = new RegExp(`^fmc: (.*latin\\.csv|stdin):${line}: invalid UTF-8 \\(byte \\d+\\); re-save as UTF-8 or pass --encoding windows-1252 \\[FMC_ERR_INPUT_ENCODING\\]$`);
  oneLine(runFmc(['classify', path, '-o', join(dir, 'latin-out.csv'), ...RULES]), 2, pattern);
  const piped = spawnSync(process.execPath, [fmcBin, 'classify', '-', '-o', join(dir, 'latin-out.csv'), ...RULES], { input: readFileSync(path), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  oneLine({ status: piped.status, stdout: '', stderr: piped.stderr }, 2, pattern);
  assert.equal(existsSync(join(dir, 'latin-out.csv')), false);
});

test('a NUL byte is "not a text file" with its line, in the first block or later, file or stdin', () => {
  const { path, line } = badAfterFirstBlock('nul.csv', Buffer.from([0]));
  const later = new RegExp(`^fmc: (.*nul\\.csv|stdin):${line}: not a text file \\(NUL byte at byte \\d+\\); .*\\[FMC_ERR_INPUT_BINARY\\]$`);
  oneLine(runFmc(['classify', path, '-o', join(dir, 'nul-out.csv'), ...RULES]), 2, later);
  const piped = spawnSync(process.execPath, [fmcBin, 'classify', '-', '-o', join(dir, 'nul-out.csv'), ...RULES], { input: readFileSync(path), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  oneLine({ status: piped.status, stdout: '', stderr: piped.stderr }, 2, later);
  const early = join(dir, 'early-nul.csv');
  writeFileSync(early, Buffer.from('id,text\n1,ok\n2,a\u0000b\n'));
  oneLine(runFmc(['classify', early, '-o', join(dir, 'nul-out.csv'), ...RULES]), 2, /^fmc: .*early-nul\.csv:3: not a text file \(NUL byte at byte 16\); .*\[FMC_ERR_INPUT_BINARY\]$/);
  assert.equal(existsSync(join(dir, 'nul-out.csv')), false);
});

test('UTF-16 with a BOM (LE and BE) is decoded; without one, the message says to convert it', () => {
  const csv = 'id,text\n1,plus de fibre depuis hier\n2,merci, ça marche\n'.replace('merci, ça marche', '"merci, ça marche"');
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')]);
  const be = Buffer.from(le);
  be.swap16();
  for (const [name, bytes] of [['le.csv', le], ['be.csv', be]] as const) {
    const input = join(dir, name);
    writeFileSync(input, bytes);
    const r = runFmc(['classify', input, '-o', '-', ...RULES, '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], ['id', 'text', ...OUTPUT_COLUMNS].join(','));
    assert.match(lines[2]!, /^2,"merci, ça marche",/);
  }
  const bare = join(dir, 'bare16.csv');
  writeFileSync(bare, Buffer.from(csv, 'utf16le'));
  oneLine(runFmc(['classify', bare, '-o', '-', ...RULES]), 2, /^fmc: .*bare16\.csv: looks like UTF-16 without a byte-order mark; convert to UTF-8 with iconv -f UTF-16LE -t UTF-8 \[FMC_ERR_INPUT_ENCODING\]$/);
});

test('a FIFO input (process substitution <(cat x)) is streamed', () => {
  const input = join(dir, 'fifo-src.csv');
  writeFileSync(input, 'id,text\n1,panne fibre\n2,merci\n');
  const r = spawnSync('bash', ['-c', `"${process.execPath}" "${fmcBin}" classify <(cat "${input}") -o - --provider rules --no-cache --quiet`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 3);
});

test('stdout closed early (| head -1): exit 141 with one line, the lock released', async () => {
  const input = join(dir, 'many.csv');
  writeFileSync(input, ['id,text', ...Array.from({ length: 200_000 }, (_, i) => `${i},panne fibre n°${i}`)].join('\n') + '\n');
  const lock = join(dir, 'head.lock');
  const child = spawn(process.execPath, [fmcBin, 'classify', input, '-o', '-', ...RULES, '--quiet', '--lock', lock], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  // Read the first line, then go away like `head -1`.
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  oneLine({ status, stdout: '', stderr }, 141, /^fmc: stdout: closed by its reader before the end \(EPIPE\); the run stopped, the output is incomplete \[FMC_ERR_OUTPUT_CLOSED\]$/);
  assert.equal(existsSync(lock), false, 'lock released');
});

