import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { DEFAULT_RELAY_OPTIONS } from '../../src/server/relay/options.js';
import { call } from './helpers.js';
import { connect, openConversation, startRelayServer, type RelayServer } from './relay-helpers.js';

async function metric(server: RelayServer, line: RegExp): Promise<number> {
  const text = (await call(`${server.url}/metrics`)).text;
  const match = text.split('\n').find((l) => line.test(l));
  return match === undefined ? 0 : Number(match.split(' ').at(-1));
}

test('a client that stops reading is closed once its send queue is full, and the server goes on', async () => {
  const server = await startRelayServer({ relay: { maxQueueBytes: 64 * 1024 } });
  try {
    const customer = await server.user('slowpoke', 'customer');
    const agentToken = await server.user('agent1', 'agent');
    const conversationId = await openConversation(server, customer);
    const slow = await connect(server, customer);
    const healthy = await connect(server, customer);
    for (const c of [slow, healthy]) c.send({ type: 'resume', conversationId, afterSeq: 0 });
    await slow.waitFor('resumed');
    await healthy.waitFor('resumed');
    // ws keeps its socket private; pausing it is how a client that stops reading looks on the wire.
    (slow.ws as unknown as { _socket: Socket })._socket.pause();

    const agent = await connect(server, agentToken);
    const text = 'x'.repeat(3900);
    let sent = 0;
    // The kernel's socket buffers absorb a few MB before the server's own queue grows.
    while ((await metric(server, /^fmc_ws_closed_total\{reason="slow_consumer"\}/)) === 0) {
      assert.ok(sent < 6000, `no slow-consumer close after ${sent} messages (${sent * 4} KB)`);
      for (let i = 0; i < 100; i++) agent.send({ type: 'send', conversationId, clientId: `m${++sent}`, text });
      await agent.waitFor('ack', (a) => a.clientId === `m${sent}`);
    }
    // The healthy reader got everything; the slow one is gone once it looks again.
    await healthy.waitFor('message', (m) => m.seq === sent, 10_000);
    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    const code = await slow.closed;
    assert.ok(code === 1013 || code === 1006, `close code ${code}`);
    assert.ok(slow.frames.filter((f) => f.type === 'message').length < sent, 'the slow client did not get the backlog');
    assert.equal(await metric(server, /^fmc_ws_connections /), 2, 'healthy and agent stay connected');
    await healthy.close();
    await agent.close();
  } finally {
    await server.close();
  }
});

test('per-user message rate limit: a burst, then errors with retryAfterMs, shared across sockets; retries of stored messages pass', async () => {
  const server = await startRelayServer({ relay: { rate: { burst: 5, perSecond: 0.5 } } });
  try {
    const token = await server.user('chatty', 'customer');
    const other = await server.user('calm', 'customer');
    const conversationId = await openConversation(server, token);
    const a = await connect(server, token);
    const b = await connect(server, token);
    for (let i = 1; i <= 4; i++) a.send({ type: 'send', conversationId, clientId: `a${i}`, text: `message ${i}` });
    await a.waitFor('ack', (f) => f.clientId === 'a4');
    for (let i = 1; i <= 3; i++) b.send({ type: 'send', conversationId, clientId: `b${i}`, text: `message b${i}` });
    await b.waitFor('ack', (f) => f.clientId === 'b1');
    const limited = await b.waitFor('error', (f) => f.clientId === 'b2');
    assert.equal(limited.code, 'FMC_ERR_RATE_LIMITED');
    assert.ok(limited.retryAfterMs! > 0 && limited.retryAfterMs! <= 2000, `retryAfterMs ${limited.retryAfterMs}`);
    assert.equal((await b.waitFor('error', (f) => f.clientId === 'b3')).code, 'FMC_ERR_RATE_LIMITED');
    // A retry of a message already stored is not a new message.
    a.send({ type: 'send', conversationId, clientId: 'a1', text: 'message 1' });
    assert.equal((await a.waitFor('ack', (f) => f.clientId === 'a1' && f.duplicate)).seq, 1);
    const history = await call(`${server.url}/api/conversations/${conversationId}/messages`, { token });
    assert.equal((history.body as { messages: unknown[] }).messages.length, 5);
    // Someone else's budget is untouched.
    const otherConversation = await openConversation(server, other);
    const c = await connect(server, other);
    c.send({ type: 'send', conversationId: otherConversation, clientId: 'c1', text: 'bonjour' });
    assert.equal((await c.waitFor('ack')).seq, 1);
    for (const client of [a, b, c]) await client.close();
  } finally {
    await server.close();
  }
});

test('a frame over maxPayload closes the socket (1009); a text over the limit is refused and the socket stays', async () => {
  const server = await startRelayServer({ relay: { maxPayloadBytes: 8 * 1024, limits: { ...DEFAULT_RELAY_OPTIONS.limits, maxTextLength: 1000 } } });
  try {
    const token = await server.user('big', 'customer');
    const conversationId = await openConversation(server, token);
    const client = await connect(server, token);
    client.send({ type: 'send', conversationId, clientId: 'long', text: 'y'.repeat(1001) });
    const tooLong = await client.waitFor('error', (f) => f.clientId === 'long');
    assert.equal(tooLong.code, 'FMC_ERR_TOO_LARGE');
    assert.match(tooLong.message, /limit is 1000/);
    client.send({ type: 'send', conversationId, clientId: 'ok', text: 'y'.repeat(1000) });
    assert.equal((await client.waitFor('ack')).seq, 1);
    client.send({ type: 'send', conversationId, clientId: 'huge', text: 'z'.repeat(9000) });
    assert.equal(await client.closed, 1009);
    assert.equal(await metric(server, /^fmc_ws_closed_total\{reason="too_large"\}/), 1);
    // Frames that are not the protocol get an error, not a crash.
    const again = await connect(server, token);
    again.send({ type: 'nope' });
    again.ws.send('not json');
    await again.waitFor('error', (f) => /not JSON/.test(f.message));
    assert.equal(again.frames.filter((f) => f.type === 'error' && f.code === 'FMC_ERR_BAD_REQUEST').length, 2);
    await again.close();
  } finally {
    await server.close();
  }
});

test('heartbeat: a peer that stops answering pings is terminated; a live one stays', async () => {
  const server = await startRelayServer({ relay: { heartbeatMs: 100 } });
  try {
    const token = await server.user('pinger', 'customer');
    const live = await connect(server, token);
    const dead = await connect(server, token, 'header', { autoPong: false });
    assert.equal(await dead.closed, 1006);
    await sleep(250);
    assert.equal(live.ws.readyState, live.ws.OPEN);
    assert.equal(await metric(server, /^fmc_ws_closed_total\{reason="dead_peer"\}/), 1);
    assert.equal(await metric(server, /^fmc_ws_connections /), 1);
    await live.close();
  } finally {
    await server.close();
  }
});

test('shutdown: open sockets get 1001 and close() returns promptly', async () => {
  const server = await startRelayServer();
  try {
    const token = await server.user('leaving', 'customer');
    const conversationId = await openConversation(server, token);
    const client = await connect(server, token);
    client.send({ type: 'send', conversationId, clientId: 'last', text: "plus d'internet depuis hier" });
    await client.waitFor('ack');
    const started = Date.now();
    await server.stop();
    assert.equal(await client.closed, 1001);
    assert.ok(Date.now() - started < 3000, `close took ${Date.now() - started} ms`);
  } finally {
    await server.close();
  }
});
