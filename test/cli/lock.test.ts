import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
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
    writeFileSync(path, '2147483646\n');
    const lock = acquireLock(path);
    lock.release();
  } finally {
    cleanup();
  }
});
