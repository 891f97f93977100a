import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ConversationSummary } from '../../src/server/relay/store.js';
import { call, errorCode } from './helpers.js';
import { connect, openConversation, startRelayServer, type Client, type RelayServer } from './relay-helpers.js';

let server: RelayServer;
let tokens: { agent: string; admin: string; ann: string; ben: string; cyd: string; dee: string };
before(async () => {
  server = await startRelayServer();
  tokens = {
    agent: await server.user('agent1', 'agent'),
    admin: await server.user('root', 'admin'),
    ann: await server.user('ann', 'customer'),
    ben: await server.user('ben', 'customer'),
    cyd: await server.user('cyd', 'customer'),
    dee: await server.user('dee', 'customer'),
  };
});
after(() => server.close());

const api = (path: string): string => `${server.url}${path}`;
const list = async (token: string): Promise<ConversationSummary[]> => {
  const r = await call(api('/api/conversations'), { token });
  assert.equal(r.status, 200, r.text);
  return (r.body as { conversations: ConversationSummary[] }).conversations;
};

/** Sends one customer message and waits until the agent has its labels. */
async function say(watcher: Client, token: string, conversationId: string, text: string): Promise<void> {
  watcher.send({ type: 'resume', conversationId, afterSeq: 0 });
  await watcher.waitFor('resumed', (f) => f.conversationId === conversationId);
  const c = await connect(server, token);
  c.send({ type: 'send', conversationId, clientId: `${conversationId}-${text.length}`, text });
  const { seq } = await c.waitFor('ack');
  await c.close();
  await watcher.waitFor('labels', (f) => f.conversationId === conversationId && f.seq === seq);
}

