// Issue #15: a socket's account (removed, disabled, its role) is checked before each of its
// frames. On PostgreSQL each instance keeps those accounts in memory, and a write to an
// account sends a notice that drops it everywhere (store/pg/users.ts, relay/pg/account-cache.ts):
// a change made through another instance, or by `fmc users`, still closes the sockets; so does
// one whose notice was lost, once the LISTEN connection has been cut and is back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { fmc } from '../ops/helpers.js';
import { call } from '../server/helpers.js';
import type { Client } from '../server/relay-helpers.js';
import { connectTo, startCluster, type Cluster } from '../server/relay-pg-cluster.js';

/** Resumes every 50 ms (each frame checks the account) until the server closes the socket: its code and reason. */
async function closedWhileResuming(client: Client, conversationId: string, timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
  const closed = new Promise<{ code: number; reason: string }>((resolve) => client.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const deadline = Date.now() + timeoutMs;
  let done: { code: number; reason: string } | undefined;
  void closed.then((c) => (done = c));
  while (!done) {
    if (Date.now() > deadline) throw new Error('the socket stayed open');
    if (client.ws.readyState === client.ws.OPEN) client.send({ type: 'resume', conversationId, afterSeq: 0 });
    await new Promise((r) => setTimeout(r, 50));
  }
  return done;
}

/** A socket on `i` that has resumed the conversation (its account read, and kept, by that instance). */
async function following(cluster: Cluster, i: number, username: string, conversationId: string): Promise<Client> {
  const client = await connectTo(cluster.instances[i]!, await cluster.token(username));
  client.send({ type: 'resume', conversationId, afterSeq: 0 });
  await client.waitFor('resumed', (f) => f.conversationId === conversationId);
  client.send({ type: 'resume', conversationId, afterSeq: 0 });
  await client.waitFor('resumed', (f) => f.conversationId === conversationId && client.frames.filter((x) => x.type === 'resumed').length === 2);
  return client;
}

describe('the account each frame checks, across instances', () => {
  let cluster: Cluster;
  let conversationId = '';
  before(async () => {
    cluster = await startCluster(2, { alice: 'customer', agent1: 'agent', agent2: 'agent', agent3: 'agent', boss: 'admin' });
    const r = await call(`${cluster.instances[0]!.url}/api/conversations`, { method: 'POST', token: await cluster.token('alice') });
    assert.equal(r.status, 201, r.text);
    conversationId = (r.body as { id: string }).id;
  });
  after(async () => {
    await cluster?.close();
  });

  test('disabled by an admin on A: its socket on B is closed at a next frame', async () => {
    const socket = await following(cluster, 1, 'agent1', conversationId);
    const r = await call(`${cluster.instances[0]!.url}/api/admin/users/agent1/disabled`, { method: 'POST', token: await cluster.token('boss'), json: { disabled: true } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(await closedWhileResuming(socket, conversationId), { code: 1008, reason: 'user removed or disabled' });
  });

  test('a password changed by `fmc users passwd` (another process): its sockets on both instances are closed with 4001 (log in again), and a token issued since connects', async () => {
    const sockets = [await following(cluster, 0, 'boss', conversationId), await following(cluster, 1, 'boss', conversationId)];
    const passwd = await fmc(['users', 'passwd', 'boss'], cluster.env, 'a-new-long-password\n');
    assert.equal(passwd.code, 0, passwd.stderr);
    for (const socket of sockets) assert.deepEqual(await closedWhileResuming(socket, conversationId), { code: 4001, reason: 'password changed; log in again' });
    const login = await call(`${cluster.instances[1]!.url}/api/auth/login`, { method: 'POST', json: { username: 'boss', password: 'a-new-long-password' } });
    assert.equal(login.status, 200, login.text);
    const again = await connectTo(cluster.instances[0]!, (login.body as { token: string }).token);
    again.send({ type: 'resume', conversationId, afterSeq: 0 });
    await again.waitFor('resumed', (f) => f.conversationId === conversationId);
    await again.close();
  });

  test('a new role given by `fmc users role` (another process): its sockets on both instances are closed', async () => {
    const sockets = [await following(cluster, 0, 'agent2', conversationId), await following(cluster, 1, 'agent2', conversationId)];
    const role = await fmc(['users', 'role', 'agent2', 'admin'], cluster.env);
    assert.equal(role.code, 0, role.stderr);
    for (const socket of sockets) assert.deepEqual(await closedWhileResuming(socket, conversationId), { code: 1008, reason: 'role changed; reconnect' });
  });

  test('a change whose notice never came (made in SQL), then the LISTEN connections cut: after re-LISTEN the socket is closed', async () => {
    const socket = await following(cluster, 1, 'agent3', conversationId);
    const admin = new pg.Client({ connectionString: cluster.pg.url });
    await admin.connect();
    try {
      // No notice: the instances do not hear of this one...
      await admin.query("UPDATE users SET disabled = true WHERE username = 'agent3'");
      // ...but while LISTEN is down every frame reads the database, and once it is back every
      // account kept before is dropped.
      const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fmc serve (listen)'");
      assert.equal(killed.rowCount, 2);
      assert.deepEqual(await closedWhileResuming(socket, conversationId), { code: 1008, reason: 'user removed or disabled' });
    } finally {
      await admin.end();
    }
  });
});
