import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { clientId, connect, openConversation, startRelayServer, TEST_PASSWORD, type RelayServer } from './relay-helpers.js';

let server: RelayServer;
let t: { root: string; agent: string; claire: string };
before(async () => {
  server = await startRelayServer();
  t = { root: await server.user('root', 'admin'), agent: await server.user('agent1', 'agent'), claire: await server.user('claire', 'customer') };
});
after(() => server.close());

const call = (method: 'GET' | 'POST', url: string, token: string, payload?: object) =>
  server.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload && { payload }) });
const code = (r: LightMyRequestResponse): string => (r.json() as { error: { code: string } }).error.code;
const login = (username: string, password = TEST_PASSWORD) => server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });

test('admin API: add a user, change the role, disable and enable, reset the password; agents are refused', async () => {
  assert.equal((await call('GET', '/api/admin/users', t.agent)).statusCode, 403);
  const added = await call('POST', '/api/admin/users', t.root, { username: 'Nadia', role: 'agent', password: 'nadia password' });
  assert.equal(added.statusCode, 201, added.body);
  assert.deepEqual({ ...(added.json() as object), id: undefined, createdAt: undefined }, { id: undefined, createdAt: undefined, username: 'nadia', role: 'agent', disabled: false });
  assert.equal(code(await call('POST', '/api/admin/users', t.root, { username: 'nadia', role: 'agent', password: 'another one' })), 'FMC_ERR_USER_EXISTS');
  assert.equal((await login('nadia', 'nadia password')).statusCode, 200);

  const role = await call('POST', '/api/admin/users/nadia/role', t.root, { role: 'admin' });
  assert.equal((role.json() as { role: string }).role, 'admin');
  const disabled = await call('POST', '/api/admin/users/nadia/disabled', t.root, { disabled: true });
  assert.equal((disabled.json() as { disabled: boolean }).disabled, true);
  assert.equal(code(await login('nadia', 'nadia password')), 'FMC_ERR_ACCOUNT_DISABLED');
  await call('POST', '/api/admin/users/nadia/disabled', t.root, { disabled: false });
  const before = (await login('nadia', 'nadia password')).json() as { token: string };
  const reset = await call('POST', '/api/admin/users/nadia/password', t.root, { password: 'a fresh password' });
  assert.equal(reset.statusCode, 200, reset.body);
  assert.equal((await call('GET', '/api/auth/me', before.token)).statusCode, 401, 'tokens from before the reset stop working');
  assert.equal((await login('nadia', 'a fresh password')).statusCode, 200);

  const list = (await call('GET', '/api/admin/users', t.root)).json() as { users: { username: string; disabled: boolean }[] };
  assert.deepEqual(list.users.map((u) => u.username).sort(), ['agent1', 'claire', 'nadia', 'root']);
  assert.equal(code(await call('POST', '/api/admin/users/ghost/role', t.root, { role: 'agent' })), 'FMC_ERR_USER_NOT_FOUND');
  assert.equal(code(await call('POST', '/api/admin/users/nadia/role', t.root, { role: 'superuser' })), 'FMC_ERR_BAD_REQUEST');
  assert.equal(code(await call('POST', '/api/admin/users/root/disabled', t.root, { disabled: true })), 'FMC_ERR_FORBIDDEN', 'no locking oneself out');
  assert.equal(code(await call('POST', '/api/admin/users/root/role', t.root, { role: 'agent' })), 'FMC_ERR_FORBIDDEN');
});

test('admin API: conversation statistics count today\'s conversation, its first response and its triage; corrections are listed', async () => {
  const conversationId = await openConversation(server, t.claire);
  const customer = await connect(server, t.claire);
  customer.send({ type: 'send', conversationId, clientId: clientId(), text: "plus d'internet depuis 5 jours, je télétravaille, c'est urgent" });
  await customer.waitFor('ack');
  const agent = await connect(server, t.agent);
  agent.send({ type: 'resume', conversationId, afterSeq: 0 });
  await agent.waitFor('labels');
  agent.send({ type: 'send', conversationId, clientId: clientId(), text: 'un technicien passe demain' });
  await agent.waitFor('ack');
  await customer.close();
  await agent.close();
  const corrected = await call('POST', '/api/corrections', t.agent, { conversationId, seq: 1, labels: { topic: 'tv' } });
  assert.equal(corrected.statusCode, 201, corrected.body);

  const r = await call('GET', '/api/admin/stats?days=7', t.root);
  assert.equal(r.statusCode, 200, r.body);
  const s = r.json() as { days: { conversations: number; customerMessages: number; staffMessages: number }[]; answered: number; medianFirstResponseSeconds: number; urgency: Record<string, number>; claims: { claim: number } };
  assert.equal(s.days.length, 7);
  const today = s.days.at(-1)!;
  assert.deepEqual([today.conversations, today.customerMessages, today.staffMessages], [1, 1, 1]);
  assert.equal(s.answered, 1);
  assert.ok(s.medianFirstResponseSeconds >= 0 && s.medianFirstResponseSeconds < 600);
  assert.equal(s.urgency.high, 1);
  assert.equal(s.claims.claim, 1);
  assert.equal((await call('GET', '/api/admin/stats', t.agent)).statusCode, 403);

  const c = await call('GET', '/api/admin/corrections', t.root);
  const list = (c.json() as { corrections: { text: string; labels: { topic: string }; correctedBy: string }[] }).corrections;
  assert.equal(list[0]?.labels.topic, 'tv');
  assert.equal(list[0]?.correctedBy, 'agent1');
  assert.match(list[0]!.text, /plus d'internet/);
});
