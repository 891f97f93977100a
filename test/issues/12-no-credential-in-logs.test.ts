import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import WebSocket from 'ws';
import { redactUrl } from '../../src/server/log-redact.js';
import { createTicketStore } from '../../src/server/relay/tickets.js';
import { call } from '../server/helpers.js';
import { startRelayServer, type RelayServer } from '../server/relay-helpers.js';

// Issue 12, item 15: `/ws?tok%65n=<jwt>` authenticated and the live token was logged at
// info, as were tokens in 404 and `/api/users?token=` lines. Every logged URL has its query
// values redacted now, and browsers open the socket with a one-time 30 s ticket instead.

let server: RelayServer;
const lines: string[] = [];
let token: string;
before(async () => {
  const logger = pino({ level: 'trace' }, new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }));
  server = await startRelayServer({ logger });
  token = await server.user('dora', 'customer');
});
after(() => server.close());

/** Opens /ws at `path` (no header); resolves with the hello's user name or the refusal's status. */
function open(path: string): Promise<{ hello?: string; status?: number; ws?: WebSocket }> {
  const ws = new WebSocket(`${server.wsUrl.replace(/\/ws$/, '')}${path}`);
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve({ hello: (JSON.parse(data.toString()) as { user: { username: string } }).user.username, ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.once('error', reject);
  });
}

test('redactUrl keeps the path and harmless parameters, never a credential in any spelling', () => {
  assert.equal(redactUrl('/ws?token=abc'), '/ws?token=[redacted]');
  assert.equal(redactUrl('/ws?tok%65n=abc'), '/ws?token=[redacted]');
  assert.equal(redactUrl('/ws?ticket=abc&x'), '/ws?ticket=[redacted]&x=[redacted]');
  assert.equal(redactUrl('/api/conversations/c1/messages?afterSeq=3&limit=10'), '/api/conversations/c1/messages?afterSeq=3&limit=10');
  assert.equal(redactUrl('/x?eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijklmnop'), '/x?[redacted]');
  assert.equal(redactUrl('/plain'), '/plain');
});

test('no log line carries the token: /ws?tok%65n=, a 404 and /api/users?token=', async () => {
  const encoded = await open(`/ws?tok%65n=${token}`);
  assert.equal(encoded.hello, 'dora');
  encoded.ws!.close();
  assert.equal((await server.app.inject({ method: 'GET', url: `/no/such/route?token=${token}` })).statusCode, 404);
  assert.equal((await server.app.inject({ method: 'GET', url: `/api/users?token=${token}` })).statusCode, 401);
  assert.equal((await server.app.inject({ method: 'GET', url: `/api/users?${token}` })).statusCode, 401);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(lines.some((l) => l.includes('/no/such/route?token=[redacted]')), 'the 404 was logged, redacted');
  assert.ok(lines.some((l) => l.includes('/api/users?token=[redacted]')));
  assert.ok(lines.some((l) => l.includes('/ws?token=[redacted]')), 'the upgrade was logged, redacted');
  const leaked = lines.filter((l) => l.includes(token) || l.includes(token.split('.')[2]!));
  assert.deepEqual(leaked, []);
});

test('POST /api/ws-ticket: a ticket opens one socket, once; a used, unknown or missing-token ticket is refused', async () => {
  assert.equal((await call(`${server.url}/api/ws-ticket`, { method: 'POST' })).status, 401);
  const r = await call(`${server.url}/api/ws-ticket`, { method: 'POST', token });
  assert.equal(r.status, 200, r.text);
  const { ticket, expiresAt } = r.body as { ticket: string; expiresAt: string };
  assert.ok(Date.parse(expiresAt) - Date.now() <= 30_000 && Date.parse(expiresAt) > Date.now());
  assert.ok(!ticket.includes(token) && ticket.length >= 32);

  const first = await open(`/ws?ticket=${ticket}`);
  assert.equal(first.hello, 'dora');
  first.ws!.close();
  assert.equal((await open(`/ws?ticket=${ticket}`)).status, 401, 'a ticket is used once');
  assert.equal((await open('/ws?ticket=made-up')).status, 401);
  assert.ok(!lines.some((l) => l.includes(ticket)), 'the ticket is not logged either');
});

test('a ticket expires after 30 s unused, and a removed account cannot use one', () => {
  let t = 0;
  const store = createTicketStore({ now: () => t });
  const subject = { id: 1, sessionKey: 'k' };
  const late = store.issue({ subject, tokenExpiresAt: 60_000 });
  const inTime = store.issue({ subject, tokenExpiresAt: 60_000 });
  t = 29_999;
  assert.deepEqual(store.redeem(inTime.ticket), { subject, tokenExpiresAt: 60_000 });
  t = 30_000;
  assert.equal(store.redeem(late.ticket), undefined);
});

test('a ticket of a user removed since is refused', async () => {
  const other = await server.user('gone', 'customer');
  const { ticket } = (await call(`${server.url}/api/ws-ticket`, { method: 'POST', token: other })).body as { ticket: string };
  await server.users.remove('gone');
  assert.equal((await open(`/ws?ticket=${ticket}`)).status, 401);
});
