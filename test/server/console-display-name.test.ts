import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { hashPassword } from '../../src/auth/passwords.js';
import { usersName } from '../../src/cli/users.js';
import { openDataDb } from '../../src/store/sqlite/data-db.js';
import { createUserStore } from '../../src/store/sqlite/users.js';
import { FmcError } from '../../src/errors.js';
import { tempDir } from '../helpers.js';

const io = () => {
  const stdout = new PassThrough();
  return { io: { stdin: Readable.from([]), stdout, stderr: process.stderr, env: {} }, out: () => String(stdout.read() ?? '') };
};

test('fmc users name sets, then clears, the name customers see; bad names and unknown users refused', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const data = openDataDb(dir);
    await createUserStore(data.db).add({ username: 'alice', role: 'agent', passwordHash: await hashPassword('alice password 1') });
    data.close();
    const set = io();
    assert.equal(await usersName('Alice', '  Alice   M. ', { dataDir: dir }, set.io), 0);
    assert.match(set.out(), /customers now see "Alice M\."/);
    const read = async () => {
      const db = openDataDb(dir);
      try {
        return await createUserStore(db.db).byName('alice');
      } finally {
        db.close();
      }
    };
    assert.equal((await read())!.displayName, 'Alice M.');
    assert.equal(await usersName('alice', undefined, { dataDir: dir }, io().io), 0);
    assert.equal((await read())!.displayName, undefined);
    assert.ok(!('displayName' in (await read())!), 'absent, not null: /api/auth/me stays as it was');
    await assert.rejects(usersName('alice', 'x'.repeat(65), { dataDir: dir }, io().io), (e: unknown) => e instanceof FmcError && e.code === 'FMC_ERR_BAD_USER');
    await assert.rejects(usersName('alice', 'bell\u0007', { dataDir: dir }, io().io), (e: unknown) => e instanceof FmcError && e.code === 'FMC_ERR_BAD_USER');
    await assert.rejects(usersName('nobody', 'N', { dataDir: dir }, io().io), (e: unknown) => e instanceof FmcError && e.code === 'FMC_ERR_USER_NOT_FOUND');
  } finally {
    cleanup();
  }
});
