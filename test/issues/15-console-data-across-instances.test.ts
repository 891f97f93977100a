// Issue #15 (with #16's console): on PostgreSQL, attachments, canned replies and batch
// corrections are shared by every `fmc serve`, not kept in the data dir of the machine that
// took them. Two real processes with different data dirs on one real PostgreSQL (test/pg).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { hashPassword } from '../../src/auth/passwords.js';
import { createTokenService } from '../../src/auth/tokens.js';
import type { ServerFrame } from '../../src/server/relay/protocol.js';
import { openDataDb } from '../../src/store/sqlite/data-db.js';
import type { Role } from '../../src/store/users.js';
import { openPgDatabase } from '../../src/store/pg/database.js';
import { createPgUserStore } from '../../src/store/pg/users.js';
import { cleanTweet } from '../../src/clean/clean-tweet.js';
import { FAKE_KEY, startFakeGemini } from '../fakes/gemini.js';
import { tempDir } from '../helpers.js';
import { fmc, isolatedEnv, serveFmc, type Served } from '../ops/helpers.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';
import { call } from '../server/helpers.js';
import { connectTo } from '../server/relay-pg-cluster.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const SECRET = randomBytes(48).toString('base64');
const MASTER_KEY = randomBytes(32).toString('base64');
const USERS: Record<string, Role> = { claire: 'customer', agent1: 'agent', root: 'admin' };

let pg: TestPostgres;
let temp: { dir: string; cleanup: () => void };
let a: Served;
let b: Served;
const tokens = new Map<string, string>();
const envOf = (name: string): NodeJS.ProcessEnv => ({
  ...isolatedEnv(join(temp.dir, name)),
  FMC_JWT_SECRET: SECRET,
  FMC_MASTER_KEY: MASTER_KEY,
  FMC_DATABASE_URL: pg.url,
  FMC_LOG_LEVEL: 'warn',
});

/**
 * The accounts, made once in PostgreSQL (where users live in this mode), and a token for
 * each (FMC_JWT_SECRET is shared, so one token works on every instance).
 */
async function createAccounts(): Promise<void> {
  const db = await openPgDatabase(pg.url);
  try {
    const users = createPgUserStore(db.pool, db.url);
    const hash = await hashPassword('correct horse battery');
    const issuer = createTokenService({ secret: SECRET, ttlSeconds: 3600 });
    for (const [username, role] of Object.entries(USERS)) tokens.set(username, (await issuer.issue(await users.add({ username, role, passwordHash: hash }))).token);
  } finally {
    await db.close();
  }
}

before(async () => {
  pg = await startPostgres();
  temp = tempDir('fmc-console-data-pg-');
  await createAccounts();
  // No HTTP rate limit: its counters are in PostgreSQL too, and the last test must reach these stores.
  a = await serveFmc(envOf('a'), ['--rate-limit', '0']);
  b = await serveFmc(envOf('b'), ['--rate-limit', '0']);
});
after(async () => {
  await Promise.all([a, b].filter(Boolean).map((s) => s.stop()));
  await pg?.destroy();
  temp?.cleanup();
});

const token = (name: string): string => tokens.get(name)!;
/** The customer's message with the file (first test), corrected in the third. */
let photo: { conversationId: string; seq: number } | undefined;

