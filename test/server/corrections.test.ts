import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mergeLabels, pickLabels, type Labels } from '../../src/labels.js';
import { call, errorCode } from './helpers.js';
import { clientId, connect, openConversation, startRelayServer, type Client, type RelayServer } from './relay-helpers.js';

let server: RelayServer;
let tokens: { agent: string; admin: string; alice: string };
before(async () => {
  server = await startRelayServer();
  tokens = { agent: await server.user('agent1', 'agent'), admin: await server.user('root', 'admin'), alice: await server.user('alice', 'customer') };
});
after(() => server.close());

const TEXT = "plus d'internet depuis 5 jours, je télétravaille, c'est urgent";

/** A conversation with one labeled customer message (seq 1) and an agent's answer (seq 2). */
async function labeledConversation(): Promise<{ conversationId: string; agent: Client }> {
  const conversationId = await openConversation(server, tokens.alice);
  const alice = await connect(server, tokens.alice);
  const agent = await connect(server, tokens.agent);
  agent.send({ type: 'resume', conversationId, afterSeq: 0 });
  await agent.waitFor('resumed');
  alice.send({ type: 'send', conversationId, clientId: clientId(), text: TEXT });
  await agent.waitFor('labels', (f) => f.conversationId === conversationId && f.seq === 1);
  agent.send({ type: 'send', conversationId, clientId: clientId(), text: 'un technicien arrive' });
  await agent.waitFor('message', (f) => f.seq === 2);
  await alice.close();
  return { conversationId, agent };
}

const correct = (token: string, json: unknown) => call(`${server.url}/api/corrections`, { method: 'POST', token, json });

test('an agent corrects a chat message: stored with the original, labels frame and triage update for every watcher', async () => {
  const { conversationId, agent } = await labeledConversation();
  const original = agent.frames.find((f) => f.type === 'labels')!;
  assert.equal(original.type === 'labels' && original.labels.urgency, 'high');
  const watcher = await connect(server, tokens.admin);
  watcher.send({ type: 'watch' });
  await watcher.waitFor('conversation', (f) => f.conversation.id === conversationId && f.conversation.urgency === 'high');

  const r = await correct(tokens.agent, { conversationId, seq: 1, labels: { incident: 'none', topic: 'other', is_claim: false } });
  assert.equal(r.status, 201, r.text);
  const body = r.body as Record<string, unknown>;
  assert.equal(body.source, 'chat');
  assert.equal(body.correctedBy, 'agent1');
  assert.equal(body.text, TEXT);
  // incident none brings urgency down to low (the taxonomy's rule).
  assert.deepEqual(body.labels, mergeLabels(pickLabels(body.original as Labels), { is_claim: false, topic: 'other', incident: 'none', urgency: 'low' }));
  assert.equal((body.original as { urgency: string }).urgency, 'high');
  assert.equal(body.provider, 'rules');
  assert.match(String(body.version), /^rules@/);

  // The room hears the new labels, the watchers the new triage: nothing high, no claim left.
  const relabeled = await agent.waitFor('labels', (f) => f.seq === 1 && f.labels.provider === 'correction');
  assert.equal(relabeled.labels.urgency, 'low');
  const triage = await watcher.waitFor('conversation', (f) => f.conversation.id === conversationId && f.conversation.urgency === 'low');
  assert.equal(triage.conversation.claim, false);
  const messages = await call(`${server.url}/api/conversations/${conversationId}/messages`, { token: tokens.agent });
  const first = (messages.body as { messages: { seq: number; labels?: { topic: string; confidence: number } }[] }).messages[0]!;
  assert.equal(first.labels?.topic, 'other');
  assert.equal(first.labels?.confidence, 1);

  // In the DB: the labels are sealed (no JSON, no label value in the clear), the text is not copied.
  const row = server.data.db.prepare('SELECT * FROM corrections WHERE conversation_id = ?').get(conversationId) as { labels: Buffer; text: string | null; username: string; provider: string };
  assert.equal(row.text, null);
  assert.ok(Buffer.isBuffer(row.labels));
  assert.ok(!row.labels.toString('latin1').includes('other'));
  assert.equal(row.username, 'agent1');
  await agent.close();
  await watcher.close();
});

