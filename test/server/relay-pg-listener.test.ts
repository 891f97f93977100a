// The LISTEN connection of an instance, through a TCP relay that can go silent: a network cut
// that drops packets without a reset. The connection must be given up after about two ping
// intervals (not after TCP's retransmissions, ~15 minutes), health must say so meanwhile,
// and a new connection must catch up (onResync) and hear notices again.
import assert from 'node:assert/strict';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { silentLogger } from '../../src/log.js';
import { startListener } from '../../src/server/relay/pg/listener.js';
import { notice, RELAY_CHANNEL, type Notice } from '../../src/server/relay/pg/notice.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';

/** A TCP relay to PostgreSQL; `cut()` stops carrying bytes on the connections open now, closing none. */
async function silentCutRelay(port: number): Promise<{ url: (db: string) => string; cut(): void; close(): Promise<void> }> {
  const pairs: [Socket, Socket][] = [];
  const silent: Socket[] = [];
  const server: Server = createServer((down) => {
    const up = tcpConnect(port, '127.0.0.1');
    down.pipe(up);
    up.pipe(down);
    const drop = (): void => {
      down.destroy();
      up.destroy();
    };
    down.on('error', drop);
    up.on('error', drop);
    pairs.push([down, up]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relayPort = (server.address() as { port: number }).port;
  return {
    url: (db) => `postgres://fmc@127.0.0.1:${relayPort}/${db}`,
    cut() {
      for (const [down, up] of pairs.splice(0)) {
        down.unpipe(up);
        up.unpipe(down);
        down.pause();
        up.pause();
        // Kept open, so neither end hears of it; closed at the end of the test.
        silent.push(down, up);
      }
    },
    async close() {
      for (const s of [...silent, ...pairs.flat()]) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

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
