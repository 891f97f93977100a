import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createSessionStore } from '../../src/store/sqlite/sessions.js';
import type { CommandIO } from '../../src/cli/command-io.js';
import { usersPasswd, usersRemove } from '../../src/cli/users.js';
import { startServer, type TestServer } from './helpers.js';

// Refresh sessions over inject(): no socket is needed to exchange cookies.

let server: TestServer;
let clock = Date.now();
before(async () => {
  server = await startServer({ requireAuth: true, sessions: (data) => createSessionStore(data.db, { ttlSeconds: 3600, now: () => clock }) });
  for (const name of ['alice', 'bruno', 'chloe', 'david', 'emma', 'felix']) await server.login(name, 'agent', 'a long password');
});
after(() => server.close());

interface Login {
  token: string;
  session: string;
  cookie: string;
}

const cookieOf = (r: LightMyRequestResponse, session: string): string | undefined => r.cookies.find((c) => c.name === `fmc_rt_${session}`)?.value;
const code = (r: LightMyRequestResponse): string => (r.json() as { error: { code: string } }).error.code;

async function login(username: string): Promise<Login> {
  const r = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: 'a long password' } });
  assert.equal(r.statusCode, 200, r.body);
  const { token, session } = r.json() as { token: string; session: string };
  return { token, session, cookie: cookieOf(r, session)! };
}

const refresh = (session: string, cookie?: string) =>
  server.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { session }, ...(cookie !== undefined && { cookies: { [`fmc_rt_${session}`]: cookie } }) });

test('login sets the refresh secret in an httpOnly, SameSite=Strict cookie scoped to /api/auth; the body names the session only', async () => {
  const r = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: 'a long password' } });
  const body = r.json() as Record<string, string>;
  assert.match(body.session!, /^[\w-]{22}$/);
  const cookie = r.cookies.find((c) => c.name === `fmc_rt_${body.session}`);
  assert.ok(cookie, r.headers['set-cookie'] as string);
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/api/auth');
  assert.ok(cookie.expires && cookie.expires.getTime() > Date.now());
  assert.ok(!JSON.stringify(body).includes(cookie.value), 'the secret is not in the body a script can read');
});

test('refresh rotates: a new token and cookie; the spent cookie is refused as reused and the whole session is revoked', async () => {
  const first = await login('bruno');
  const r = await refresh(first.session, first.cookie);
  assert.equal(r.statusCode, 200, r.body);
  const renewed = r.json() as { token: string; session: string; user: { username: string } };
  assert.equal(renewed.session, first.session);
  assert.equal(renewed.user.username, 'bruno');
  const next = cookieOf(r, first.session)!;
  assert.ok(next && next !== first.cookie, 'a new secret');
  const me = await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${renewed.token}` } });
  assert.equal(me.statusCode, 200);

  const reused = await refresh(first.session, first.cookie);
  assert.equal(reused.statusCode, 401);
  assert.equal(code(reused), 'FMC_ERR_REFRESH_REUSED');
  // The thief and the owner look alike: the newest secret dies with the session.
  const after = await refresh(first.session, next);
  assert.equal(after.statusCode, 401);
  assert.equal(code(after), 'FMC_ERR_SESSION_REVOKED');
  assert.match(after.body, /an old refresh token was used again/);
});

test('a session unused past FMC_REFRESH_TTL is refused as expired; each use restarts the idle clock', async () => {
  const s = await login('chloe');
  clock += 3000_000;
  const r = await refresh(s.session, s.cookie);
  assert.equal(r.statusCode, 200, 'used within the hour');
  clock += 3000_000;
  const again = await refresh(s.session, cookieOf(r, s.session));
  assert.equal(again.statusCode, 200, 'the hour counts from the last use');
  clock += 3601_000;
  const late = await refresh(s.session, cookieOf(again, s.session));
  assert.equal(late.statusCode, 401);
  assert.equal(code(late), 'FMC_ERR_SESSION_EXPIRED');
  assert.ok(late.cookies.some((c) => c.name === `fmc_rt_${s.session}` && c.value === ''), 'the dead cookie is cleared');
});

test('logout ends the session; no cookie, a forged id or a forged secret get nothing', async () => {
  const s = await login('david');
  const out = await server.app.inject({ method: 'POST', url: '/api/auth/logout', payload: { session: s.session }, cookies: { [`fmc_rt_${s.session}`]: s.cookie } });
  assert.equal(out.statusCode, 200, out.body);
  assert.deepEqual(out.json(), { ended: true });
  const r = await refresh(s.session, s.cookie);
  assert.equal(code(r), 'FMC_ERR_SESSION_REVOKED');
  assert.match(r.body, /logged out/);

  const none = await refresh(s.session);
  assert.equal(none.statusCode, 401);
  assert.equal(code(none), 'FMC_ERR_UNAUTHORIZED');
  const forgedId = await refresh('A'.repeat(22), 'whatever');
  assert.equal(code(forgedId), 'FMC_ERR_SESSION_REVOKED');
  const other = await login('david');
  const forgedSecret = await refresh(other.session, 'x'.repeat(43));
  assert.equal(code(forgedSecret), 'FMC_ERR_REFRESH_REUSED', 'a wrong secret is treated as a stolen one');
  // Logout of someone else's session without its cookie: refused.
  const alice = await login('alice');
  const foreign = await server.app.inject({ method: 'POST', url: '/api/auth/logout', payload: { session: alice.session }, headers: { authorization: `Bearer ${other.token}` } });
  assert.equal(foreign.statusCode, 401);
  assert.equal((await refresh(alice.session, alice.cookie)).statusCode, 200);
});

function io(input: string): CommandIO {
  const out = new PassThrough();
  const err = new PassThrough();
  return { stdin: Readable.from([input]), stdout: out, stderr: err, env: {} } as unknown as CommandIO;
}

test('`fmc users passwd` and `fmc users remove` end every session of the account', async () => {
  const e = await login('emma');
  await usersPasswd('emma', { dataDir: server.data.path.replace(/\/fmc\.sqlite$/, '') }, io('a new long password\n'));
  const r = await refresh(e.session, e.cookie);
  assert.equal(r.statusCode, 401);
  assert.equal(code(r), 'FMC_ERR_SESSION_REVOKED');

  const f = await login('felix');
  await usersRemove('felix', { dataDir: server.data.path.replace(/\/fmc\.sqlite$/, '') }, io(''));
  const gone = await refresh(f.session, f.cookie);
  assert.equal(gone.statusCode, 401);
  assert.equal(code(gone), 'FMC_ERR_SESSION_REVOKED');
});

test('a disabled account cannot log in, refresh, or use its token; enabled again, it logs in', async () => {
  await server.login('gina', 'agent', 'a long password');
  const g = await login('gina');
  await server.users.setDisabled('gina', true);
  assert.equal(code(await refresh(g.session, g.cookie)), 'FMC_ERR_SESSION_REVOKED');
  const me = await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${g.token}` } });
  assert.equal(me.statusCode, 401);
  const denied = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'gina', password: 'a long password' } });
  assert.equal(denied.statusCode, 403);
  assert.equal(code(denied), 'FMC_ERR_ACCOUNT_DISABLED');
  const wrong = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'gina', password: 'not the password' } });
  assert.equal(code(wrong), 'FMC_ERR_UNAUTHORIZED', 'a stranger is not told the account exists');
  await server.users.setDisabled('gina', false);
  await login('gina');
});
