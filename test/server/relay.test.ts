import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { createTokenService } from '../../src/auth/tokens.js';
import { call, TEST_SECRET } from './helpers.js';
import { clientId, connect, openConversation, startRelayServer, type RelayServer } from './relay-helpers.js';

let server: RelayServer;
let tokens: { agent: string; alice: string; bob: string };
before(async () => {
  server = await startRelayServer();
  tokens = { agent: await server.user('agent1', 'agent'), alice: await server.user('alice', 'customer'), bob: await server.user('bob', 'customer') };
});
after(() => server.close());

/** The raw answer to an upgrade request, before any WebSocket exists. */
function upgrade(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({
      // No keep-alive agent: the server drops a refused upgrade's socket, and it must not be reused.
      agent: false,
      host: '127.0.0.1',
      port,
      path,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the upgrade is refused with 401 JSON without a valid token; header and ?token= both work', async () => {
  for (const [name, path, headers] of [
    ['no token', '/ws', {}],
    ['garbage header', '/ws', { authorization: 'Bearer abc.def.ghi' }],
    ['garbage query', '/ws?token=abc.def.ghi', {}],
    ['not bearer', '/ws', { authorization: 'Basic eDp5' }],
  ] as const) {
    const r = await upgrade(path, headers);
    assert.equal(r.status, 401, name);
    assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'FMC_ERR_UNAUTHORIZED', name);
  }
  assert.equal((await upgrade('/ws', { authorization: `Bearer ${tokens.alice}` })).status, 101);
  assert.equal((await upgrade(`/ws?token=${tokens.alice}`)).status, 101);
  const viaQuery = await connect(server, tokens.bob, 'query');
  const hello = await viaQuery.waitFor('hello');
  assert.equal(hello.user.username, 'bob');
  await viaQuery.close();
  // A plain GET is told to use a WebSocket.
  assert.equal((await call(`${server.url}/ws`, { token: tokens.alice })).status, 400);
});

test('send: ack with seq and id, fan-out to the room, order kept per conversation', async () => {
  const conversationId = await openConversation(server, tokens.alice);
  const alice = await connect(server, tokens.alice);
  const agent = await connect(server, tokens.agent);
  alice.send({ type: 'resume', conversationId, afterSeq: 0 });
  agent.send({ type: 'resume', conversationId, afterSeq: 0 });
  await alice.waitFor('resumed');
  await agent.waitFor('resumed');

  const ids = Array.from({ length: 30 }, clientId);
  ids.forEach((id, i) => (i % 2 === 0 ? alice : agent).send({ type: 'send', conversationId, clientId: id, text: `message ${i}` }));
  const last = ids.at(-1)!;
  await alice.waitFor('message', (m) => m.seq === 30);
  await agent.waitFor('message', (m) => m.seq === 30);
  const seen = [alice, agent].map((client) => client.frames.flatMap((f) => (f.type === 'message' ? [`${f.seq}:${f.text}`] : [])));
  assert.deepEqual(seen[0], seen[1], 'both sides see the same sequence');
  const seqs = seen[0]!.map((s) => Number(s.split(':')[0]));
  assert.deepEqual(seqs, Array.from({ length: 30 }, (_, i) => i + 1), 'every message once, in seq order');
  // Two senders interleave however their frames arrive, but each one's own order is kept.
  const texts = seen[0]!.map((s) => Number(s.split('message ')[1]));
  for (const parity of [0, 1]) {
    const own = texts.filter((n) => n % 2 === parity);
    assert.deepEqual(own, [...own].sort((a, b) => a - b), `sender ${parity} in the order sent`);
    assert.equal(own.length, 15);
  }
  const ack = await agent.waitFor('ack', (a) => a.clientId === last);
  assert.equal(ack.duplicate, false);
  const message = agent.frames.find((f) => f.type === 'message' && f.seq === ack.seq);
  assert.ok(message?.type === 'message');
  assert.equal(message.id, ack.id);
  assert.equal(message.text, 'message 29');
  const agentId = (await server.users.byName('agent1'))!.id;
  assert.deepEqual(message.sender, { id: agentId, username: 'agent1', role: 'agent' });
  assert.ok(!Number.isNaN(Date.parse(message.createdAt)));
  // The customer is sent the same message without the agent's login, live, replayed and over REST.
  const live = alice.frames.find((f) => f.type === 'message' && f.seq === ack.seq);
  assert.ok(live?.type === 'message');
  assert.deepEqual(live.sender, { id: agentId, role: 'agent' });
  const again = await connect(server, tokens.alice);
  again.send({ type: 'resume', conversationId, afterSeq: ack.seq - 1 });
  const replayed = await again.waitFor('message', (m) => m.seq === ack.seq);
  assert.deepEqual(replayed.sender, { id: agentId, role: 'agent' });
  const rest = await call(`${server.url}/api/conversations/${conversationId}/messages`, { token: tokens.alice });
  const senders = new Set((rest.body as { messages: { sender: Record<string, unknown> }[] }).messages.map((m) => JSON.stringify(m.sender)));
  const aliceId = (await server.users.byName('alice'))!.id;
  assert.deepEqual([...senders].sort(), [JSON.stringify({ id: agentId, role: 'agent' }), JSON.stringify({ id: aliceId, username: 'alice', role: 'customer' })].sort());
  assert.ok(!JSON.stringify(alice.frames).includes('agent1'), "no frame to the customer carries the agent's login");
  await again.close();
  await alice.close();
  await agent.close();
});