test('a batch row: {text, labels} is stored with what fmc says about the text now', async () => {
  const r = await correct(tokens.admin, { text: 'ma facture est fausse, prélevé deux fois', labels: { urgency: 'high' } });
  assert.equal(r.status, 201, r.text);
  const body = r.body as { source: string; labels: { urgency: string; incident: string }; original: { urgency: string }; provider: string; correctedBy: string };
  assert.equal(body.source, 'batch');
  assert.equal(body.correctedBy, 'root');
  assert.equal(body.labels.urgency, 'high');
  assert.equal(body.provider, 'rules');
  assert.notEqual(body.original.urgency, undefined);
});

test('bad corrections: unknown fields or values, inconsistent pairs, agent messages, unknown conversations, customers', async () => {
  const { conversationId, agent } = await labeledConversation();
  await agent.close();
  const cases: [string, string, unknown, number, string][] = [
    ['unknown field', tokens.agent, { conversationId, seq: 1, labels: { priority: 'high' } }, 400, 'FMC_ERR_CORRECTION'],
    ['unknown value', tokens.agent, { conversationId, seq: 1, labels: { topic: 'weather' } }, 400, 'FMC_ERR_CORRECTION'],
    ['upper-case value', tokens.agent, { conversationId, seq: 1, labels: { topic: 'TV' } }, 400, 'FMC_ERR_CORRECTION'],
    ['empty labels', tokens.agent, { conversationId, seq: 1, labels: {} }, 400, 'FMC_ERR_CORRECTION'],
    ['labels not an object', tokens.agent, { conversationId, seq: 1, labels: 'tv' }, 400, 'FMC_ERR_CORRECTION'],
    ['none with high', tokens.agent, { conversationId, seq: 1, labels: { incident: 'none', urgency: 'high' } }, 400, 'FMC_ERR_CORRECTION'],
    ["the agent's own message", tokens.agent, { conversationId, seq: 2, labels: { topic: 'tv' } }, 400, 'FMC_ERR_CORRECTION'],
    ['no such message', tokens.agent, { conversationId, seq: 9, labels: { topic: 'tv' } }, 404, 'FMC_ERR_NOT_FOUND'],
    ['no such conversation', tokens.agent, { conversationId: 'nope', seq: 1, labels: { topic: 'tv' } }, 404, 'FMC_ERR_NOT_FOUND'],
    ['a customer', tokens.alice, { conversationId, seq: 1, labels: { topic: 'tv' } }, 403, 'FMC_ERR_FORBIDDEN'],
    ['both text and conversation', tokens.agent, { conversationId, seq: 1, text: 'x', labels: { topic: 'tv' } }, 400, 'FMC_ERR_BAD_REQUEST'],
    ['neither', tokens.agent, { labels: { topic: 'tv' } }, 400, 'FMC_ERR_BAD_REQUEST'],
    ['seq without conversation', tokens.agent, { seq: 1, labels: { topic: 'tv' } }, 400, 'FMC_ERR_BAD_REQUEST'],
  ];
  for (const [name, token, json, status, code] of cases) {
    const r = await correct(token, json);
    assert.equal(r.status, status, `${name}: ${r.text}`);
    assert.equal(errorCode(r), code, name);
  }
  const anonymous = await call(`${server.url}/api/corrections`, { method: 'POST', json: { text: 'x', labels: { topic: 'tv' } } });
  assert.equal(anonymous.status, 401);
  // Nothing was stored by any of them.
  const n = server.data.db.prepare('SELECT count(*) FROM corrections WHERE conversation_id = ?').pluck().get(conversationId);
  assert.equal(n, 0);
});
