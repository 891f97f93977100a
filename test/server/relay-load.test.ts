import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, openConversation, startRelayServer, type Client } from './relay-helpers.js';

// The load check, kept small enough for `npm test`: 200 sockets on loopback, 40
// conversations, every socket writing at once. Each socket must see every message of its
// conversation once, in seq order, and each sender's messages in the order sent.
const CONVERSATIONS = 40;
const CUSTOMER_SOCKETS = 2;
const AGENT_SOCKETS = 3;
const PER_SOCKET = 5;

test('200 concurrent clients: no loss, no duplicate, order kept per conversation', async () => {
  const server = await startRelayServer();
  const clients: Client[] = [];
  try {
    const agentToken = await server.user('agent1', 'agent');
    const rooms = await Promise.all(
      Array.from({ length: CONVERSATIONS }, async (_, i) => {
        const token = await server.user(`customer${i}`, 'customer');
        const conversationId = await openConversation(server, token);
        const sockets = await Promise.all([...Array.from({ length: CUSTOMER_SOCKETS }, () => connect(server, token)), ...Array.from({ length: AGENT_SOCKETS }, () => connect(server, agentToken))]);
        clients.push(...sockets);
        return { conversationId, sockets };
      }),
    );
    assert.equal(clients.length, 200);
    for (const { conversationId, sockets } of rooms) for (const s of sockets) s.send({ type: 'resume', conversationId, afterSeq: 0 });
    await Promise.all(clients.map((c) => c.waitFor('resumed')));

    // Every socket sends its messages back to back, all conversations at once.
    for (const { conversationId, sockets } of rooms) {
      sockets.forEach((s, k) => {
        for (let n = 0; n < PER_SOCKET; n++) s.send({ type: 'send', conversationId, clientId: `s${k}-${n}`, text: `socket ${k} message ${n}` });
      });
    }
    const total = (CUSTOMER_SOCKETS + AGENT_SOCKETS) * PER_SOCKET;
    await Promise.all(clients.map((c) => c.waitFor('message', (m) => m.seq === total, 20_000)));

    for (const { sockets } of rooms) {
      const views = sockets.map((s) => s.frames.flatMap((f) => (f.type === 'message' ? [f] : [])));
      for (const view of views) {
        assert.deepEqual(view.map((m) => m.seq), Array.from({ length: total }, (_, i) => i + 1), 'every seq once, in order');
        assert.deepEqual(view.map((m) => m.text), views[0]!.map((m) => m.text), 'the same sequence on every socket');
      }
      for (let k = 0; k < sockets.length; k++) {
        const own = views[0]!.filter((m) => m.text.startsWith(`socket ${k} `)).map((m) => m.text);
        assert.deepEqual(own, Array.from({ length: PER_SOCKET }, (_, n) => `socket ${k} message ${n}`), `socket ${k}'s messages in the order sent`);
      }
      for (const s of sockets) assert.equal(s.frames.filter((f) => f.type === 'ack').length, PER_SOCKET);
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  }
});