test('membership: a customer can neither join nor write to another customer’s conversation; agents can', async () => {
  const conversationId = await openConversation(server, tokens.alice);
  const bob = await connect(server, tokens.bob);
  bob.send({ type: 'resume', conversationId, afterSeq: 0 });
  const refused = await bob.waitFor('error', (e) => e.conversationId === conversationId);
  assert.equal(refused.code, 'FMC_ERR_NOT_FOUND');
  bob.send({ type: 'send', conversationId, clientId: 'x1', text: 'let me in' });
  assert.equal((await bob.waitFor('error', (e) => e.clientId === 'x1')).code, 'FMC_ERR_NOT_FOUND');
  assert.equal(bob.frames.filter((f) => f.type === 'ack' || f.type === 'message').length, 0);

  const r = await call(`${server.url}/api/conversations/${conversationId}/messages`, { token: tokens.bob });
  assert.equal(r.status, 404);
  assert.equal((await call(`${server.url}/api/conversations/${conversationId}/close`, { method: 'POST', token: tokens.bob })).status, 404);
  const mine = await call(`${server.url}/api/conversations`, { token: tokens.bob });
  assert.ok(!(mine.body as { conversations: { id: string }[] }).conversations.some((c) => c.id === conversationId));

  const agent = await connect(server, tokens.agent);
  agent.send({ type: 'resume', conversationId, afterSeq: 0 });
  assert.equal((await agent.waitFor('resumed', (f) => f.conversationId === conversationId)).lastSeq, 0);
  await bob.close();
  await agent.close();
});

test('a repeated clientId is acknowledged again and stored once', async () => {
  const conversationId = await openConversation(server, tokens.alice);
  const alice = await connect(server, tokens.alice);
  alice.send({ type: 'resume', conversationId, afterSeq: 0 });
  await alice.waitFor('resumed');
  alice.send({ type: 'send', conversationId, clientId: 'same', text: 'ma box ne marche plus' });
  const first = await alice.waitFor('ack', (a) => !a.duplicate);
  alice.send({ type: 'send', conversationId, clientId: 'same', text: 'ma box ne marche plus' });
  const again = await alice.waitFor('ack', (a) => a.duplicate);
  assert.deepEqual({ seq: again.seq, id: again.id }, { seq: first.seq, id: first.id });
  // A second connection (a reconnect) retrying the same clientId: still one message.
  const retry = await connect(server, tokens.alice);
  retry.send({ type: 'send', conversationId, clientId: 'same', text: 'ma box ne marche plus' });
  assert.equal((await retry.waitFor('ack')).duplicate, true);
  const r = await call(`${server.url}/api/conversations/${conversationId}/messages`, { token: tokens.alice });
  assert.equal((r.body as { messages: unknown[] }).messages.length, 1);
  assert.equal(alice.frames.filter((f) => f.type === 'message').length, 1);
  await alice.close();
  await retry.close();
});

