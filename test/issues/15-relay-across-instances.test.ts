// Issue #15: several `fmc serve` processes on one PostgreSQL serve the same conversations.
// Real processes on loopback, a real PostgreSQL (test/pg); the database is the log, NOTIFY
// only wakes the other instances up.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ServerFrame } from '../../src/server/relay/protocol.js';
import { RELAY_CHANNEL } from '../../src/server/relay/pg/notice.js';
import { fmc } from '../ops/helpers.js';
import { call } from '../server/helpers.js';
import { clientId, type Client } from '../server/relay-helpers.js';
import { connectTo, startCluster, type Cluster } from '../server/relay-pg-cluster.js';

type MessageFrame = Extract<ServerFrame, { type: 'message' }>;

const messagesOf = (client: Client, conversationId: string): MessageFrame[] =>
  client.frames.filter((f): f is MessageFrame => f.type === 'message' && f.conversationId === conversationId);

/** Waits until `client` holds `n` messages of the conversation. */
async function receive(client: Client, conversationId: string, n: number, timeoutMs = 15_000): Promise<MessageFrame[]> {
  const deadline = Date.now() + timeoutMs;
  while (messagesOf(client, conversationId).length < n) {
    if (Date.now() > deadline) throw new Error(`got ${messagesOf(client, conversationId).length} of ${n} messages`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return messagesOf(client, conversationId);
}

const seqs = (frames: readonly MessageFrame[]): number[] => frames.map((f) => f.seq);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function open(cluster: Cluster, i: number, customer: string): Promise<string> {
  const r = await call(`${cluster.instances[i]!.url}/api/conversations`, { method: 'POST', token: await cluster.token(customer) });
  assert.equal(r.status, 201, r.text);
  return (r.body as { id: string }).id;
}

async function joined(client: Client, conversationId: string, afterSeq = 0): Promise<void> {
  client.send({ type: 'resume', conversationId, afterSeq });
  await client.waitFor('resumed', (f) => f.conversationId === conversationId);
}

describe('three instances on one database', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster(3, { alice: 'customer', bob: 'customer', agent1: 'agent', agent2: 'agent' });
  });
  after(async () => {
    await cluster?.close();
  });

  test('concurrent senders on one conversation through different instances: one contiguous order, everywhere; labels and watch cross over', async () => {
    const [a, b, c] = cluster.instances;
    const watcher = await connectTo(c!, await cluster.token('agent2'));
    watcher.send({ type: 'watch' });
    const conversationId = await open(cluster, 0, 'alice');
    // Opened on instance 0, announced to the agent watching on instance 2.
    await watcher.waitFor('conversation', (f) => f.conversation.id === conversationId, 10_000);

    const customer = await connectTo(a!, await cluster.token('alice'));
    const agent1 = await connectTo(b!, await cluster.token('agent1'));
    const agent2 = await connectTo(c!, await cluster.token('agent2'));
    for (const client of [customer, agent1, agent2]) await joined(client, conversationId);

    const PER_SENDER = 15;
    const senders = [customer, agent1, agent2];
    for (let i = 0; i < PER_SENDER; i++) {
      for (const [k, s] of senders.entries()) s.send({ type: 'send', conversationId, clientId: `s${k}-${i}`, text: `sender ${k} message ${i}` });
    }
    const total = PER_SENDER * senders.length;
    const seen = await Promise.all(senders.map((s) => receive(s, conversationId, total)));
    for (const frames of seen) {
      assert.deepEqual(seqs(frames), range(1, total), 'every socket gets 1..N, in order, once');
      // The same text under the same seq on every instance.
      assert.deepEqual(frames.map((f) => f.text), seen[0]!.map((f) => f.text));
    }
    // Each sender's own messages keep their order.
    for (let k = 0; k < senders.length; k++) {
      const mine = seen[0]!.filter((f) => f.text.startsWith(`sender ${k} `)).map((f) => Number(f.text.split(' ')[3]));
      assert.deepEqual(mine, range(0, PER_SENDER - 1));
    }
    // Acks: each clientId acknowledged once, with the seq everyone saw.
    const bySeq = new Map(seen[0]!.map((f) => [f.seq, f.text]));
    for (const [k, s] of senders.entries()) {
      const acks = s.frames.filter((f): f is Extract<ServerFrame, { type: 'ack' }> => f.type === 'ack');
      assert.equal(acks.length, PER_SENDER);
      for (const ack of acks) assert.equal(bySeq.get(ack.seq), `sender ${k} message ${ack.clientId.split('-')[1]}`);
    }

    // Customer messages are classified on instance 0; the agents on 1 and 2 get the labels.
    await agent2.waitFor('labels', (f) => f.conversationId === conversationId && f.seq === seen[0]!.find((m) => m.text.startsWith('sender 0 '))!.seq, 10_000);
    await agent1.waitFor('labels', (f) => f.conversationId === conversationId, 10_000);
    assert.equal(customer.frames.some((f) => f.type === 'labels'), false, 'customers are not shown labels');

    // An idempotent retry through another instance: acknowledged as a duplicate, stored once.
    agent1.send({ type: 'send', conversationId, clientId: 's0-3', text: 'sender 0 message 3' });
    await agent1.waitFor('ack', (f) => f.clientId === 's0-3');
    customer.send({ type: 'send', conversationId, clientId: 's0-3', text: 'sender 0 message 3' });
    const dup = await customer.waitFor('ack', (f) => f.clientId === 's0-3' && f.duplicate);
    assert.equal(bySeq.get(dup.seq), 'sender 0 message 3');

    // Closing on instance 1 reaches the watcher on 2 and the customer's room on 0.
    const closed = await call(`${b!.url}/api/conversations/${conversationId}/close`, { method: 'POST', token: await cluster.token('agent1') });
    assert.equal(closed.status, 200);
    await watcher.waitFor('conversation', (f) => f.conversation.id === conversationId && f.conversation.status === 'closed', 10_000);
    await customer.waitFor('conversation', (f) => f.conversation.id === conversationId && f.conversation.status === 'closed', 10_000);
    for (const client of [watcher, customer, agent1, agent2]) await client.close();
  });

  test("an agent's reply through one instance reaches the watchers on another: the conversation's last seq, nobody waiting", async () => {
    const [a, b, c] = cluster.instances;
    const watcher = await connectTo(c!, await cluster.token('agent2'));
    watcher.send({ type: 'watch' });
    const conversationId = await open(cluster, 0, 'bob');
    const customer = await connectTo(a!, await cluster.token('bob'));
    const agent = await connectTo(b!, await cluster.token('agent1'));
    for (const client of [customer, agent]) await joined(client, conversationId);
    const mine = (f: Extract<ServerFrame, { type: 'conversation' }>): boolean => f.conversation.id === conversationId;

    customer.send({ type: 'send', conversationId, clientId: clientId(), text: 'plus de connexion depuis ce matin' });
    const waiting = await watcher.waitFor('conversation', (f) => mine(f) && f.conversation.lastSeq === 1, 10_000);
    assert.notEqual(waiting.conversation.waitingSince, null, 'the customer waits for an answer');

    // An agent's message is not classified, so no labels notice follows it: the message
    // notice alone must bring the watcher on instance 2 the new summary.
    agent.send({ type: 'send', conversationId, clientId: clientId(), text: 'nous regardons votre ligne' });
    const answered = await watcher.waitFor('conversation', (f) => mine(f) && f.conversation.lastSeq === 2, 10_000);
    assert.equal(answered.conversation.waitingSince, null, 'answered: nobody waits');
    for (const client of [watcher, customer, agent]) await client.close();
  });

  test('NOTIFY carries ids, never the text: a long message and its labels wake the other instances with payloads of a few dozen bytes', async () => {
    const eavesdropper = new pg.Client({ connectionString: cluster.pg.url });
    await eavesdropper.connect();
    const payloads: string[] = [];
    eavesdropper.on('notification', (n) => n.channel === RELAY_CHANNEL && payloads.push(n.payload ?? ''));
    await eavesdropper.query(`LISTEN ${RELAY_CHANNEL}`);
    try {
      const [a, b] = cluster.instances;
      const conversationId = await open(cluster, 0, 'alice');
      const customer = await connectTo(a!, await cluster.token('alice'));
      const agent = await connectTo(b!, await cluster.token('agent1'));
      for (const client of [customer, agent]) await joined(client, conversationId);
      // Under the 4,000-character limit, but 11 KB in UTF-8: more than a NOTIFY can carry (8,000 bytes).
      const marker = `panne-${randomBytes(6).toString('hex')}`;
      const text = `${marker} plus de connexion depuis ce matin ${'€'.repeat(3900)}`;
      assert.ok(text.length <= 4000 && Buffer.byteLength(text) > 8000);
      customer.send({ type: 'send', conversationId, clientId: clientId(), text });
      const [delivered] = await receive(agent, conversationId, 1);
      assert.equal(delivered!.text, text, 'the other instance read the whole text from the table');
      await agent.waitFor('labels', (f) => f.conversationId === conversationId, 10_000);
      const mine = payloads.filter((p) => p.includes(conversationId));
      assert.ok(mine.length >= 2, `a notice for the message and one for its labels: ${JSON.stringify(payloads)}`);
      for (const p of payloads) {
        assert.ok(!p.includes(marker) && !p.includes('connexion'), `no text in a notice: ${p.slice(0, 200)}`);
        assert.ok(Buffer.byteLength(p) < 200, `${Buffer.byteLength(p)} bytes: ${p.slice(0, 200)}`);
      }
      for (const client of [customer, agent]) await client.close();
    } finally {
      await eavesdropper.end();
    }
  });

  test('the LISTEN connections are terminated (pg_terminate_backend): after re-LISTEN every missed message arrives, none twice', async () => {
    const [a, b] = cluster.instances;
    const conversationId = await open(cluster, 0, 'alice');
    const sender = await connectTo(a!, await cluster.token('agent1'));
    const reader = await connectTo(b!, await cluster.token('alice'));
    await joined(sender, conversationId);
    await joined(reader, conversationId);

    const admin = new pg.Client({ connectionString: cluster.pg.url });
    await admin.connect();
    try {
      const killed = await admin.query("SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = 'fmc serve (listen)'");
      assert.equal(killed.rowCount, 3, 'one LISTEN connection per instance');
      // Sent at once, while instance 1 has no LISTEN connection: its notices are lost.
      for (let i = 0; i < 10; i++) sender.send({ type: 'send', conversationId, clientId: `t${i}`, text: `pendant la coupure ${i}` });
      const frames = await receive(reader, conversationId, 10);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(seqs(messagesOf(reader, conversationId)), range(1, 10));
      assert.deepEqual(frames.map((f) => f.text), range(0, 9).map((i) => `pendant la coupure ${i}`));
      // Each instance listens again.
      for (let i = 0; i < 100; i++) {
        const back = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'fmc serve (listen)'");
        if (back.rows[0].n === 3) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const health = await call(`${b!.url}/api/health`);
      assert.equal((health.body as { checks: { listen: { ok: boolean } } }).checks.listen.ok, true, health.text);
      // The window was real: a message was stored before any instance listened again, so its
      // notice reached no one and only the read after re-LISTEN could bring it.
      const { rows } = await admin.query<{ stored: string; listening: string }>(
        `SELECT (SELECT min(created_at) FROM messages WHERE conversation_id = $1) AS stored,
                (SELECT (extract(epoch FROM min(backend_start)) * 1000)::bigint FROM pg_stat_activity WHERE application_name = 'fmc serve (listen)') AS listening`,
        [conversationId],
      );
      assert.ok(Number(rows[0]!.stored) < Number(rows[0]!.listening), `first message stored at ${rows[0]!.stored}, LISTEN again from ${rows[0]!.listening}`);
    } finally {
      await admin.end();
    }
    await sender.close();
    await reader.close();
  });

  test("a send's answers are one server's: another customer's conversation is not found, a closed one refuses, a stored clientId is acknowledged again after the close", async () => {
    const [a, b] = cluster.instances;
    const conversationId = await open(cluster, 0, 'alice');
    const bob = await connectTo(b!, await cluster.token('bob'));
    bob.send({ type: 'send', conversationId, clientId: 'x1', text: 'pas chez moi' });
    assert.equal((await bob.waitFor('error', (f) => f.clientId === 'x1')).code, 'FMC_ERR_NOT_FOUND');
    const alice = await connectTo(b!, await cluster.token('alice'));
    alice.send({ type: 'send', conversationId, clientId: 'y1', text: 'bonjour' });
    const first = await alice.waitFor('ack', (f) => f.clientId === 'y1');
    assert.equal(first.duplicate, false);
    const closed = await call(`${a!.url}/api/conversations/${conversationId}/close`, { method: 'POST', token: await cluster.token('agent1') });
    assert.equal(closed.status, 200, closed.text);
    alice.send({ type: 'send', conversationId, clientId: 'y2', text: 'encore une chose' });
    assert.equal((await alice.waitFor('error', (f) => f.clientId === 'y2')).code, 'FMC_ERR_CONVERSATION_CLOSED');
    alice.send({ type: 'send', conversationId, clientId: 'y1', text: 'bonjour' });
    const again = await alice.waitFor('ack', (f) => f.clientId === 'y1' && f.duplicate);
    assert.deepEqual([again.seq, again.id], [first.seq, first.id]);
    const stored = await call(`${a!.url}/api/conversations/${conversationId}/messages`, { token: await cluster.token('agent1') });
    assert.deepEqual((stored.body as { messages: { text: string }[] }).messages.map((m) => m.text), ['bonjour']);
    await bob.close();
    await alice.close();
  });
});

