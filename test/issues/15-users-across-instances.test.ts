// Issue #15: with FMC_DATABASE_URL, the users, their refresh sessions and the token secret
// are the database's. Two real `fmc serve` processes on one real PostgreSQL (test/pg), each
// with its own data dir and no FMC_JWT_SECRET: an account added once by `fmc users add
// --database-url` logs in on either, a token of one is good on the other, and a password
// change or a disable applies on both at once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { tempDir } from '../helpers.js';
import { fmc, isolatedEnv, serveFmc, type Served } from '../ops/helpers.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';
import { call, errorCode, type JsonResponse } from '../server/helpers.js';

interface Login {
  readonly token: string;
  readonly session: string;
  readonly secret: string;
}

/** The refresh secret a response set in the session's cookie. */
function cookieSecret(r: JsonResponse, session: string): string | undefined {
  for (const line of r.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const [name, value] = pair!.split('=');
    if (name === `fmc_rt_${session}`) return value;
  }
  return undefined;
}

async function login(instance: Served, username: string, password: string): Promise<Login> {
  const r = await call(`${instance.url}/api/auth/login`, { method: 'POST', json: { username, password } });
  assert.equal(r.status, 200, r.text);
  const { token, session } = r.body as { token: string; session: string };
  return { token, session, secret: cookieSecret(r, session)! };
}

const refresh = (instance: Served, l: Pick<Login, 'session' | 'secret'>): Promise<JsonResponse> =>
  call(`${instance.url}/api/auth/refresh`, { method: 'POST', json: { session: l.session }, headers: { cookie: `fmc_rt_${l.session}=${l.secret}` } });

const me = (instance: Served, token: string): Promise<JsonResponse> => call(`${instance.url}/api/auth/me`, { token });