test('a file uploaded through A: shown live and on replay by B, downloaded through B byte for byte', async () => {
  const opened = await call(`${a.url}/api/conversations`, { method: 'POST', token: token('claire') });
  assert.equal(opened.status, 201, opened.text);
  const conversationId = (opened.body as { id: string }).id;

  const agentLive = await connectTo(b, token('agent1'));
  agentLive.send({ type: 'resume', conversationId, afterSeq: 0 });
  await agentLive.waitFor('resumed');

  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(PNG)], { type: 'image/png' }), 'photo box.png');
  const up = await fetch(`${a.url}/api/conversations/${conversationId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${token('claire')}` }, body: form });
  assert.equal(up.status, 201, await up.clone().text());
  const meta = (await up.json()) as { id: string; name: string; contentType: string; size: number };
  // Not yet sent: the agent on B does not see it.
  assert.equal((await call(`${b.url}/api/attachments/${meta.id}`, { token: token('agent1') })).status, 404);

  const customer = await connectTo(a, token('claire'));
  customer.send({ type: 'resume', conversationId, afterSeq: 0 });
  await customer.waitFor('resumed');
  customer.send({ type: 'send', conversationId, clientId: 'photo-1', text: 'voici la photo de ma box', attachmentId: meta.id });
  const ack = await customer.waitFor('ack');
  photo = { conversationId, seq: ack.seq };
  // Live on B: the message arrives with its file, never without it.
  const live = (await agentLive.waitFor('message', (f) => f.seq === ack.seq, 10_000)) as Extract<ServerFrame, { type: 'message' }>;
  assert.deepEqual(live.attachment, meta);

  const file = await fetch(`${b.url}/api/attachments/${meta.id}`, { headers: { authorization: `Bearer ${token('agent1')}` } });
  assert.equal(file.status, 200);
  assert.deepEqual(Buffer.from(await file.arrayBuffer()), PNG);
  assert.equal(file.headers.get('content-type'), 'image/png');
  assert.match(file.headers.get('content-disposition') ?? '', /^attachment; filename="photo box.png"/);

  // Replayed on B, to a socket that joins later, and in B's history.
  const replay = await connectTo(b, token('agent1'));
  replay.send({ type: 'resume', conversationId, afterSeq: 0 });
  const replayed = (await replay.waitFor('message', (f) => f.seq === ack.seq)) as Extract<ServerFrame, { type: 'message' }>;
  assert.deepEqual(replayed.attachment, meta);
  const history = await call(`${b.url}/api/conversations/${conversationId}/messages`, { token: token('agent1') });
  assert.deepEqual((history.body as { messages: { seq: number; attachment?: unknown }[] }).messages.find((m) => m.seq === ack.seq)?.attachment, meta);
  // The customer downloads it through B too; nothing of it is in either data dir.
  assert.equal((await call(`${b.url}/api/attachments/${meta.id}`, { token: token('claire') })).status, 200);
  for (const name of ['a', 'b']) {
    const data = openDataDb(join(temp.dir, name, 'data'));
    try {
      assert.equal(data.db.prepare('SELECT count(*) FROM attachments').pluck().get(), 0, `data dir ${name}`);
    } finally {
      data.close();
    }
  }
  for (const client of [agentLive, customer, replay]) await client.close();
});

test('a canned reply added on A, or with fmc replies add --database-url, is offered on B', async () => {
  const added = await call(`${a.url}/api/replies`, { method: 'POST', token: token('root'), json: { shortcut: 'delai', title: 'Délai', body: 'Comptez 48 heures pour la mise en service.' } });
  assert.equal(added.status, 201, added.text);
  const cli = await fmc(['replies', 'add', 'box-bloquee', '--title', 'Box bloquée', '--database-url', pg.url, 'Que dit l’afficheur de votre Freebox ?'], { ...envOf('cli'), FMC_DATABASE_URL: '' });
  assert.equal(cli.code, 0, cli.stderr);

  const listed = await call(`${b.url}/api/replies`, { token: token('agent1') });
  assert.equal(listed.status, 200, listed.text);
  const replies = (listed.body as { replies: { shortcut: string; title: string; body: string; createdBy: string }[] }).replies;
  assert.deepEqual(
    replies.filter((r) => r.shortcut === 'delai' || r.shortcut === 'box-bloquee').map((r) => [r.shortcut, r.title, r.createdBy === 'root']),
    [['box-bloquee', 'Box bloquée', false], ['delai', 'Délai', true]],
  );
  assert.ok(replies.some((r) => r.shortcut === 'panne'), 'the seeded ones too');
  // Taken through B: refused, as on one instance.
  const again = await call(`${b.url}/api/replies`, { method: 'POST', token: token('root'), json: { shortcut: 'delai', body: 'autre' } });
  assert.equal(again.status, 409);
  const removed = await call(`${b.url}/api/replies/delai`, { method: 'DELETE', token: token('root') });
  assert.equal(removed.status, 200);
  const list = await fmc(['replies', 'list', '--json'], envOf('cli'));
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual((JSON.parse(list.stdout) as { shortcut: string }[]).filter((r) => r.shortcut === 'delai' || r.shortcut === 'box-bloquee').map((r) => r.shortcut), ['box-bloquee']);
});