describe('two instances, one killed mid-stream', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster(2, { carol: 'customer', agent: 'agent' });
  });
  after(async () => {
    await cluster?.close();
  });

  test('SIGKILL one instance mid-stream: its clients reconnect to the other, resume, and get every missed message exactly once', async () => {
    const [a, b] = cluster.instances;
    const conversationId = await open(cluster, 0, 'carol');
    let customer = await connectTo(a!, await cluster.token('carol'));
    const agent = await connectTo(b!, await cluster.token('agent'));
    await joined(customer, conversationId);
    await joined(agent, conversationId);

    const TOTAL = 60;
    let sent = 0;
    const stream = (async () => {
      for (; sent < TOTAL; sent++) {
        agent.send({ type: 'send', conversationId, clientId: `k${sent}`, text: `message ${sent}` });
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await receive(customer, conversationId, 15);
    // The customer's send and the kill together: instance a may have stored it or not, and the
    // customer cannot tell (no ack). It sends it again, same clientId, on the other instance.
    customer.send({ type: 'send', conversationId, clientId: 'retry-me', text: 'vous êtes là ?' });
    a!.child.kill('SIGKILL');
    const code = await customer.closed;
    assert.notEqual(code, 1000);
    const before = messagesOf(customer, conversationId);
    assert.deepEqual(seqs(before), range(1, before.length), 'nothing out of order before the kill');
    const lastSeen = before.at(-1)!.seq;
    customer = await connectTo(b!, await cluster.token('carol'));
    customer.send({ type: 'resume', conversationId, afterSeq: lastSeen });
    customer.send({ type: 'send', conversationId, clientId: 'retry-me', text: 'vous êtes là ?' });
    await stream;
    const after = await receive(customer, conversationId, TOTAL + 1 - lastSeen);
    const all = [...before, ...after];
    assert.deepEqual(seqs(all), range(1, TOTAL + 1), 'every message exactly once, in order');
    assert.equal(all.filter((f) => f.text === 'vous êtes là ?').length, 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(messagesOf(customer, conversationId).length, after.length, 'nothing more arrives');
    await customer.close();
    await agent.close();
  });

  test('PostgreSQL stops and starts again while serving: writes answer a retryable error, sockets stay open, the relay resumes', async () => {
    // Instance 0 was killed above: start a fresh one beside the survivor.
    const i = await cluster.start();
    const [b, c] = [cluster.instances[1]!, cluster.instances[i]!];
    const conversationId = await open(cluster, 1, 'carol');
    const customer = await connectTo(b, await cluster.token('carol'));
    const agent = await connectTo(c, await cluster.token('agent'));
    await joined(customer, conversationId);
    await joined(agent, conversationId);
    agent.send({ type: 'send', conversationId, clientId: 'before', text: 'avant' });
    await receive(customer, conversationId, 1);

    await cluster.pg.stop();
    agent.send({ type: 'send', conversationId, clientId: 'during', text: 'pendant' });
    const refused = await agent.waitFor('error', (f) => f.clientId === 'during', 15_000);
    assert.ok(refused.code === 'FMC_ERR_DB_UNAVAILABLE' || refused.code === 'FMC_ERR_STORAGE', refused.code);
    assert.ok((refused.retryAfterMs ?? 0) > 0, 'retryable');
    const rest = await call(`${b.url}/api/conversations`, { token: await cluster.token('agent') });
    assert.equal(rest.status, 503);
    assert.equal((rest.body as { error: { code: string } }).error.code, 'FMC_ERR_DB_UNAVAILABLE');
    assert.equal(agent.ws.readyState, agent.ws.OPEN, 'the socket stays open');
    assert.equal(customer.ws.readyState, customer.ws.OPEN);
    // Not ready while its database is away: a load balancer stops sending clients here.
    const down = await call(`${b.url}/api/health`);
    assert.equal(down.status, 503, down.text);
    const downChecks = (down.body as { checks: { database: { ok: boolean; detail: string } } }).checks;
    assert.equal(downChecks.database.ok, false, down.text);
    assert.match(downChecks.database.detail, /127\.0\.0\.1/);

    await cluster.pg.start();
    // The client retries with the same clientId until the database answers.
    let ack: Extract<ServerFrame, { type: 'ack' }> | undefined;
    for (let attempt = 0; attempt < 100 && !ack; attempt++) {
      agent.send({ type: 'send', conversationId, clientId: 'during', text: 'pendant' });
      ack = await agent.waitFor('ack', (f) => f.clientId === 'during', 300).catch(() => undefined);
    }
    assert.equal(ack?.seq, 2);
    const got = await receive(customer, conversationId, 2, 20_000);
    assert.deepEqual(got.map((f) => f.text), ['avant', 'pendant']);
    // Health is back once the LISTEN connection is.
    let ok = false;
    for (let n = 0; n < 100 && !ok; n++) {
      ok = (await call(`${b.url}/api/health`)).status === 200;
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(ok, 'health recovers');
    const up = await call(`${b.url}/api/health`);
    assert.match((up.body as { checks: { database: { ok: boolean; detail: string } } }).checks.database.detail, /reachable/);
    await customer.close();
    await agent.close();
  });

  test('fmc keys rotate refuses while instances run on the database; once they are stopped it rotates, and history reads under the new key', async () => {
    const newKey = randomBytes(32).toString('base64');
    const conversationId = await open(cluster, 1, 'carol');
    const customer = await connectTo(cluster.instances[1]!, await cluster.token('carol'));
    await joined(customer, conversationId);
    customer.send({ type: 'send', conversationId, clientId: 'k', text: 'avant la rotation' });
    await customer.waitFor('ack', (f) => f.clientId === 'k');
    await customer.close();

    const refused = await fmc(['keys', 'rotate'], { ...cluster.env, FMC_NEW_MASTER_KEY: newKey });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /fmc serve instance\(s\) run on this database .*nothing was changed\. Stop every instance/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');

    for (const instance of cluster.instances) await instance.stop();
    const rotated = await fmc(['keys', 'rotate'], { ...cluster.env, FMC_NEW_MASTER_KEY: newKey });
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /re-wrapped \d+ data keys in PostgreSQL/);

    // The old key no longer starts an instance; the new one reads the history.
    await assert.rejects(cluster.start(), /is not the one the conversations were encrypted under/);
    const i = await cluster.start({ FMC_MASTER_KEY: newKey });
    const history = await call(`${cluster.instances[i]!.url}/api/conversations/${conversationId}/messages`, { token: await cluster.token('carol') });
    assert.equal(history.status, 200, history.text);
    assert.deepEqual((history.body as { messages: { text: string }[] }).messages.map((m) => m.text), ['avant la rotation']);
  });
});

describe('per-user limits hold across instances', () => {
  let cluster: Cluster;
  before(async () => {
    // 5 messages, then (practically) none; 6 requests a minute; the default 10 logins a minute.
    cluster = await startCluster(2, { dora: 'customer', eve: 'customer', frank: 'agent' }, { FMC_CHAT_RATE: '5/0.001' }, ['--rate-limit', '6']);
  });
  after(async () => {
    await cluster?.close();
  });

  test('messages per second: one bucket per user, whichever instance the sockets reach', async () => {
    const [a, b] = cluster.instances;
    const conversationId = await open(cluster, 0, 'dora');
    const sockets = [await connectTo(a!, await cluster.token('dora')), await connectTo(b!, await cluster.token('dora'))];
    for (let i = 0; i < 10; i++) sockets[i % 2]!.send({ type: 'send', conversationId, clientId: `r${i}`, text: `message ${i}` });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => {
        const s = sockets[i % 2]!;
        return Promise.race([s.waitFor('ack', (f) => f.clientId === `r${i}`), s.waitFor('error', (f) => f.clientId === `r${i}`)]);
      }),
    );
    assert.equal(answers.filter((f) => f.type === 'ack').length, 5);
    const refused = answers.filter((f): f is Extract<ServerFrame, { type: 'error' }> => f.type === 'error');
    assert.equal(refused.length, 5);
    for (const f of refused) assert.equal(f.code, 'FMC_ERR_RATE_LIMITED');
    for (const s of sockets) await s.close();
  });

  test('HTTP requests per minute and login attempts: counted once for all instances', async () => {
    const urls = cluster.instances.map((i) => i.url);
    const token = await cluster.token('eve');
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await call(`${urls[i % 2]}/api/conversations`, { token })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 429, 429, 429, 429]);

    const logins: number[] = [];
    for (let i = 0; i < 14; i++) logins.push((await call(`${urls[i % 2]}/api/auth/login`, { method: 'POST', json: { username: 'frank', password: 'wrong password' } })).status);
    assert.equal(logins.filter((s) => s === 401).length, 10, JSON.stringify(logins));
    assert.deepEqual(logins.slice(10), [429, 429, 429, 429]);
  });
});
