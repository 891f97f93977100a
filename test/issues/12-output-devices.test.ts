import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, lstatSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fmcBin, runFmc, tempDir } from '../helpers.js';

// Issue 12, item 1: `-o` naming a character device or FIFO replaced it with a regular file
// (temp file + rename); as root, `-o /dev/null` replaced the system's /dev/null. Devices
// and FIFOs are now written straight; other non-regular targets are refused at start.

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir()));
after(() => cleanup());

const input = (): string => {
  const path = join(dir, 'in.csv');
  writeFileSync(path, 'id,text\n1,plus de fibre depuis hier\n2,merci free\n');
  return path;
};

test('a FIFO output is written straight: it stays a FIFO and its reader gets every row', { timeout: 60_000 }, async () => {
  const fifo = join(dir, 'out.fifo');
  execFileSync('mkfifo', [fifo]);
  const chunks: Buffer[] = [];
  const reading = new Promise<void>((resolve, reject) => {
    createReadStream(fifo).on('data', (c) => chunks.push(c as Buffer)).on('end', resolve).on('error', reject);
  });
  const child = spawn(process.execPath, [fmcBin, 'classify', input(), '-o', fifo, '--provider', 'rules', '--no-cache', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  await reading;
  assert.equal(status, 0, stderr);
  assert.ok(lstatSync(fifo).isFIFO(), 'still a FIFO, not replaced by a regular file');
  const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^id,text,is_claim,/);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temp file beside it');
});

test('a character device output is written straight and stays a device', () => {
  // As root, a null device of our own (mknod) stands in for /dev/null: the old code would
  // have replaced the real one. Without root, /dev/null itself cannot be replaced anyway.
  let device = '/dev/null';
  if (process.getuid?.() === 0) {
    device = join(dir, 'null');
    execFileSync('mknod', ['-m', '666', device, 'c', '1', '3']);
  }
  const before = statSync(device);
  const r = runFmc(['classify', input(), '-o', device, '--provider', 'rules', '--no-cache', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const after = statSync(device);
  assert.ok(after.isCharacterDevice(), `${device} is still a character device`);
  assert.equal(after.ino, before.ino, 'the same node, not a new file');
  assert.equal(after.rdev, before.rdev);
});

/** An fmc run reading stdin that is never written to: whatever it says, it said before reading a row. */
function runWithoutInput(args: string[]): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [fmcBin, 'classify', '-', ...args, '--provider', 'rules', '--no-cache'], { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr })));
}

test('a directory or a socket as -o is refused at start, before reading a row: one line, exit 2', async () => {
  const folder = join(dir, 'outdir');
  mkdirSync(folder);
  const r = await runWithoutInput(['-o', folder]);
  assert.equal(r.status, 2, r.stderr);
  assert.deepEqual(r.stderr.trim().split('\n'), [`fmc: ${folder}: -o is a directory; give a file path such as ${join(folder, 'labeled.csv')} [FMC_ERR_OUTPUT_NOT_FILE]`]);
  assert.deepEqual(readdirSync(folder), []);

  const socketPath = join(dir, 'out.sock');
  const server = createServer().listen(socketPath);
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const s = await runWithoutInput(['-o', socketPath]);
    assert.equal(s.status, 2, s.stderr);
    assert.match(s.stderr.trim(), /^fmc: .*out\.sock: -o is a socket; choose another -o path \[FMC_ERR_OUTPUT_NOT_FILE\]$/);
    assert.ok(lstatSync(socketPath).isSocket(), 'the socket is left as it was');
  } finally {
    server.close();
  }
});
