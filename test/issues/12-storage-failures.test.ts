import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { describeError } from '../../src/server/errors.js';
import type { HealthReport } from '../../src/server/health.js';
import { call } from '../server/helpers.js';
import { clientId, connect, openConversation, startRelayServer, type RelayServer } from '../server/relay-helpers.js';

// Issue 12, item 27: health said "db writable" right after writes failed with SQLITE_FULL
// (its probe rewrites one row in place, which still fits), and a relay write failure was an
// internal error. A full database is made for real here: SQLite's max_page_count on the
// server's own connection, so inserts that need a new page fail with SQLITE_FULL.

let server: RelayServer;
before(async () => (server = await startRelayServer()));
after(() => server.close());

const health = async (): Promise<{ status: number; report: HealthReport }> => {
  const r = await server.app.inject({ method: 'GET', url: '/api/health' });
  return { status: r.statusCode, report: r.json() as HealthReport };
};

test('a send the full database refuses gets a retryable FMC_ERR_STORAGE; health says not writable; the same clientId later stores once, with the next seq', async () => {
  const token = await server.user('claire', 'customer');
  const conversationId = await openConversation(server, token);
  const customer = await connect(server, token);
  await customer.waitFor('hello');
  customer.send({ type: 'send', conversationId, clientId: 'first', text: 'bonjour' });
  assert.equal((await customer.waitFor('ack', (f) => f.clientId === 'first')).seq, 1);
  assert.equal((await health()).report.checks.db.ok, true);

  const db = server.data.db;
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages}`);
  let refusedId: string | undefined;
  try {
    // Long texts fill the free space of the last page within a few messages.
    for (let i = 0; i < 50 && refusedId === undefined; i++) {
      const id = clientId();
      customer.send({ type: 'send', conversationId, clientId: id, text: `panne ${i} `.repeat(400) });
      const answer = await Promise.race([customer.waitFor('ack', (f) => f.clientId === id), customer.waitFor('error', (f) => f.clientId === id)]);
      if (answer.type === 'error') {
        assert.equal(answer.code, 'FMC_ERR_STORAGE');
        assert.equal(answer.retryAfterMs, 1000);
        assert.match(answer.message, /not stored .*SQLITE_FULL.*send it again with the same clientId/);
        refusedId = id;
      }
    }
    assert.ok(refusedId, 'the database filled up');
    const lastSeq = (db.prepare('SELECT last_seq FROM conversations WHERE id = ?').pluck().get(conversationId) as number);

    const { status, report } = await health();
    assert.equal(status, 503);
    assert.equal(report.status, 'unavailable');
    assert.match(report.checks.db.detail, /^not writable: a write failed \d+ s ago \(SQLITE_FULL\)/);

    db.pragma('max_page_count = 1073741823');
    customer.send({ type: 'send', conversationId, clientId: refusedId, text: 'le même message, renvoyé' });
    const ack = await customer.waitFor('ack', (f) => f.clientId === refusedId);
    assert.equal(ack.duplicate, false);
    assert.equal(ack.seq, lastSeq + 1, 'no seq was used by the refused write');
    assert.equal((await health()).report.checks.db.ok, true, 'a committed write clears the failure');
  } finally {
    db.pragma('max_page_count = 1073741823');
    await customer.close();
  }
});

test('over HTTP, a write SQLite refuses for storage reasons is 503 FMC_ERR_STORAGE, not an internal error', () => {
  const db = new BetterSqlite3(':memory:');
  db.exec('CREATE TABLE t (x BLOB)');
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
  let full: unknown;
  try {
    db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(100_000));
  } catch (err) {
    full = err;
  } finally {
    db.close();
  }
  assert.equal((full as { code: string }).code, 'SQLITE_FULL');
  const { status, body } = describeError(full as Error, 'req-1');
  assert.equal(status, 503);
  assert.equal(body.error.code, 'FMC_ERR_STORAGE');
  assert.match(body.error.message, /cannot write its database now \(SQLITE_FULL\); nothing was stored: retry later/);
});

test('a REST write the full database refuses is 503 FMC_ERR_STORAGE, and health follows it too', async () => {
  const fresh = await startRelayServer();
  try {
    const token = await fresh.user('rose', 'customer');
    const db = fresh.data.db;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    let refused;
    for (let i = 0; i < 500 && !refused; i++) {
      const r = await call(`${fresh.url}/api/conversations`, { method: 'POST', token });
      if (r.status !== 201) refused = r;
    }
    assert.ok(refused, 'the database filled up');
    assert.equal(refused.status, 503);
    assert.equal((refused.body as { error: { code: string } }).error.code, 'FMC_ERR_STORAGE');
    const r = await fresh.app.inject({ method: 'GET', url: '/api/health' });
    assert.equal(r.statusCode, 503);
    assert.match((r.json() as HealthReport).checks.db.detail, /a write failed \d+ s ago \(SQLITE_FULL\)/);
  } finally {
    fresh.data.db.pragma('max_page_count = 1073741823');
    await fresh.close();
  }
});
