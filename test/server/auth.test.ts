import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTokenService } from '../../src/auth/tokens.js';
import { call, errorCode, startServer, TEST_SECRET, type TestServer } from './helpers.js';

let server: TestServer;
let tokens: { admin: string; agent: string; customer: string };
before(async () => {
  server = await startServer({ requireAuth: true, allowSignup: true, inject: true });
  tokens = {
    admin: await server.login('root', 'admin'),
    agent: await server.login('alice', 'agent', 'alice password 1'),
    customer: await server.login('bob', 'customer'),
  };
});
after(() => server.close());

const api = (path: string): string => `${server.url}${path}`;
const classify = (token?: string) => call(api('/api/classify'), { method: 'POST', json: { texts: ['panne fibre'] }, token });

test('login returns a short-lived token that /api/auth/me accepts', async () => {
  const r = await call(api('/api/auth/login'), { method: 'POST', json: { username: 'Alice', password: 'alice password 1' } });
  assert.equal(r.status, 200, r.text);
  const { token, expiresAt } = r.body as { token: string; expiresAt: string };
  const ttl = Date.parse(expiresAt) - Date.now();
  assert.ok(ttl > 0 && ttl <= 900_000, `expires in ${ttl} ms`);
  const me = await call(api('/api/auth/me'), { token });
  assert.equal(me.status, 200, me.text);
  assert.deepEqual({ ...(me.body as object), createdAt: undefined }, { id: 2, username: 'alice', role: 'agent', createdAt: undefined });
  assert.equal((me.body as Record<string, unknown>).passwordHash, undefined, 'no hash in the answer');
});

test('wrong password and unknown user: the same 401', async () => {
  const wrong = await call(api('/api/auth/login'), { method: 'POST', json: { username: 'alice', password: 'not her password' } });
  const unknown = await call(api('/api/auth/login'), { method: 'POST', json: { username: 'mallory', password: 'alice password 1' } });
  for (const r of [wrong, unknown]) {
    assert.equal(r.status, 401);
    assert.equal(errorCode(r), 'FMC_ERR_UNAUTHORIZED');
  }
  assert.deepEqual(wrong.body, unknown.body, 'the answer does not tell which part was wrong');
  assert.equal((await call(api('/api/auth/login'), { method: 'POST', json: { username: 'alice' } })).status, 400);
});

test('expired, tampered, foreign and unsigned tokens: 401', async () => {
  const user = (await server.users.byName('alice'))!;
  const past = createTokenService({ secret: TEST_SECRET, ttlSeconds: 60, now: () => Math.floor(Date.now() / 1000) - 3600 });
  const expired = (await past.issue(user)).token;
  const foreign = (await createTokenService({ secret: 'another-secret-another-secret-another-secret', ttlSeconds: 60 }).issue(user)).token;
  // Claim to be the admin (id 1) while keeping alice's signature.
  const [header, payload, signature] = tokens.agent.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const tampered = [header, Buffer.from(JSON.stringify({ ...claims, sub: '1' })).toString('base64url'), signature].join('.');
  const unsigned = [Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url'), Buffer.from(JSON.stringify({ ...claims, sub: '1' })).toString('base64url'), ''].join('.');

  const exp = await call(api('/api/auth/me'), { token: expired });
  assert.equal(exp.status, 401);
  assert.match(exp.text, /token expired; log in again/);
  for (const [name, token] of Object.entries({ foreign, tampered, unsigned, garbage: 'abc.def.ghi' })) {
    const r = await call(api('/api/auth/me'), { token });
    assert.equal(r.status, 401, name);
    assert.equal(errorCode(r), 'FMC_ERR_UNAUTHORIZED');
    assert.match(r.text, /invalid token/, name);
  }
  const notBearer = await call(api('/api/auth/me'), { headers: { authorization: `Basic ${Buffer.from('alice:x').toString('base64')}` } });
  assert.equal(notBearer.status, 401);
  // A bad token is refused even on a route that needs none: the caller should know.
  assert.equal((await call(api('/api/classify'), { method: 'POST', json: { texts: ['x'] }, token: tampered })).status, 401);
});

test('role checks: classify needs agent or admin with --require-auth; the user list needs admin', async () => {
  const anonymous = await classify();
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.text, /needs a token/);
  const customer = await classify(tokens.customer);
  assert.equal(customer.status, 403);
  assert.equal(errorCode(customer), 'FMC_ERR_FORBIDDEN');
  assert.equal((await classify(tokens.agent)).status, 200);
  assert.equal((await classify(tokens.admin)).status, 200);

  assert.equal((await call(api('/api/users'), { token: tokens.agent })).status, 403);
  assert.equal((await call(api('/api/users'))).status, 401);
  const list = await call(api('/api/users'), { token: tokens.admin });
  assert.equal(list.status, 200);
  assert.deepEqual((list.body as { users: { username: string }[] }).users.map((u) => u.username).sort(), ['alice', 'bob', 'root']);
});

test('sign-up creates a customer, whatever role the body asks for', async () => {
  const r = await call(api('/api/auth/signup'), { method: 'POST', json: { username: 'eve', password: 'eve wants admin', role: 'admin' } });
  assert.equal(r.status, 201, r.text);
  assert.equal((r.body as { role: string }).role, 'customer');
  assert.equal((await server.users.byName('eve'))?.role, 'customer');
  const login = await call(api('/api/auth/login'), { method: 'POST', json: { username: 'eve', password: 'eve wants admin' } });
  const token = (login.body as { token: string }).token;
  assert.equal((await call(api('/api/users'), { token })).status, 403);

  const again = await call(api('/api/auth/signup'), { method: 'POST', json: { username: 'EVE', password: 'another password' } });
  assert.equal(again.status, 409);
  assert.equal(errorCode(again), 'FMC_ERR_USER_EXISTS');
  const weak = await call(api('/api/auth/signup'), { method: 'POST', json: { username: 'frank', password: 'short' } });
  assert.equal(weak.status, 400);
  assert.equal(errorCode(weak), 'FMC_ERR_BAD_USER');
});

test('a removed user’s token stops working at once', async () => {
  const token = await server.login('temp', 'agent');
  assert.equal((await classify(token)).status, 200);
  assert.ok((await server.users.remove('temp')));
  const r = await classify(token);
  assert.equal(r.status, 401);
  assert.match(r.text, /no longer exists/);
});

test('a removed user’s token does not pass for the next account given the same id', async () => {
  const token = await server.login('leaver', 'admin');
  const leaver = (await server.users.byName('leaver'))!;
  assert.ok((await server.users.remove('leaver')));
  await server.login('joiner', 'customer');
  // SQLite hands the freed top id to the next row: the case the session key is for.
  assert.equal((await server.users.byName('joiner'))!.id, leaver.id);
  const me = await call(api('/api/auth/me'), { token });
  assert.equal(me.status, 401);
  assert.match(me.text, /no longer exists/);
});

test('sign-up is closed unless the server allows it', async () => {
  const closed = await startServer({ allowSignup: false, inject: true });
  try {
    const r = await call(`${closed.url}/api/auth/signup`, { method: 'POST', json: { username: 'zoe', password: 'zoe password' } });
    assert.equal(r.status, 403);
    assert.equal(errorCode(r), 'FMC_ERR_SIGNUP_CLOSED');
    assert.equal((await closed.users.byName('zoe')), undefined);
    // Without --require-auth, classify is open to anyone.
    assert.equal((await call(`${closed.url}/api/classify`, { method: 'POST', json: { texts: ['x'] } })).status, 200);
  } finally {
    await closed.close();
  }
});
