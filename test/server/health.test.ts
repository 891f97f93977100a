import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { HealthReport } from '../../src/server/health.js';
import { call, startServer, type TestServer } from './helpers.js';

let server: TestServer;
before(async () => {
  server = await startServer({ inject: true });
});
after(() => server.close());

test('ready: 200 with db, cache and tier checks, version and uptime', async () => {
  const r = await call(`${server.url}/api/health`);
  assert.equal(r.status, 200, r.text);
  const h = r.body as HealthReport;
  assert.equal(h.status, 'ok');
  assert.equal(h.checks.db.ok, true);
  assert.equal(h.checks.cache.ok, true);
  assert.deepEqual(Object.keys(h.checks.tiers), ['rules']);
  assert.equal(h.checks.tiers.rules!.ok, true);
  assert.equal(h.version, 'test');
  assert.equal(typeof h.uptime, 'number');
  assert.equal(r.headers.get('cache-control'), 'no-store');
});

test('a data DB that cannot be written: 503 naming the db, then 200 once it can again', async () => {
  // Another process holding the write lock is a DB this server cannot write (as root,
  // file modes would not stop it, so a lock is the portable way to make writes fail).
  const other = new BetterSqlite3(server.data.path);
  other.pragma('busy_timeout = 0');
  other.exec('BEGIN IMMEDIATE');
  try {
    const started = Date.now();
    const r = await call(`${server.url}/api/health`);
    assert.equal(r.status, 503, r.text);
    const h = r.body as HealthReport;
    assert.equal(h.status, 'unavailable');
    assert.equal(h.checks.db.ok, false);
    assert.match(h.checks.db.detail, /not writable: database is locked/);
    assert.ok(Date.now() - started < 1000, 'the probe does not wait for the lock');
  } finally {
    other.exec('ROLLBACK');
    other.close();
  }
  assert.equal((await call(`${server.url}/api/health`)).status, 200);
});

test('a closed data DB: 503', async () => {
  const s = await startServer({ inject: true });
  try {
    s.data.close();
    const r = await call(`${s.url}/api/health`);
    assert.equal(r.status, 503, r.text);
    assert.equal((r.body as HealthReport).checks.db.ok, false);
  } finally {
    await s.close();
  }
});
