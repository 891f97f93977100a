import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, errorCode, startServer, type TestServer } from './helpers.js';

let server: TestServer;
before(async () => {
  server = await startServer({ rateLimits: { perMinute: 3, loginPerMinute: 2 } });
});
after(() => server.close());

const health = (token?: string) => call(`${server.url}/api/health`, { token });

test('per IP: the request over the budget gets 429, a JSON error and Retry-After', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await health()).status, 200, `request ${i + 1}`);
  const r = await health();
  assert.equal(r.status, 429);
  assert.equal(errorCode(r), 'FMC_ERR_RATE_LIMITED');
  const retryAfter = Number(r.headers.get('retry-after'));
  assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After: ${r.headers.get('retry-after')}`);
  // Unknown routes count too: scanning is not free.
  assert.equal((await call(`${server.url}/nope`)).status, 429);
});

test('per user: a logged-in user has a budget of their own', async () => {
  const token = await server.login('carol', 'agent');
  for (let i = 0; i < 3; i++) assert.equal((await health(token)).status, 200, `request ${i + 1}`);
  assert.equal((await health(token)).status, 429);
  const other = await server.login('dave', 'agent');
  assert.equal((await health(other)).status, 200, "another user is not limited by carol's use");
});

test('login attempts have their own, tighter limit per IP', async () => {
  const attempt = () => call(`${server.url}/api/auth/login`, { method: 'POST', json: { username: 'carol', password: 'guess guess' } });
  assert.equal((await attempt()).status, 401);
  assert.equal((await attempt()).status, 401);
  const third = await attempt();
  assert.equal(third.status, 429);
  assert.ok(Number(third.headers.get('retry-after')) > 0);
});
