import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PassThrough, Readable } from 'node:stream';
import type { CommandIO } from '../../src/cli/command-io.js';
import { usersAdd, usersList, type UsersOptions } from '../../src/cli/users.js';
import { FmcError } from '../../src/errors.js';
import { fmcBin, tempDir } from '../helpers.js';
import { call, startServer } from './helpers.js';

let dir: string;
let dataDir: string;
let cleanup: () => void;
before(() => {
  ({ dir, cleanup } = tempDir());
  dataDir = join(dir, 'data');
});
after(() => cleanup());

function fmc(args: string[], input = ''): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [fmcBin, 'users', ...args, '--data-dir', dataDir], { input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('fmc users add reads the password from stdin; the server then accepts it', async () => {
  const r = fmc(['add', 'Alice', '--role', 'agent'], 'alice password 1\nignored second line\n');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'added alice (agent)\n');
  assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dataDir, 'fmc.sqlite')).mode & 0o777, 0o600);

  const server = await startServer({ dataDir });
  try {
    const ok = await call(`${server.url}/api/auth/login`, { method: 'POST', json: { username: 'alice', password: 'alice password 1' } });
    assert.equal(ok.status, 200, ok.text);
    const second = await call(`${server.url}/api/auth/login`, { method: 'POST', json: { username: 'alice', password: 'ignored second line' } });
    assert.equal(second.status, 401);
  } finally {
    await server.close();
  }
});

test('fmc users add refuses a taken name: exit 2, one line naming the fix', () => {
  const r = fmc(['add', 'alice', '--role', 'admin'], 'another password\n');
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /user alice already exists; `fmc users remove alice` first.*\[FMC_ERR_USER_EXISTS\]/);
});

test('usersAdd refuses a bad role, name, or a short or missing password', async () => {
  const io = (input: string): CommandIO => ({ stdin: Readable.from([input]), stdout: new PassThrough(), stderr: process.stderr, env: {} });
  const cases: [string, UsersOptions, string, RegExp][] = [
    ['bob', { role: 'root' }, 'bob password 1\n', /role "root"/],
    ['bob', {}, 'short\n', /password must be 8 to 256 characters/],
    ['bob', {}, '', /no password on stdin/],
    ['b o b', {}, 'bob password 1\n', /user name "b o b"/],
  ];
  for (const [name, options, input, pattern] of cases) {
    await assert.rejects(usersAdd(name, { ...options, dataDir }, io(input)), (err: unknown) => err instanceof FmcError && err.code === 'FMC_ERR_BAD_USER' && pattern.test(err.message), `${name} ${input}`);
  }
  const list = new PassThrough();
  await usersList({ dataDir, json: true }, { stdin: Readable.from([]), stdout: list, stderr: process.stderr, env: {} });
  assert.doesNotMatch(String(list.read()), /bob/);
});

test('fmc users list and remove', () => {
  assert.equal(fmc(['add', 'root', '--role', 'admin'], 'root password 1\n').status, 0);
  const list = fmc(['list']);
  assert.equal(list.status, 0);
  assert.match(list.stdout, /^alice\s+agent\s+\d{4}-/m);
  assert.match(list.stdout, /^root\s+admin\s+/m);
  const json = JSON.parse(fmc(['list', '--json']).stdout) as { username: string; role: string; passwordHash?: string }[];
  assert.deepEqual(json.map((u) => [u.username, u.role]), [['alice', 'agent'], ['root', 'admin']]);
  assert.ok(json.every((u) => u.passwordHash === undefined), 'hashes never printed');

  assert.equal(fmc(['remove', 'alice']).status, 0);
  const again = fmc(['remove', 'alice']);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /no user "alice".*\[FMC_ERR_USER_NOT_FOUND\]/);
  assert.doesNotMatch(fmc(['list']).stdout, /alice/);
});
