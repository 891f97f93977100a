// The PostgreSQL the tests start: a real server from Debian's binaries, as a non-root user
// when the tests run as root, on a random loopback port; it survives a restart with its data.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import test from 'node:test';
import pg from 'pg';
import { startPostgres } from './postgres.js';

test('a real PostgreSQL on loopback: queries, LISTEN/NOTIFY, a restart keeps the data, destroy removes the cluster', async () => {
  const server = await startPostgres();
  try {
    assert.match(server.url, /^postgres:\/\/fmc@127\.0\.0\.1:\d+\/fmc$/);
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const version = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    assert.ok(Number(version.rows[0]!.server_version_num) >= 150000);
    await client.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
    await client.query("INSERT INTO t VALUES (1, 'bonjour')");

    const got = new Promise<string | undefined>((resolve) => client.on('notification', (n) => resolve(n.payload)));
    await client.query('LISTEN fmc_test');
    const other = new pg.Client({ connectionString: server.url });
    await other.connect();
    await other.query("SELECT pg_notify('fmc_test', '42')");
    await other.end();
    assert.equal(await got, '42');
    await client.end();

    await server.stop();
    await assert.rejects(async () => {
      const c = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 1000 });
      try {
        await c.connect();
      } finally {
        await c.end().catch(() => undefined);
      }
    });
    await server.start();
    const again = new pg.Client({ connectionString: server.url });
    await again.connect();
    assert.deepEqual((await again.query('SELECT v FROM t WHERE id = 1')).rows, [{ v: 'bonjour' }]);
    await again.end();
  } finally {
    await server.destroy();
  }
  assert.equal(existsSync(server.dataDir), false);
});
