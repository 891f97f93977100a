import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { SearchResult } from '../../src/server/relay/relay.js';
import type { ConversationSummary } from '../../src/server/relay/store.js';
import { call, errorCode } from './helpers.js';
import { connect, openConversation, startRelayServer, type Client, type RelayServer } from './relay-helpers.js';

// The agent console's API (#16): status open/pending/closed, owner, waiting time, read
// marks, display names, search and filters; and the refusals, each with its code.

let server: RelayServer;
let t: { agent: string; agent2: string; admin: string; ann: string; ben: string };
before(async () => {
  server = await startRelayServer();
  t = {
    agent: await server.user('agent1', 'agent'),
    agent2: await server.user('agent2', 'agent'),
    admin: await server.user('root', 'admin'),
    ann: await server.user('ann', 'customer'),
    ben: await server.user('ben', 'customer'),
  };
  await server.users.setDisplayName('agent1', 'Sophie <b>Martin</b>');
});
after(() => server.close());

const api = (path: string): string => `${server.url}${path}`;
const post = (path: string, token: string, json?: unknown) => call(api(path), { method: 'POST', token, ...(json !== undefined && { json }) });

async function say(token: string, conversationId: string, text: string): Promise<{ seq: number; client: Client }> {
  const client = await connect(server, token);
  client.send({ type: 'resume', conversationId, afterSeq: 0 });
  await client.waitFor('resumed', (f) => f.conversationId === conversationId);
  client.send({ type: 'send', conversationId, clientId: `${text.length}-${Math.random()}`, text });
  const { seq } = await client.waitFor('ack').catch((err: Error) => { throw new Error(err.message + JSON.stringify(client.frames)); });
  return { seq, client };
}

const summaryOf = async (token: string, id: string): Promise<ConversationSummary> => {
  const r = await call(api('/api/conversations'), { token });
  return (r.body as { conversations: ConversationSummary[] }).conversations.find((c) => c.id === id)!;
};

test('console: waiting since runs from the customer\'s first unanswered message, stops on a staff answer; agents sign with their display name', async () => {
  const id = await openConversation(server, t.ann);
  const first = await say(t.ann, id, 'bonjour, ma box clignote');
  await first.client.close();
  const before = await summaryOf(t.agent, id);
  assert.ok(before.waitingSince, 'a customer message starts the clock');
  const second = await say(t.ann, id, 'toujours rien');
  await second.client.close();
  assert.equal((await summaryOf(t.agent, id)).waitingSince, before.waitingSince, 'a second message does not restart it');

  const answer = await say(t.agent, id, 'je regarde');
  await answer.client.close();
  assert.equal((await summaryOf(t.agent, id)).waitingSince, null, 'a staff answer stops it');
  const messages = (await call(api(`/api/conversations/${id}/messages`), { token: t.ann })).body as { messages: { sender: { displayName?: string; role: string } }[] };
  assert.equal(messages.messages.at(-1)!.sender.displayName, 'Sophie <b>Martin</b>', 'the name as given; the page renders it as text');
});

test('console: assign to me, to someone, to nobody; unassigned conversations list first; a customer is refused as assignee', async () => {
  const watcher = await connect(server, t.agent2);
  watcher.send({ type: 'watch' });
  const a = await openConversation(server, t.ben);
  const b = await openConversation(server, t.ben);

  const mine = await post(`/api/conversations/${a}/assign`, t.agent, { assignee: 'agent1' });
  assert.equal(mine.status, 200, mine.text);
  assert.deepEqual((mine.body as ConversationSummary).assignee, { id: (await server.users.byName('agent1'))!.id, username: 'agent1', displayName: 'Sophie <b>Martin</b>' });
  await watcher.waitFor('conversation', (f) => f.conversation.id === a && f.conversation.assignee?.username === 'agent1');

  const list = (await call(api('/api/conversations'), { token: t.agent }).then((r) => r.body)) as { conversations: ConversationSummary[] };
  const order = list.conversations.filter((c) => c.id === a || c.id === b).map((c) => c.id);
  assert.deepEqual(order, [b, a], 'the unassigned one first');

  const customer = await post(`/api/conversations/${a}/assign`, t.agent, { assignee: 'ben' });
  assert.equal(customer.status, 400);
  assert.equal(errorCode(customer), 'FMC_ERR_ASSIGNEE');
  const unknown = await post(`/api/conversations/${a}/assign`, t.agent, { assignee: 'nobody-here' });
  assert.equal(errorCode(unknown), 'FMC_ERR_ASSIGNEE');
  const byCustomer = await post(`/api/conversations/${a}/assign`, t.ben, { assignee: 'agent1' });
  assert.equal(byCustomer.status, 403);
  assert.equal(errorCode(byCustomer), 'FMC_ERR_FORBIDDEN');

  const toAdmin = await post(`/api/conversations/${a}/assign`, t.agent, { assignee: 'ROOT' });
  assert.equal((toAdmin.body as ConversationSummary).assignee?.username, 'root', 'names are case-insensitive');
  const nobody = await post(`/api/conversations/${a}/assign`, t.agent, { assignee: null });
  assert.equal((nobody.body as ConversationSummary).assignee, null);

  // Customers are not shown who handles them (a login) nor their triage.
  const seen = await summaryOf(t.ben, a);
  assert.ok(!('assignee' in seen) && !('topics' in seen) && !('urgency' in seen), JSON.stringify(seen));
  await watcher.close();
});