test('resume after a reconnect replays exactly the missed messages', async () => {
  const conversationId = await openConversation(server, tokens.alice);
  const agent = await connect(server, tokens.agent);
  agent.send({ type: 'resume', conversationId, afterSeq: 0 });
  await agent.waitFor('resumed');
  const alice = await connect(server, tokens.alice);
  for (let i = 1; i <= 3; i++) alice.send({ type: 'send', conversationId, clientId: `a${i}`, text: `avant ${i}` });
  await agent.waitFor('message', (m) => m.seq === 3);
  await agent.close();
  for (let i = 4; i <= 7; i++) alice.send({ type: 'send', conversationId, clientId: `a${i}`, text: `pendant ${i}` });
  await alice.waitFor('ack', (a) => a.seq === 7);

  const back = await connect(server, tokens.agent);
  back.send({ type: 'resume', conversationId, afterSeq: 3 });
  const resumed = await back.waitFor('resumed');
  assert.deepEqual(resumed, { type: 'resumed', conversationId, lastSeq: 7, more: false });
  const replayed = back.frames.filter((f) => f.type === 'message');
  assert.deepEqual(replayed.map((m) => m.seq), [4, 5, 6, 7]);
  assert.deepEqual(replayed.map((m) => m.text), ['pendant 4', 'pendant 5', 'pendant 6', 'pendant 7']);
  // Live again after the replay, with nothing in between lost or doubled.
  alice.send({ type: 'send', conversationId, clientId: 'a8', text: 'après 8' });
  await back.waitFor('message', (m) => m.seq === 8);
  assert.deepEqual(back.frames.filter((f) => f.type === 'message').map((m) => m.seq), [4, 5, 6, 7, 8]);
  await back.close();
  await alice.close();
});

test('a long history is replayed in pages (by count and by size), each ending in resumed {more}', async () => {
  const paged = await startRelayServer({ relay: { limits: { maxTextLength: 4000, replayLimit: 3, replayChars: 2500, closedListLimit: 100 } } });
  try {
    const token = await paged.user('long', 'customer');
    const conversationId = await openConversation(paged, token);
    const writer = await connect(paged, token);
    const texts = ['a', 'b', 'c', 'd', 'x'.repeat(2000), 'y'.repeat(2000), 'z'.repeat(3000), 'e'];
    texts.forEach((text, i) => writer.send({ type: 'send', conversationId, clientId: `h${i}`, text }));
    await writer.waitFor('ack', (a) => a.clientId === 'h7');
    const reader = await connect(paged, token);
    const pages: [number, number, boolean][] = [];
    let afterSeq = 0;
    for (;;) {
      reader.send({ type: 'resume', conversationId, afterSeq });
      const page = await reader.waitFor('resumed', (r) => r.lastSeq > afterSeq || !r.more);
      pages.push([afterSeq, page.lastSeq, page.more]);
      if (!page.more) break;
      afterSeq = page.lastSeq;
    }
    // 3 messages a page at most; 2,500 characters at most unless one message is longer.
    assert.deepEqual(pages, [[0, 3, true], [3, 5, true], [5, 6, true], [6, 7, true], [7, 8, false]]);
    assert.deepEqual(reader.frames.flatMap((f) => (f.type === 'message' ? [f.seq] : [])), [1, 2, 3, 4, 5, 6, 7, 8]);
    await writer.close();
    await reader.close();
  } finally {
    await paged.close();
  }
});

