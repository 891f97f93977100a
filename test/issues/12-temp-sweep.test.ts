import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fmcBin, holdLock, runFmc, tempDir } from '../helpers.js';

// Issue 12, item 7 (temp files): a run killed with -9 (or a second Ctrl-C) left
// `.out.csv.tmp-<pid>-…` behind and nothing ever removed it. The next run writing into that
// folder sweeps the temp files of dead pids (a nightly run writes a new name each day), and
// only those: never a live run's, never a file that merely looks similar.

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir()));
after(() => cleanup());

test('kill -9 mid-run leaves a temp file; the next run to that output removes it', async () => {
  const work = join(dir, 'killed');
  mkdirSync(work);
  const input = join(work, 'big.csv');
  writeFileSync(input, ['id,text', ...Array.from({ length: 300_000 }, (_, i) => `${i},panne fibre n°${i} depuis hier`)].join('\n') + '\n');
  const out = join(work, 'out.csv');
  const child = spawn(process.execPath, [fmcBin, 'classify', input, '-o', out, '--provider', 'rules', '--no-cache', '--quiet'], { stdio: 'ignore' });
  const closed = new Promise((resolve) => child.on('close', resolve));
  while (!readdirSync(work).some((f) => f.startsWith('.out.csv.tmp-'))) {
    assert.equal(child.exitCode, null, 'fmc ended before its temp file appeared');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill('SIGKILL');
  await closed;
  const litter = readdirSync(work).filter((f) => f.startsWith('.out.csv.tmp-'));
  assert.equal(litter.length, 1, 'kill -9 leaves the temp file (nothing can clean up)');

  const small = join(work, 'small.csv');
  writeFileSync(small, 'text\nmerci\n');
  const r = runFmc(['classify', small, '-o', out, '--provider', 'rules', '--no-cache', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(work).sort(), ['big.csv', 'out.csv', 'small.csv']);
});

test("only fmc's own temp names of dead pids are swept: a live run's temp file and look-alikes stay", async () => {
  const work = join(dir, 'pattern');
  mkdirSync(work);
  const input = join(work, 'in.csv');
  writeFileSync(input, 'text\nmerci\n');
  // A real fmc run, alive while the sweep happens (it waits on its stdin).
  const live = await holdLock(join(work, 'live.lock'));
  try {
    const dead = 2147483646;
    const files = {
      stale: `.out.csv.tmp-${dead}-0123abcd`,
      staleSummary: `.run.json.tmp-${dead}-89abcdef`,
      otherOutput: `.tweets-2026-12-01.classified.csv.tmp-${dead}-0123abcd`,
      live: `.out.csv.tmp-${live.pid}-00ff00ff`,
      notOurs: `.out.csv.tmp-${dead}-notours`,
      keep: 'out.csv.tmp-1-0123abcd',
      noPid: '.out.csv.tmp--0123abcd',
    };
    for (const name of Object.values(files)) writeFileSync(join(work, name), 'x');
    // A directory with a temp-like name is not a file fmc wrote.
    mkdirSync(join(work, `.out.csv.tmp-${dead}-deadbeef`));
    const r = runFmc(['classify', input, '-o', join(work, 'out.csv'), '--summary-json', join(work, 'run.json'), '--provider', 'rules', '--no-cache', '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(existsSync(join(work, files.stale)), false, 'stale output temp swept');
    assert.equal(existsSync(join(work, files.staleSummary)), false, 'stale summary temp swept');
    assert.equal(existsSync(join(work, files.otherOutput)), false, "a previous night's output temp swept");
    for (const kept of [files.live, files.notOurs, files.keep, files.noPid, `.out.csv.tmp-${dead}-deadbeef`]) {
      assert.ok(existsSync(join(work, kept)), `${kept} is left alone`);
    }
  } finally {
    assert.equal(await live.release(), 0);
  }
});