test('console: pending, close and reopen; the customer\'s next message makes a pending conversation open; customers may not reopen or close someone else\'s', async () => {
  const id = await openConversation(server, t.ann);
  const pending = await post(`/api/conversations/${id}/status`, t.agent, { status: 'pending' });
  assert.equal((pending.body as ConversationSummary).status, 'pending', pending.text);
  const m = await say(t.ann, id, 'voici mon numéro de ligne');
  await m.client.close();
  assert.equal((await summaryOf(t.agent, id)).status, 'open', 'the customer answered');

  const customerFrames = await connect(server, t.ann);
  customerFrames.send({ type: 'resume', conversationId: id, afterSeq: 0 });
  await customerFrames.waitFor('resumed');
  const closed = await post(`/api/conversations/${id}/close`, t.agent);
  assert.equal((closed.body as ConversationSummary).status, 'closed');
  assert.equal((closed.body as ConversationSummary).waitingSince, null, 'a resolved conversation waits on nobody');
  const frame = await customerFrames.waitFor('conversation', (f) => f.conversation.status === 'closed');
  assert.ok(!('assignee' in frame.conversation), 'the customer\'s frame has no staff fields');

  const reopenByCustomer = await post(`/api/conversations/${id}/reopen`, t.ann);
  assert.equal(reopenByCustomer.status, 403);
  assert.equal(errorCode(reopenByCustomer), 'FMC_ERR_FORBIDDEN');
  const reopened = await post(`/api/conversations/${id}/reopen`, t.agent);
  assert.equal((reopened.body as ConversationSummary).status, 'open', reopened.text);
  await customerFrames.waitFor('conversation', (f) => f.conversation.id === id && f.conversation.status === 'open');
  const again = await say(t.ann, id, 'merci, ça remarche');
  await again.client.close();
  await customerFrames.close();

  // Someone else's conversation is not found for a customer: closing it is refused and changes nothing.
  const other = await post(`/api/conversations/${id}/close`, t.ben);
  assert.equal(other.status, 404);
  assert.equal(errorCode(other), 'FMC_ERR_NOT_FOUND');
  assert.equal((await summaryOf(t.agent, id)).status, 'open');
  const badStatus = await post(`/api/conversations/${id}/status`, t.agent, { status: 'resolved-ish' });
  assert.equal(errorCode(badStatus), 'FMC_ERR_BAD_REQUEST');
});