test('only customers open conversations; anonymous callers are refused', async () => {
  const r = await call(api('/api/conversations'), { method: 'POST', token: tokens.ann });
  assert.equal(r.status, 201, r.text);
  const created = r.body as ConversationSummary;
  assert.match(created.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual({ status: created.status, lastSeq: created.lastSeq, customer: created.customer.username }, { status: 'open', lastSeq: 0, customer: 'ann' });
  assert.ok(!('urgency' in created) && !('claim' in created), r.text);
  const agent = await call(api('/api/conversations'), { method: 'POST', token: tokens.agent });
  assert.equal(agent.status, 403);
  assert.equal(errorCode(agent), 'FMC_ERR_FORBIDDEN');
  assert.equal((await call(api('/api/conversations'), { method: 'POST' })).status, 401);
  assert.equal((await call(api('/api/conversations'))).status, 401);
});

test('agents list every conversation, the most urgent open one first, live through watch; customers list their own', async () => {
  const watcher = await connect(server, tokens.agent);
  watcher.send({ type: 'watch' });
  const low = await openConversation(server, tokens.ben);
  const high = await openConversation(server, tokens.cyd);
  const medium = await openConversation(server, tokens.ben);
  await say(watcher, tokens.ben, low, 'merci beaucoup pour votre aide');
  await say(watcher, tokens.cyd, high, "plus d'internet depuis 5 jours, je télétravaille, c'est urgent");
  await say(watcher, tokens.ben, medium, 'ma connexion est très lente le soir');
  await watcher.waitFor('conversation', (f) => f.conversation.id === medium && f.conversation.urgency === 'medium');
  // The urgency a conversation shows is its highest so far: a calm follow-up does not lower it.
  await say(watcher, tokens.cyd, high, 'bonjour');

  const all = await list(tokens.agent);
  const mine = all.filter((c) => [low, high, medium].includes(c.id));
  assert.deepEqual(mine.map((c) => [c.id, c.urgency]), [[high, 'high'], [medium, 'medium'], [low, 'low']]);
  assert.equal(mine[0]!.claim, true);
  assert.equal(mine[0]!.lastSeq, 2);
  assert.deepEqual((await list(tokens.admin)).map((c) => c.id), all.map((c) => c.id));
  assert.deepEqual(new Set((await list(tokens.ben)).map((c) => c.id)), new Set([low, medium]));
  assert.ok((await list(tokens.ben)).every((c) => c.customer.username === 'ben'));

  // Closing moves it after every open conversation, and watchers hear of it.
  const closed = await call(api(`/api/conversations/${high}/close`), { method: 'POST', token: tokens.agent });
  assert.equal(closed.status, 200, closed.text);
  assert.equal((closed.body as ConversationSummary).status, 'closed');
  await watcher.waitFor('conversation', (f) => f.conversation.id === high && f.conversation.status === 'closed');
  const reordered = (await list(tokens.agent)).map((c) => c.id);
  assert.equal(reordered.at(-1), high);
  await watcher.close();
});

test('customers are not shown their triage: not in their list (by recency), the close answer or the close frame', async () => {
  const watcher = await connect(server, tokens.agent);
  watcher.send({ type: 'watch' });
  const urgent = await openConversation(server, tokens.dee);
  const calm = await openConversation(server, tokens.dee);
  await say(watcher, tokens.dee, urgent, "plus d'internet depuis 5 jours, je télétravaille, c'est urgent");
  await say(watcher, tokens.dee, calm, 'merci beaucoup pour votre aide');
  await watcher.waitFor('conversation', (f) => f.conversation.id === calm && f.conversation.urgency === 'low');
  const triageFree = (c: object): boolean => !('urgency' in c) && !('claim' in c);

  // The agents' order puts the urgent one first; the customer's is the most recent first.
  const staffOrder = (await list(tokens.agent)).filter((c) => c.customer.username === 'dee');
  assert.deepEqual(staffOrder.map((c) => [c.id, c.urgency]), [[urgent, 'high'], [calm, 'low']]);
  assert.equal(staffOrder[0]!.claim, true);
  const own = await list(tokens.dee);
  assert.deepEqual(own.map((c) => c.id), [calm, urgent]);
  assert.ok(own.every(triageFree), JSON.stringify(own));

  // Both the customer and an agent joined (neither watching): each gets the close as their role may see it.
  const dee = await connect(server, tokens.dee);
  const agent = await connect(server, tokens.agent);
  for (const c of [dee, agent]) {
    c.send({ type: 'resume', conversationId: urgent, afterSeq: 0 });
    await c.waitFor('resumed');
  }
  const closed = await call(api(`/api/conversations/${urgent}/close`), { method: 'POST', token: tokens.dee });
  assert.equal(closed.status, 200, closed.text);
  assert.equal((closed.body as ConversationSummary).status, 'closed');
  assert.ok(triageFree(closed.body as object), closed.text);
  const customerFrame = await dee.waitFor('conversation', (f) => f.conversation.id === urgent);
  assert.equal(customerFrame.conversation.status, 'closed');
  assert.ok(triageFree(customerFrame.conversation), JSON.stringify(customerFrame));
  const agentFrame = await agent.waitFor('conversation', (f) => f.conversation.id === urgent);
  assert.deepEqual([agentFrame.conversation.urgency, agentFrame.conversation.claim], ['high', true]);
  // An agent closing answers the agent with the triage.
  const byAgent = await call(api(`/api/conversations/${calm}/close`), { method: 'POST', token: tokens.agent });
  assert.equal((byAgent.body as ConversationSummary).urgency, 'low');
  assert.ok(dee.frames.filter((f) => f.type === 'conversation').every((f) => triageFree(f.conversation)));
  await Promise.all([dee.close(), agent.close(), watcher.close()]);
});

test('messages: paged by afterSeq and limit; a closed conversation takes no more messages', async () => {
  const id = await openConversation(server, tokens.ann);
  const ann = await connect(server, tokens.ann);
  ann.send({ type: 'resume', conversationId: id, afterSeq: 0 });
  await ann.waitFor('resumed');
  for (let i = 1; i <= 5; i++) ann.send({ type: 'send', conversationId: id, clientId: `p${i}`, text: `texte ${i}` });
  await ann.waitFor('ack', (a) => a.clientId === 'p5');
  const page = await call(api(`/api/conversations/${id}/messages?afterSeq=1&limit=2`), { token: tokens.ann });
  assert.equal(page.status, 200, page.text);
  assert.deepEqual((page.body as { messages: { seq: number; text: string }[] }).messages.map((m) => [m.seq, m.text]), [[2, 'texte 2'], [3, 'texte 3']]);
  assert.equal((await call(api(`/api/conversations/${id}/messages?limit=0`), { token: tokens.ann })).status, 400);
  assert.equal((await call(api(`/api/conversations/${id}/messages?afterSeq=-1`), { token: tokens.ann })).status, 400);
  assert.equal((await call(api('/api/conversations/nope/messages'), { token: tokens.agent })).status, 404);

  // The customer closes their own conversation; everyone in it is told.
  assert.equal((await call(api(`/api/conversations/${id}/close`), { method: 'POST', token: tokens.ann })).status, 200);
  await ann.waitFor('conversation', (f) => f.conversation.status === 'closed');
  ann.send({ type: 'send', conversationId: id, clientId: 'late', text: 'encore là ?' });
  assert.equal((await ann.waitFor('error', (e) => e.clientId === 'late')).code, 'FMC_ERR_CONVERSATION_CLOSED');
  // A retry of a message stored before the close is still acknowledged (the client may have missed the ack).
  ann.send({ type: 'send', conversationId: id, clientId: 'p5', text: 'texte 5' });
  assert.equal((await ann.waitFor('ack', (a) => a.clientId === 'p5' && a.duplicate)).seq, 5);
  await ann.close();
});

test('watch is for agents and admins', async () => {
  const ann = await connect(server, tokens.ann);
  ann.send({ type: 'watch' });
  assert.equal((await ann.waitFor('error')).code, 'FMC_ERR_FORBIDDEN');
  await ann.close();
});

test('a NUL character in a request is refused with FMC_ERR_BAD_REQUEST (REST path, query or body, and the ids of a socket frame) before it reaches a store', async () => {
  const id = await openConversation(server, tokens.ann);
  for (const r of [
    await call(api(`/api/conversations/${id}%00/messages`), { token: tokens.ann }),
    await call(api(`/api/conversations/${id}/messages?afterSeq=0&x=a%00`), { token: tokens.ann }),
    await call(api('/api/auth/login'), { method: 'POST', json: { username: 'ann\u0000', password: 'whatever' } }),
  ]) {
    assert.equal(r.status, 400, r.text);
    assert.equal(errorCode(r), 'FMC_ERR_BAD_REQUEST');
    assert.match(r.text, /NUL character/);
  }
  const c = await connect(server, tokens.ann);
  try {
    c.send({ type: 'send', conversationId: `${id}\u0000`, clientId: 'nul-1', text: 'bonjour' });
    assert.equal((await c.waitFor('error')).code, 'FMC_ERR_BAD_REQUEST');
    c.send({ type: 'send', conversationId: id, clientId: 'nul-\u0000', text: 'bonjour' });
    assert.equal((await c.waitFor('error')).code, 'FMC_ERR_BAD_REQUEST');
    // The socket stays usable, and a proper send goes through.
    c.send({ type: 'send', conversationId: id, clientId: 'nul-ok', text: 'bonjour' });
    assert.equal((await c.waitFor('ack')).seq, 1);
  } finally {
    await c.close();
  }
});
