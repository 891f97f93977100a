import assert from 'node:assert/strict';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runFmc, tempDir } from '../helpers.js';

// Issue 12, item 2: `--lock <path>` deleted any file older than 2 s without a live fmc pid
// in it (`--lock in.csv` deleted the input). Only a file that is recognisably an fmc lock
// is ever taken over; anything else is refused with one line, exit 2, and left alone.

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir()));
after(() => cleanup());

const age = (path: string): void => {
  const old = (Date.now() - 3600_000) / 1000;
  utimesSync(path, old, old);
};

test('--lock naming an old file that is not an fmc lock: refused, exit 2, the file untouched', () => {
  const input = join(dir, 'in.csv');
  const other = join(dir, 'notes.txt');
  const precious = 'id,text\n1,panne fibre\n';
  writeFileSync(input, precious);
  writeFileSync(other, '12\nnot a lock at all\n');
  age(input);
  age(other);
  const copy = join(dir, 'copy.csv');
  writeFileSync(copy, precious);
  age(copy);
  for (const lock of [copy, other]) {
    const before = readFileSync(lock, 'utf8');
    const r = runFmc(['classify', input, '-o', join(dir, 'out.csv'), '--provider', 'rules', '--no-cache', '--lock', lock]);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^fmc: --lock .*: exists and is not an fmc lock file \(.*\); fmc leaves it alone: choose another lock path \[FMC_ERR_USAGE\]$/);
    assert.equal(readFileSync(lock, 'utf8'), before, `${lock} is untouched`);
  }
});

test('--lock on the input itself is refused before anything else, and the input survives', () => {
  const input = join(dir, 'self.csv');
  writeFileSync(input, 'text\nmerci\n');
  age(input);
  const r = runFmc(['classify', input, '-o', join(dir, 'self-out.csv'), '--provider', 'rules', '--no-cache', '--lock', input]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(readFileSync(input, 'utf8'), 'text\nmerci\n');
});

test('a stale fmc lock (dead pid) is still taken over and released', () => {
  const input = join(dir, 'ok.csv');
  writeFileSync(input, 'text\nmerci\n');
  const lock = join(dir, 'run.lock');
  writeFileSync(lock, '2147483646\nfmc lock\n');
  age(lock);
  const r = runFmc(['classify', input, '-o', join(dir, 'ok-out.csv'), '--provider', 'rules', '--no-cache', '--quiet', '--lock', lock]);
  assert.equal(r.status, 0, r.stderr);
});