test('console: read marks per user give unread counts; never past the last message, never backwards', async () => {
  const id = await openConversation(server, t.ben);
  for (const text of ['un', 'deux', 'trois']) (await say(t.ben, id, text)).client.close();
  const none = (await call(api('/api/console'), { token: t.agent })).body as { reads: Record<string, number>; slaMinutes: Record<string, number>; agents: { username: string }[] };
  assert.equal(none.reads[id], undefined);
  assert.deepEqual(none.slaMinutes, { high: 15, medium: 60, low: 240 });
  assert.deepEqual(none.agents.map((a) => a.username).sort(), ['agent1', 'agent2', 'root'], 'staff only');
  assert.equal((await post(`/api/conversations/${id}/read`, t.agent, { seq: 2 })).status, 204);
  assert.equal((await post(`/api/conversations/${id}/read`, t.agent, { seq: 1 })).status, 204);
  assert.equal(((await call(api('/api/console'), { token: t.agent })).body as { reads: Record<string, number> }).reads[id], 2);
  await post(`/api/conversations/${id}/read`, t.agent, { seq: 99 });
  assert.equal(((await call(api('/api/console'), { token: t.agent })).body as { reads: Record<string, number> }).reads[id], 3);
  assert.equal(((await call(api('/api/console'), { token: t.agent2 })).body as { reads: Record<string, number> }).reads[id], undefined, 'per user');
  const customer = (await call(api('/api/console'), { token: t.ben })).body as { agents: unknown[] };
  assert.deepEqual(customer.agents, [], 'customers get no staff logins');
  assert.equal((await post(`/api/conversations/${id}/read`, t.ann, { seq: 1 })).status, 404, 'not hers');
});

test('console: search decrypts in memory what the user may see (accents and case folded); filters by status, owner, urgency, topic, claim and date', async () => {
  const outage = await openConversation(server, t.ann);
  const watcher = await connect(server, t.agent);
  watcher.send({ type: 'resume', conversationId: outage, afterSeq: 0 });
  const m = await say(t.ann, outage, "Plus d'Internet depuis 5 jours, panne totale de la Freebox, c'est urgent");
  await m.client.close();
  await watcher.waitFor('labels', (f) => f.conversationId === outage);
  await watcher.close();
  const bill = await openConversation(server, t.ben);
  (await say(t.ben, bill, 'Ma facture est fausse, prélevé deux fois ce mois')).client.close();

  const search = async (token: string, query: string): Promise<SearchResult> => {
    const r = await call(api(`/api/conversations/search?${query}`), { token });
    assert.equal(r.status, 200, r.text);
    return r.body as SearchResult;
  };
  const hit = await search(t.agent, 'q=' + encodeURIComponent('FREEBOX panne'));
  assert.deepEqual(hit.conversations.map((c) => c.id), [outage]);
  assert.match(hit.conversations[0]!.hits[0]!.excerpt, /panne totale de la Freebox/);
  assert.ok(hit.scanned >= 1);
  assert.deepEqual((await search(t.agent, 'q=preleve')).conversations.map((c) => c.id), [bill], 'accents folded');
  assert.deepEqual((await search(t.ben, 'q=freebox')).conversations, [], "a customer does not find someone else's messages");
  assert.deepEqual((await search(t.ann, 'q=freebox')).conversations.map((c) => c.id), [outage]);

  const ids = async (query: string): Promise<string[]> => (await search(t.agent, query)).conversations.map((c) => c.id);
  assert.ok((await ids('urgency=high')).includes(outage));
  assert.ok(!(await ids('urgency=high')).includes(bill));
  assert.ok((await ids('topic=billing')).includes(bill));
  assert.ok(!(await ids('topic=billing')).includes(outage));
  assert.ok((await ids('claim=true')).includes(outage));
  await post(`/api/conversations/${bill}/assign`, t.agent, { assignee: 'agent2' });
  assert.deepEqual(await ids('owner=agent2&q=facture'), [bill]);
  assert.ok(!(await ids('owner=none')).includes(bill));
  assert.ok((await ids('owner=none')).includes(outage));
  assert.ok(!(await ids('owner=me')).includes(bill));
  await post(`/api/conversations/${bill}/close`, t.agent);
  assert.ok((await ids('status=closed')).includes(bill));
  assert.ok(!(await ids('status=open')).includes(bill));
  const today = new Date().toISOString().slice(0, 10);
  assert.ok((await ids(`from=${today}&to=${today}`)).includes(bill));
  assert.deepEqual(await ids('to=2000-01-01'), []);

  const refused = await call(api('/api/conversations/search?urgency=high'), { token: t.ann });
  assert.equal(refused.status, 403, 'customers do not filter by their triage');
  assert.equal(errorCode(refused), 'FMC_ERR_FORBIDDEN');
  assert.equal(errorCode(await call(api('/api/conversations/search?urgency=urgentissime'), { token: t.agent })), 'FMC_ERR_BAD_REQUEST');
  assert.equal(errorCode(await call(api('/api/conversations/search?from=hier'), { token: t.agent })), 'FMC_ERR_BAD_REQUEST');
});
