import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runFmc } from '../helpers.js';
import { call, errorCode, startServer, type TestServer } from './helpers.js';

let server: TestServer;
before(async () => {
  server = await startServer({ rateLimits: { perMinute: 3, loginPerMinute: 2 } });
});
after(() => server.close());

// Any counted route: the label table is public and cheap. (/api/health is not counted.)
const health = (token?: string) => call(`${server.url}/dashboard/labels.json`, { token });

test('per IP: the request over the budget gets 429, a JSON error and Retry-After', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await health()).status, 200, `request ${i + 1}`);
  const r = await health();
  assert.equal(r.status, 429);
  assert.equal(errorCode(r), 'FMC_ERR_RATE_LIMITED');
  const retryAfter = Number(r.headers.get('retry-after'));
  assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After: ${r.headers.get('retry-after')}`);
  // Unknown routes count too: scanning is not free.
  assert.equal((await call(`${server.url}/nope`)).status, 429);
  // The load balancer's health polls are never refused, however many.
  for (let i = 0; i < 5; i++) assert.equal((await call(`${server.url}/api/health`)).status, 200);
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

const loginFrom = (url: string, forwardedFor: string) =>
  call(`${url}/api/auth/login`, { method: 'POST', headers: { 'x-forwarded-for': forwardedFor }, json: { username: 'carol', password: 'guess guess' } });

test('--trust-proxy: behind a trusted proxy each client (X-Forwarded-For) has its own login budget', async () => {
  // The loopback test client plays nginx, which appends the client it saw to any header sent.
  const proxied = await startServer({ rateLimits: { perMinute: 0, loginPerMinute: 2 }, trustProxy: ['127.0.0.1'] });
  try {
    for (let i = 0; i < 2; i++) assert.equal((await loginFrom(proxied.url, '203.0.113.7')).status, 401);
    assert.equal((await loginFrom(proxied.url, '203.0.113.7')).status, 429);
    assert.equal((await loginFrom(proxied.url, '198.51.100.9')).status, 401, 'another client still logs in');
    // A client's own forged header in front of what nginx appends changes nothing.
    assert.equal((await loginFrom(proxied.url, '198.51.100.1, 203.0.113.7')).status, 429);
  } finally {
    await proxied.close();
  }
});

test('without --trust-proxy, X-Forwarded-For is ignored: a forged one does not dodge the limit', async () => {
  const direct = await startServer({ rateLimits: { perMinute: 0, loginPerMinute: 2 } });
  try {
    for (let i = 0; i < 2; i++) assert.equal((await loginFrom(direct.url, `203.0.113.${i}`)).status, 401);
    assert.equal((await loginFrom(direct.url, '203.0.113.99')).status, 429);
  } finally {
    await direct.close();
  }
});

test('--trust-proxy takes IPs, CIDRs or loopback; anything else is a usage error', () => {
  const r = runFmc(['serve', '--trust-proxy', '127.0.0.1,not-an-ip']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /"not-an-ip": expected IP addresses or CIDRs/);
});