test('customer messages get a labels frame (agents only); agent messages are not classified', async () => {
  const conversationId = await openConversation(server, tokens.alice);
  const agent = await connect(server, tokens.agent);
  const alice = await connect(server, tokens.alice);
  for (const c of [agent, alice]) c.send({ type: 'resume', conversationId, afterSeq: 0 });
  await agent.waitFor('resumed');
  await alice.waitFor('resumed');
  alice.send({ type: 'send', conversationId, clientId: 'c1', text: "plus d'internet depuis 5 jours, je télétravaille, c'est urgent" });
  const labels = await agent.waitFor('labels', (l) => l.seq === 1);
  assert.equal(labels.conversationId, conversationId);
  assert.equal(labels.labels.is_claim, true);
  assert.equal(labels.labels.urgency, 'high');
  assert.equal(labels.labels.provider, 'rules');
  agent.send({ type: 'send', conversationId, clientId: 'g1', text: 'nous regardons tout de suite' });
  await alice.waitFor('message', (m) => m.seq === 2);
  // Give a wrongly sent labels frame time to arrive before asserting there is none.
  alice.send({ type: 'send', conversationId, clientId: 'c2', text: 'merci' });
  await agent.waitFor('labels', (l) => l.seq === 3);
  assert.deepEqual(agent.frames.filter((f) => f.type === 'labels').map((l) => l.seq), [1, 3]);
  assert.equal(alice.frames.filter((f) => f.type === 'labels').length, 0, 'customers are not shown their triage');

  // Labels survive in the store: the agent's history has them, the customer's does not.
  const history = await call(`${server.url}/api/conversations/${conversationId}/messages?afterSeq=0&limit=2`, { token: tokens.agent });
  const messages = (history.body as { messages: { seq: number; labels?: { urgency: string } }[] }).messages;
  assert.deepEqual(messages.map((m) => m.seq), [1, 2]);
  assert.equal(messages[0]!.labels?.urgency, 'high');
  assert.equal(messages[1]!.labels, undefined);
  const own = await call(`${server.url}/api/conversations/${conversationId}/messages`, { token: tokens.alice });
  assert.ok((own.body as { messages: { labels?: unknown }[] }).messages.every((m) => m.labels === undefined));
  await agent.close();
  await alice.close();
});

test('a ?token= never reaches the logs', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }));
  const logged = await startRelayServer({ logger });
  try {
    const token = await logged.user('dana', 'customer');
    const client = await connect(logged, token, 'query');
    await client.waitFor('hello');
    await client.close();
    assert.ok(lines.some((l) => l.includes('token=[redacted]')), 'the upgrade request was logged, redacted');
    assert.ok(!lines.some((l) => l.includes(token)), 'the token itself is not');
  } finally {
    await logged.close();
  }
});

test('a socket is closed when its token expires (4001) and when its user is removed (1008)', async () => {
  const shortLived = createTokenService({ secret: TEST_SECRET, ttlSeconds: 1 });
  const client = await connect(server, (await shortLived.issue((await server.users.byName('bob'))!)).token);
  const started = Date.now();
  assert.equal(await client.closed, 4001);
  assert.ok(Date.now() - started <= 2000, `closed after ${Date.now() - started} ms`);

  const token = await server.user('eve', 'customer');
  const conversationId = await openConversation(server, token);
  const eve = await connect(server, token);
  eve.send({ type: 'send', conversationId, clientId: 'e1', text: 'avant' });
  await eve.waitFor('ack');
  assert.ok((await server.users.remove('eve')));
  eve.send({ type: 'send', conversationId: 'whatever', clientId: 'e2', text: 'après' });
  assert.equal(await eve.closed, 1008);
});