describe('two instances, two data dirs, one PostgreSQL, no FMC_JWT_SECRET', () => {
  let postgres: TestPostgres;
  let temp: { dir: string; cleanup(): void };
  let a: Served;
  let b: Served;
  /** The CLI's environment: its own data dir, no FMC_DATABASE_URL (the flag says where). */
  let cliEnv: NodeJS.ProcessEnv;
  let agentToken = '';
  let adminToken = '';
  const users = (args: readonly string[], input?: string) => fmc(['users', ...args, '--database-url', postgres.url], cliEnv, input);

  before(async () => {
    postgres = await startPostgres();
    temp = tempDir('fmc-users-pg-');
    const masterKey = randomBytes(32).toString('base64');
    const envOf = (name: string): NodeJS.ProcessEnv => ({
      ...isolatedEnv(join(temp.dir, name)),
      FMC_DATABASE_URL: postgres.url,
      FMC_MASTER_KEY: masterKey,
      FMC_LOG_LEVEL: 'warn',
    });
    cliEnv = { ...isolatedEnv(join(temp.dir, 'cli')), FMC_DATABASE_URL: '' };
    // Started together: the first to insert the secret wins, the other reads it.
    [a, b] = await Promise.all([serveFmc(envOf('a')), serveFmc(envOf('b'))]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await postgres?.destroy();
    temp?.cleanup();
  });

  test('fmc users add --database-url makes accounts every instance knows; fmc users without it is the data dir', async () => {
    const added = await users(['add', 'agent7', '--role', 'agent'], 'first password 1\n');
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, 'added agent7 (agent)\n');
    assert.equal((await users(['add', 'boss', '--role', 'admin'], 'boss password 1\n')).code, 0);
    const taken = await users(['add', 'AGENT7'], 'x password 1\n');
    assert.equal(taken.code, 2);
    assert.match(taken.stderr, /user agent7 already exists/);

    const listed = await users(['list', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual((JSON.parse(listed.stdout) as { username: string; role: string }[]).map((u) => [u.username, u.role]), [['agent7', 'agent'], ['boss', 'admin']]);
    // Without a database URL the command is about the data dir's SQLite file, as before.
    const local = await fmc(['users', 'list'], cliEnv);
    assert.equal(local.code, 0, local.stderr);
    assert.match(local.stdout, /^no users/);
  });

  test("a login on A gives a token B accepts; a refresh on B works; the secret is the database's, not a data dir's", async () => {
    const first = await login(a, 'agent7', 'first password 1');
    const onB = await me(b, first.token);
    assert.equal(onB.status, 200, onB.text);
    assert.equal((onB.body as { username: string }).username, 'agent7');

    const renewed = await refresh(b, first);
    assert.equal(renewed.status, 200, renewed.text);
    const body = renewed.body as { token: string; session: string; user: { username: string } };
    assert.equal(body.session, first.session);
    assert.equal(body.user.username, 'agent7');
    assert.equal((await me(a, body.token)).status, 200, 'the token B issued works on A');
    const next = cookieSecret(renewed, first.session)!;
    assert.ok(next && next !== first.secret);
    // The spent secret, replayed on A: a reuse, wherever it is presented; the session is revoked.
    const replayed = await refresh(a, first);
    assert.equal(replayed.status, 401);
    assert.equal(errorCode(replayed), 'FMC_ERR_REFRESH_REUSED');
    assert.equal(errorCode(await refresh(b, { session: first.session, secret: next })), 'FMC_ERR_SESSION_REVOKED');

    for (const name of ['a', 'b']) assert.equal(existsSync(join(temp.dir, name, 'data', 'jwt-secret')), false, `no jwt-secret file in data dir ${name}`);
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const rows = (await client.query<{ name: string }>('SELECT name FROM server_secrets')).rows;
      assert.deepEqual(rows, [{ name: 'jwt' }], 'one secret, made by whichever instance started first');
    } finally {
      await client.end();
    }
  });

  test('fmc users passwd (CLI) ends the tokens and sessions on both instances; the new password works on both', async () => {
    const onA = await login(a, 'agent7', 'first password 1');
    assert.equal((await me(b, onA.token)).status, 200);
    const changed = await users(['passwd', 'agent7'], 'second password 2\n');
    assert.equal(changed.code, 0, changed.stderr);
    for (const instance of [a, b]) {
      const r = await me(instance, onA.token);
      assert.equal(r.status, 401, r.text);
      assert.equal(errorCode(r), 'FMC_ERR_UNAUTHORIZED');
    }
    assert.equal(errorCode(await refresh(b, onA)), 'FMC_ERR_SESSION_REVOKED');
    agentToken = (await login(b, 'agent7', 'second password 2')).token;
    assert.equal((await me(a, agentToken)).status, 200);
  });

  test('an account disabled by an admin on A is refused on both: its token, its session, a new login', async () => {
    // Logins are few in this file: the per-IP login limit (10 a minute) is shared by the instances.
    const agent = await login(a, 'agent7', 'second password 2');
    const admin = await login(b, 'boss', 'boss password 1');
    adminToken = admin.token;
    const disabled = await call(`${a.url}/api/admin/users/agent7/disabled`, { method: 'POST', token: admin.token, json: { disabled: true } });
    assert.equal(disabled.status, 200, disabled.text);
    assert.equal((disabled.body as { disabled: boolean }).disabled, true);
    for (const instance of [a, b]) {
      assert.equal((await me(instance, agent.token)).status, 401);
      const refused = await call(`${instance.url}/api/auth/login`, { method: 'POST', json: { username: 'agent7', password: 'second password 2' } });
      assert.equal(errorCode(refused), 'FMC_ERR_ACCOUNT_DISABLED');
    }
    assert.equal(errorCode(await refresh(b, agent)), 'FMC_ERR_SESSION_REVOKED');
    // The admin's own session, started on B, refreshes on A.
    assert.equal((await refresh(a, admin)).status, 200);
    // Enabled again on B: A lists it enabled.
    assert.equal((await call(`${b.url}/api/admin/users/agent7/disabled`, { method: 'POST', token: admin.token, json: { disabled: false } })).status, 200);
    const accounts = (await call(`${a.url}/api/admin/users`, { token: admin.token })).body as { users: { username: string; disabled: boolean }[] };
    assert.equal(accounts.users.find((u) => u.username === 'agent7')!.disabled, false);
    agentToken = (await login(a, 'agent7', 'second password 2')).token;
  });

  test("fmc users role, name (FMC_DATABASE_URL this time) and remove act on the shared users; a customer's conversation goes with them", async () => {
    const role = await users(['role', 'agent7', 'admin']);
    assert.equal(role.code, 0, role.stderr);
    assert.match(role.stdout, /^agent7: agent -> admin/);
    assert.equal(((await me(b, agentToken)).body as { role: string }).role, 'admin', 'at once, on B');
    assert.equal((await call(`${a.url}/api/admin/users`, { token: agentToken })).status, 200, 'and on A');

    const named = await fmc(['users', 'name', 'agent7', 'Agent Sept'], { ...cliEnv, FMC_DATABASE_URL: postgres.url });
    assert.equal(named.code, 0, named.stderr);
    const listed = JSON.parse((await users(['list', '--json'])).stdout) as { username: string; displayName?: string }[];
    assert.equal(listed.find((u) => u.username === 'agent7')!.displayName, 'Agent Sept');

    assert.equal((await users(['add', 'cleo', '--role', 'customer'], 'cleo password 1\n')).code, 0);
    const cleo = await login(a, 'cleo', 'cleo password 1');
    const opened = await call(`${a.url}/api/conversations`, { method: 'POST', token: cleo.token });
    assert.equal(opened.status, 201, opened.text);
    const conversationId = (opened.body as { id: string }).id;
    const unconfirmed = await users(['remove', 'cleo']);
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /removing cleo deletes 1 conversation and their messages; pass --yes/);
    const removed = await users(['remove', 'cleo', '--yes']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, 'removed cleo and 1 conversation\n');
    assert.equal((await me(b, cleo.token)).status, 401);
    assert.equal(errorCode(await refresh(b, cleo)), 'FMC_ERR_SESSION_REVOKED');
    const gone = await call(`${b.url}/api/conversations/${conversationId}/messages`, { token: adminToken });
    assert.equal(gone.status, 404, gone.text);
  });

  test('fmc users with an unreachable database: one line naming the host and the fix, exit 2, nothing else', async () => {
    const r = await fmc(['users', 'list', '--database-url', 'postgres://fmc@127.0.0.1:1/fmc'], cliEnv);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /PostgreSQL at 127\.0\.0\.1:1 refused the connection: start the server, or fix the host and port in --database-url or FMC_DATABASE_URL/);
  });
});
