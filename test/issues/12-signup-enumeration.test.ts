import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer } from '../server/helpers.js';

// Issue 12, item 16: with --allow-signup, a taken name answers 409, so names can be probed.
// The trade-off is documented (README, "fmc serve"): an answer that hid it would move the
// probe to the login that follows any sign-up. What bounds it is the sign-up budget: 10 a
// minute per IP, counted for taken and free names alike, and a taken name costs the same
// password hash as a new account.

test('sign-up: a taken name is 409 and every attempt, taken or free, counts against 10 a minute per IP', async () => {
  const server = await startServer({ allowSignup: true, rateLimits: { perMinute: 0, loginPerMinute: 10 } });
  try {
    await server.login('taken', 'customer');
    const signup = (username: string) => server.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { username, password: 'a long enough password' } });
    const first = await signup('taken');
    assert.equal(first.statusCode, 409);
    assert.equal(first.json().error.code, 'FMC_ERR_USER_EXISTS');
    const statuses = [first.statusCode];
    for (let i = 0; i < 10; i++) statuses.push((await signup(i % 2 === 0 ? 'taken' : `free${i}`)).statusCode);
    assert.deepEqual(statuses.slice(0, 10), [409, 409, 201, 409, 201, 409, 201, 409, 201, 409]);
    const capped = await signup('taken');
    assert.equal(statuses[10], 429);
    assert.equal(capped.statusCode, 429, 'the 11th probe in a minute learns nothing');
    assert.equal(capped.json().error.code, 'FMC_ERR_RATE_LIMITED');
  } finally {
    await server.close();
  }
});
