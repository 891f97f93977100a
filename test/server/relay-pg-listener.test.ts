// The LISTEN connection of an instance, through a TCP relay that can go silent: a network cut
// that drops packets without a reset. The connection must be given up after about two ping
// intervals (not after TCP's retransmissions, ~15 minutes), health must say so meanwhile,
// and a new connection must catch up (onResync) and hear notices again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { silentLogger } from '../../src/log.js';
import { startListener } from '../../src/server/relay/pg/listener.js';
import { notice, RELAY_CHANNEL, type Notice } from '../../src/server/relay/pg/notice.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';
import { notificationDroppingRelay, silentCutRelay } from '../pg/tcp-relays.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server.destroy();
});

test('a LISTEN connection cut silently is given up within seconds (two pings), health says so, and the next one catches up and hears notices', async () => {
  const relay = await silentCutRelay(server.port);
  const heard: Notice[] = [];
  let resyncs = 0;
  const listener = await startListener({ url: relay.url('fmc'), onNotice: (n) => heard.push(n), onResync: () => resyncs++, logger: silentLogger, pingMs: 200 });
  const direct = new pg.Client({ connectionString: server.url });
  await direct.connect();
  const waitFor = async (what: string, ok: () => boolean, ms: number): Promise<void> => {
    const started = Date.now();
    while (!ok()) {
      if (Date.now() - started > ms) assert.fail(`${what}: not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await direct.query('SELECT pg_notify($1, $2)', [RELAY_CHANNEL, notice.message('other', 'conv-1', 1)]);
    await waitFor('the first notice', () => heard.length === 1, 5000);
    assert.equal(listener.status().ok, true);

    relay.cut();
    // Sent while the connection is cut: lost to it (NOTIFY has no replay), hence the resync.
    await direct.query('SELECT pg_notify($1, $2)', [RELAY_CHANNEL, notice.message('other', 'conv-1', 2)]);
    // Two pings of 200 ms; the bound leaves room for a loaded machine, far below TCP's minutes.
    await waitFor('health saying the connection is down', () => !listener.status().ok || resyncs > 0, 3000);
    await waitFor('a new connection and its catch-up', () => resyncs === 1 && listener.status().ok, 5000);
    assert.deepEqual(heard.map((n) => n.kind === 'message' && n.seq), [1]);

    await direct.query('SELECT pg_notify($1, $2)', [RELAY_CHANNEL, notice.message('other', 'conv-1', 3)]);
    await waitFor('a notice on the new connection', () => heard.length === 2, 5000);
    assert.deepEqual(heard.map((n) => n.kind === 'message' && n.seq), [1, 3]);
  } finally {
    await direct.end();
    await relay.close();
    await listener.close();
  }
});

test('a LISTEN connection that answers queries but drops notices (a pooler in transaction mode) is given up like a dead one, and each new one catches up', async () => {
  const relay = await notificationDroppingRelay(server.port);
  let resyncs = 0;
  const listener = await startListener({ url: relay.url('fmc'), onNotice: () => undefined, onResync: () => resyncs++, logger: silentLogger, pingMs: 200 });
  try {
    const started = Date.now();
    // Its own ping is never heard: given up after two intervals, then connected again.
    while (resyncs === 0) {
      if (Date.now() - started > 5000) assert.fail('still trusted after 5 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await listener.close();
    await relay.close();
  }
});
