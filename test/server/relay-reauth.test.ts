import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { call } from './helpers.js';
import { clientId, connect, openConversation, startRelayServer, TEST_PASSWORD, type RelayServer } from './relay-helpers.js';

// FMC_TOKEN_TTL of 2 s: a socket outlives several token lifetimes by re-authenticating in place.

let server: RelayServer;
before(async () => {
  server = await startRelayServer({ tokenTtlSeconds: 2 });
  await server.user('agent1', 'agent');
  await server.user('agent2', 'agent');
  await server.user('claire', 'customer');
});
after(() => server.close());

async function freshToken(username: string): Promise<string> {
  const r = await call(`${server.url}/api/auth/login`, { method: 'POST', json: { username, password: TEST_PASSWORD } });
  assert.equal(r.status, 200, r.text);
  return (r.body as { token: string }).token;
}

test('an auth frame with a renewed token keeps the socket, its room and its resume point past three token lifetimes', async () => {
  const customer = await freshToken('claire');
  const conversationId = await openConversation(server, customer);
  const agent = await connect(server, await freshToken('agent1'));
  agent.send({ type: 'resume', conversationId, afterSeq: 0 });
  await agent.waitFor('resumed');
  let closedWith: number | undefined;
  void agent.closed.then((c) => (closedWith = c));
  const started = Date.now();
  let renewals = 0;
  while (Date.now() - started < 6500) {
    // Token expiries are whole seconds: a 2 s token may have just over 1 s left when issued.
    await sleep(500);
    agent.send({ type: 'auth', token: await freshToken('agent1') });
    renewals++;
    await agent.waitFor('authed', () => agent.frames.filter((f) => f.type === 'authed').length >= renewals);
  }
  assert.equal(closedWith, undefined, 'still open after 3 lifetimes of 2 s');
  // Still in the room: a message from the customer (over a fresh socket) arrives live, no resume needed.
  const c = await connect(server, await freshToken('claire'));
  c.send({ type: 'send', conversationId, clientId: clientId(), text: 'toujours là ?' });
  const live = await agent.waitFor('message', (m) => m.text === 'toujours là ?');
  assert.equal(live.seq, 1);
  await c.close();
  await agent.close();
});

test('without renewal the socket closes with 4001 at the expiry; another account\'s token closes it with 1008; a bad token is an error frame', async () => {
  const lapsing = await connect(server, await freshToken('agent1'));
  lapsing.send({ type: 'auth', token: 'not.a.token' });
  const refused = await lapsing.waitFor('error');
  assert.equal(refused.code, 'FMC_ERR_UNAUTHORIZED');
  assert.equal(await lapsing.closed, 4001);

  const hijack = await connect(server, await freshToken('agent1'));
  hijack.send({ type: 'auth', token: await freshToken('agent2') });
  assert.equal(await hijack.closed, 1008);
});

test('a password changed by an admin closes the account\'s open socket at its next frame with 4001, though its token has not expired; a token issued since connects', async () => {
  await server.user('paul', 'customer');
  const admin = await server.user('root-reauth', 'admin');
  const token = await freshToken('paul');
  const id = await openConversation(server, token);
  const socket = await connect(server, token);
  socket.send({ type: 'resume', conversationId: id, afterSeq: 0 });
  await socket.waitFor('resumed');
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const r = await call(`${server.url}/api/admin/users/paul/password`, { method: 'POST', token: admin, json: { password: 'another-long-password' } });
  assert.equal(r.status, 200, r.text);
  socket.send({ type: 'send', conversationId: id, clientId: clientId(), text: 'encore moi' });
  assert.deepEqual(await closed, { code: 4001, reason: 'password changed; log in again' });
  // Nothing was stored from the old session.
  const login = await call(`${server.url}/api/auth/login`, { method: 'POST', json: { username: 'paul', password: 'another-long-password' } });
  assert.equal(login.status, 200, login.text);
  const fresh = await connect(server, (login.body as { token: string }).token);
  fresh.send({ type: 'resume', conversationId: id, afterSeq: 0 });
  assert.equal((await fresh.waitFor('resumed')).lastSeq, 0);
  await fresh.close();
});
