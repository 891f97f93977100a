import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireLock } from '../../src/cli/lock.js';
import { FmcError } from '../../src/errors.js';
import { tempDir } from '../helpers.js';

test('a held lock refuses a second taker with exit 75; release frees it', () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'run.lock');
    const lock = acquireLock(path);
    assert.throws(() => acquireLock(path), (e: FmcError) => e.code === 'FMC_ERR_LOCKED' && e.exitCode === 75);
    lock.release();
    assert.equal(existsSync(path), false);
    acquireLock(path).release();
  } finally {
    cleanup();
  }
});

test('a lock left by a dead process is taken over', () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'run.lock');
    writeFileSync(path, '2147483646\nfmc lock\n');
    const lock = acquireLock(path);
    lock.release();
  } finally {
    cleanup();
  }
});

/** A live process whose command line is `node <dir>/<script>`, idle until killed. */
async function idleProcess(dir: string, script: string): Promise<ChildProcess> {
  const path = join(dir, script);
  writeFileSync(path, "process.stdout.write('ready'); setInterval(() => {}, 1000);\n");
  const child = spawn(process.execPath, [path], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => child.stdout!.once('data', resolve));
  return child;
}

const stop = (child: ChildProcess): Promise<unknown> => new Promise((resolve) => (child.once('close', resolve), child.kill()));

test('a lock holding the pid of a live process that is not fmc (pid reused after a reboot) is taken over', async () => {
  const { dir, cleanup } = tempDir();
  const other = await idleProcess(dir, 'not-it.js');
  try {
    const path = join(dir, 'run.lock');
    writeFileSync(path, `${other.pid}\nfmc lock\n`);
    const lock = acquireLock(path);
    assert.equal(readFileSync(path, 'utf8'), `${process.pid}\nfmc lock\n`);
    lock.release();
  } finally {
    await stop(other);
    cleanup();
  }
});

test('a lock holding the pid of a live fmc is held', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const { dir, cleanup } = tempDir();
  const holder = await idleProcess(dir, 'fmc.js');
  try {
    const path = join(dir, 'run.lock');
    writeFileSync(path, `${holder.pid}\nfmc lock\n`);
    assert.throws(() => acquireLock(path), (e: FmcError) => e.code === 'FMC_ERR_LOCKED' && e.message.includes(`pid ${holder.pid}`));
  } finally {
    await stop(holder);
    cleanup();
  }
});

test("a lock holding our own pid that we did not take (a container's fixed pid) is stale", () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'run.lock');
    writeFileSync(path, `${process.pid}\nfmc lock\n`);
    const lock = acquireLock(path);
    // Taken by us now: a second taker in this process is refused.
    assert.throws(() => acquireLock(path), (e: FmcError) => e.code === 'FMC_ERR_LOCKED');
    lock.release();
    assert.equal(existsSync(path), false);
  } finally {
    cleanup();
  }
});

test('an empty lock file is not an fmc lock: refused (exit 2) and left alone, however old', () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'run.lock');
    writeFileSync(path, '');
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(path, old, old);
    assert.throws(() => acquireLock(path), (e: FmcError) => e.code === 'FMC_ERR_USAGE' && e.exitCode === 2 && /not an fmc lock file \(empty\)/.test(e.message));
    assert.equal(existsSync(path), true);
  } finally {
    cleanup();
  }
});

test('a stale lock of an earlier version (a bare pid) is still taken over', () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'run.lock');
    writeFileSync(path, '2147483646\n');
    acquireLock(path).release();
    assert.equal(existsSync(path), false);
  } finally {
    cleanup();
  }
});

test('the lock file is never empty: the pid is linked into place, and no temp file is left', () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'run.lock');
    const lock = acquireLock(path);
    assert.equal(readFileSync(path, 'utf8'), `${process.pid}\nfmc lock\n`);
    lock.release();
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    cleanup();
  }
});
