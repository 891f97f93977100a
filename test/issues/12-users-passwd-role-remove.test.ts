import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { CommandIO } from '../../src/cli/command-io.js';
import { usersAdd, usersPasswd } from '../../src/cli/users.js';
import { openDataDb } from '../../src/store/sqlite/data-db.js';
import { createUserStore } from '../../src/store/sqlite/users.js';
import { fmc } from '../ops/helpers.js';
import { call } from '../server/helpers.js';
import { openConversation, startRelayServer, TEST_PASSWORD, type RelayServer } from '../server/relay-helpers.js';

// Issue 12, item 25: `fmc users passwd` and `fmc users role`; `users remove` of a customer
// says how many conversations it deletes and wants --yes off a terminal; the password
// prompt asks again on a mismatch.

let server: RelayServer;
let env: NodeJS.ProcessEnv;
before(async () => {
  server = await startRelayServer();
  env = { FMC_DATA_DIR: server.dataDir };
});
after(() => server.close());

const login = (username: string, password: string) => call(`${server.url}/api/auth/login`, { method: 'POST', json: { username, password } });

test('fmc users passwd: the new password logs in, the old one and every token issued before do not', async () => {
  const token = await server.user('paul', 'agent');
  assert.equal((await call(`${server.url}/api/auth/me`, { token })).status, 200);
  const r = await fmc(['users', 'passwd', 'Paul'], env, 'a brand new password\n');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^password of paul changed; their tokens stop working/);
  assert.equal((await call(`${server.url}/api/auth/me`, { token })).status, 401);
  assert.equal((await login('paul', TEST_PASSWORD)).status, 401);
  assert.equal((await login('paul', 'a brand new password')).status, 200);
  const missing = await fmc(['users', 'passwd', 'nobody'], env, 'a brand new password\n');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no user "nobody".*\[FMC_ERR_USER_NOT_FOUND\]/);
});

test('fmc users role: applies at once; a bad role is refused by the parser', async () => {
  const token = await server.user('rita', 'agent');
  assert.equal((await call(`${server.url}/api/users`, { token })).status, 403);
  const r = await fmc(['users', 'role', 'rita', 'admin'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^rita: agent -> admin/);
  assert.equal((await call(`${server.url}/api/users`, { token })).status, 200);
  assert.match((await fmc(['users', 'role', 'rita', 'admin'], env)).stdout, /rita is already admin/);
  assert.equal((await fmc(['users', 'role', 'rita', 'root'], env)).code, 2);
});

test("fmc users remove of a customer: says how many conversations go, needs --yes off a terminal", async () => {
  const token = await server.user('claire', 'customer');
  await openConversation(server, token);
  await openConversation(server, token);
  const refused = await fmc(['users', 'remove', 'claire'], env);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /removing claire deletes 2 conversations and their messages; pass --yes to confirm \(nothing was removed\) \[FMC_ERR_USAGE\]/);
  assert.ok((await server.users.byName('claire')), 'still there');
  const r = await fmc(['users', 'remove', 'claire', '--yes'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'removed claire and 2 conversations\n');
  assert.equal((await server.users.byName('claire')), undefined);
  // Without conversations there is nothing to confirm.
  await server.user('idle', 'customer');
  assert.equal((await fmc(['users', 'remove', 'idle'], env)).stdout, 'removed idle\n');
});

/** A terminal: stdin answers each prompt as it is written to stderr, as a person types. */
function terminal(answers: string[]): { io: CommandIO; prompts: () => string } {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
  let written = '';
  const stderr = new Writable({
    write(chunk: Buffer, _enc, done) {
      written += chunk.toString();
      if (/(password|again): $/.test(chunk.toString())) setImmediate(() => stdin.write(`${answers.shift() ?? ''}\r`));
      done();
    },
  });
  return { io: { stdin, stdout: new PassThrough(), stderr: stderr as unknown as NodeJS.WriteStream, env: { FMC_DATA_DIR: server.dataDir } }, prompts: () => written };
}

test('the password prompt asks again on a mismatch instead of giving up', async () => {
  const t = terminal(['first password', 'frist password', 'second password', 'second password']);
  assert.equal(await usersAdd('tina', { role: 'agent' }, t.io), 0);
  assert.match(t.prompts(), /the two passwords differ; try again/);
  assert.equal((await login('tina', 'second password')).status, 200);

  const stubborn = terminal(['aaaaaaaa1', 'bbbbbbbb1', 'aaaaaaaa1', 'bbbbbbbb1', 'aaaaaaaa1', 'bbbbbbbb1']);
  await assert.rejects(usersPasswd('tina', {}, stubborn.io), /the two passwords differed 3 times; nothing was changed/);
  assert.equal((await login('tina', 'second password')).status, 200);
});

test('the store: setPassword rotates the session key, setRole reports the previous role', async () => {
  const data = openDataDb(server.dataDir);
  try {
    const users = createUserStore(data.db);
    const before = (await users.byName('tina'))!;
    assert.ok(await users.setPassword('tina', 'hash'));
    assert.notEqual((await users.byName('tina'))!.sessionKey, before.sessionKey);
    assert.equal(await users.setRole('tina', 'customer'), 'agent');
    assert.equal(await users.setRole('ghost', 'agent'), undefined);
  } finally {
    data.close();
  }
});