test('a batch correction saved on A: listed by B, exported and counted by fmc corrections --database-url', async () => {
  const TEXT = 'ma facture est fausse, prélevé deux fois';
  const saved = await call(`${a.url}/api/corrections`, { method: 'POST', token: token('agent1'), json: { text: TEXT, labels: { urgency: 'high', topic: 'billing' } } });
  assert.equal(saved.status, 201, saved.text);
  const id = (saved.body as { id: number }).id;
  // And a chat correction through B, of the customer's message classified on A.
  assert.ok(photo, 'the first test stored the message');
  for (let i = 0; ; i++) {
    const history = await call(`${b.url}/api/conversations/${photo.conversationId}/messages`, { token: token('agent1') });
    if ((history.body as { messages: { seq: number; labels?: unknown }[] }).messages.find((m) => m.seq === photo!.seq)?.labels) break;
    assert.ok(i < 100, 'the message was classified');
    await new Promise((r) => setTimeout(r, 100));
  }
  const chat = await call(`${b.url}/api/corrections`, { method: 'POST', token: token('agent1'), json: { ...photo, labels: { topic: 'customer_service' } } });
  assert.equal(chat.status, 201, chat.text);

  const onB = await call(`${b.url}/api/admin/corrections`, { token: token('root') });
  assert.equal(onB.status, 200, onB.text);
  assert.deepEqual(
    (onB.body as { corrections: { id: number; text: string; source: string }[] }).corrections.map((c) => [c.id, c.text, c.source]),
    [[(chat.body as { id: number }).id, 'voici la photo de ma box', 'chat'], [id, TEXT, 'batch']],
    'newest first, the chat text decrypted',
  );

  // From a third machine: no data dir of either instance, only the database URL.
  const exported = await fmc(['corrections', 'export', '-o', '-', '--database-url', pg.url], { ...envOf('cli'), FMC_DATABASE_URL: '' });
  assert.equal(exported.code, 0, exported.stderr);
  const rows = parse(exported.stdout, { columns: true }) as Record<string, string>[];
  assert.deepEqual(
    rows.map((r) => [r.text, r.urgency, r.topic, r.source, r.corrected_by]),
    [[TEXT, 'high', 'billing', 'batch', 'agent1'], ['voici la photo de ma box', rows[1]!.original_urgency, 'customer_service', 'chat', 'agent1']],
    'the chat text decrypted with FMC_MASTER_KEY',
  );
  // Without the instances' master key: refused, naming it; no key of its own made here.
  const keyless = await fmc(['corrections', 'export', '-o', '-'], { ...envOf('cli'), FMC_MASTER_KEY: '' });
  assert.notEqual(keyless.code, 0);
  assert.match(keyless.stderr, /FMC_MASTER_KEY.*\[FMC_ERR_KEYS\]/);
  assert.equal(existsSync(join(temp.dir, 'cli', 'data', 'master-key')), false);
  const stats = await fmc(['corrections', 'stats', '--json'], envOf('cli'));
  assert.equal(stats.code, 0, stats.stderr);
  assert.equal((JSON.parse(stats.stdout) as { total: number }).total, 2);

  // Without the database, the data dir's own (empty) list: nothing was kept there.
  const local = await fmc(['corrections', 'stats', '--json'], { ...envOf('a'), FMC_DATABASE_URL: '' });
  assert.equal((JSON.parse(local.stdout) as { total: number }).total, 0, local.stderr);

  // An instance started now on a third data dir puts it in its LLM tier's examples: the
  // corrected text, classified again, finds itself as the prompt's nearest example.
  const gemini = await startFakeGemini();
  const c = await serveFmc({ ...envOf('c'), GEMINI_API_KEY: FAKE_KEY, GEMINI_BASE_URL: gemini.url }, ['--provider', 'gemini', '--no-cache', '--model-dir', join(temp.dir, 'no-model')]);
  try {
    const classified = await call(`${c.url}/api/classify`, { method: 'POST', token: token('agent1'), json: { texts: [TEXT] } });
    assert.equal(classified.status, 200, classified.text);
    assert.equal(gemini.calls.length, 1, 'one Gemini request');
    const s = gemini.calls[0]!.body.systemInstruction as { parts?: { text?: string }[] } | string;
    const system = typeof s === 'string' ? s : s.parts!.map((p) => p.text).join('');
    const nearest = system.split('Exemples:\n')[1]!.split('\n')[0]!.split(' -> ') as [string, string];
    assert.equal(JSON.parse(nearest[0]), cleanTweet(TEXT).text);
    assert.deepEqual(JSON.parse(nearest[1]), { ...JSON.parse(nearest[1]), urgency: 'high', topic: 'billing' });
  } finally {
    await c.stop();
    await gemini.close();
  }
});

test('fmc replies and fmc corrections name the database when it cannot be reached: one line, exit 2', async () => {
  const url = 'postgres://fmc@127.0.0.1:1/fmc';
  for (const args of [['replies', 'list'], ['corrections', 'export', '-o', '-']]) {
    const r = await fmc([...args, '--database-url', url], envOf('cli'));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /FMC_ERR_DB_UNAVAILABLE|refused the connection/);
    assert.match(r.stderr, /127\.0\.0\.1:1/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('PostgreSQL stops: replies, corrections and files answer 503 FMC_ERR_DB_UNAVAILABLE, and work again once it is back', async () => {
  await pg.stop();
  try {
    const checks = [
      call(`${b.url}/api/replies`, { token: token('agent1') }),
      call(`${b.url}/api/admin/corrections`, { token: token('root') }),
      call(`${b.url}/api/attachments/${'A'.repeat(22)}`, { token: token('agent1') }),
    ];
    for (const r of await Promise.all(checks)) {
      assert.equal(r.status, 503, r.text);
      assert.equal((r.body as { error: { code: string } }).error.code, 'FMC_ERR_DB_UNAVAILABLE');
    }
  } finally {
    await pg.start();
  }
  let listed;
  for (let i = 0; i < 50; i++) {
    listed = await call(`${b.url}/api/replies`, { token: token('agent1') });
    if (listed.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(listed!.status, 200, listed!.text);
});
