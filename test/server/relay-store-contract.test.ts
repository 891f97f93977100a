// One contract for the relay's storage seam (RelayStore), run against both backends: the
// SQLite data DB (the embedded default) and PostgreSQL (a real server from test/pg).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { openSqliteCorrections } from '../../src/store/sqlite/corrections.js';
import { toLabelResult, type LabelResult } from '../../src/labels.js';
import { createKeyring, openKeyring } from '../../src/server/relay/keyring.js';
import { openPgKeyring } from '../../src/server/relay/pg/keyring.js';
import { createPgRelayStore } from '../../src/server/relay/pg/store.js';
import { warmRelayConnection } from '../../src/server/relay/pg/warm.js';
import { sqliteRelayStore, type RelayStore } from '../../src/server/relay/relay-store.js';
import { createConversationStore, type Sender } from '../../src/server/relay/store.js';
import { openPgDatabase, type PgDatabase } from '../../src/store/pg/database.js';
import { openDataDb } from '../../src/store/sqlite/data-db.js';
import { createUserStore } from '../../src/store/sqlite/users.js';
import type { User } from '../../src/store/users.js';
import { tempDir } from '../helpers.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';

interface Backend {
  readonly store: RelayStore;
  customer(name: string): Promise<User>;
  agent(name: string): Promise<User>;
  close(): Promise<void>;
}

// Through the validator, so a field not every answer carries gets its fallback (labels.ts).
const labels = (urgency: LabelResult['urgency'], claim: boolean): LabelResult =>
  toLabelResult({ is_claim: claim, sentiment: 'negative', topic: 'fibre', incident: 'outage', urgency, confidence: 0.9 }, 'rules')!;

function sqliteBackend(): Backend {
  const temp = tempDir('fmc-relay-contract-');
  const data = openDataDb(join(temp.dir, 'data'));
  const users = createUserStore(data.db);
  const keyring = openKeyring(data.db, { kind: 'env', key: randomBytes(32) });
  const lastSeq = data.db.prepare('SELECT last_seq FROM conversations WHERE id = ?').pluck();
  const store = sqliteRelayStore(createConversationStore(data.db, keyring), openSqliteCorrections(data.db, () => keyring), (id) => lastSeq.get(id) as number);
  const add = (name: string, role: 'customer' | 'agent'): Promise<User> => users.add({ username: name, role, passwordHash: 'x' });
  return {
    store,
    customer: (name) => add(name, 'customer'),
    agent: (name) => add(name, 'agent'),
    async close() {
      data.close();
      temp.cleanup();
    },
  };
}

let pgServer: TestPostgres | undefined;
let pgUserId = 0;
async function pgBackend(): Promise<{ backend: Backend; db: PgDatabase }> {
  pgServer ??= await startPostgres();
  // Warmed as `fmc serve` warms its pool: the store's statements then run on connections that
  // already prepared them under the same names.
  const db = await openPgDatabase(pgServer.url, { warm: warmRelayConnection });
  const keyring = await openPgKeyring(db.pool, { kind: 'env', key: CONTRACT_KEY });
  const store = createPgRelayStore(db.pool, keyring, { url: db.url, instance: 'contract' });
  const user = async (name: string, role: 'customer' | 'agent'): Promise<User> => ({ id: ++pgUserId, username: name, role, createdAt: new Date().toISOString() });
  return {
    db,
    backend: { store, customer: (name) => user(name, 'customer'), agent: (name) => user(name, 'agent'), close: () => db.close() },
  };
}
const CONTRACT_KEY = randomBytes(32);

after(async () => {
  await pgServer?.destroy();
});

const sender = (user: User): Sender => ({ id: user.id, username: user.username, role: user.role });

/** The text of every statement sent through `pool.query` until `stop()` (the store's batched reads and writes go that way). */
function recordStatements(pool: pg.Pool): { statements: string[]; stop(): void } {
  const statements: string[] = [];
  const query = pool.query.bind(pool);
  (pool as unknown as { query: (q: unknown, v?: unknown) => unknown }).query = (q: unknown, v?: unknown) => {
    statements.push(typeof q === 'string' ? q : (q as { text: string }).text);
    return query(q as string, v as unknown[]);
  };
  return { statements, stop: () => void ((pool as unknown as { query: unknown }).query = query) };
}

function contract(name: string, open: () => Promise<Backend>): void {
  describe(`RelayStore contract: ${name}`, () => {
    let b: Backend;
    before(async () => {
      b = await open();
    });
    after(async () => {
      await b.close();
    });

    test('create, head, summary; append gives seq 1, 2, 3; after pages in order; text round-trips', async () => {
      const alice = await b.customer(`alice-${name}`);
      const c = await b.store.create(alice);
      assert.equal(c.status, 'open');
      assert.equal(c.lastSeq, 0);
      assert.deepEqual(c.customer, { id: alice.id, username: alice.username });
      assert.deepEqual(await b.store.head(c.id), { customerId: alice.id, status: 'open', lastSeq: 0 });
      for (const [i, text] of ['bonjour', 'ma box ne marche plus', 'é 🙂 "quotes"'].entries()) {
        const r = await b.store.append({ conversationId: c.id, sender: sender(alice), clientId: `c${i}`, text });
        assert.equal(r?.duplicate, false);
        assert.equal(r?.message.seq, i + 1);
        assert.equal(r?.message.text, text);
      }
      assert.equal((await b.store.head(c.id))?.lastSeq, 3);
      const all = await b.store.after(c.id, 0, 10);
      assert.deepEqual(all.map((m) => [m.seq, m.text, m.sender.username]), [[1, 'bonjour', alice.username], [2, 'ma box ne marche plus', alice.username], [3, 'é 🙂 "quotes"', alice.username]]);
      assert.deepEqual((await b.store.after(c.id, 1, 1)).map((m) => m.seq), [2]);
      assert.deepEqual(await b.store.after(c.id, 3, 10), []);
      assert.equal((await b.store.summary(c.id))?.lastSeq, 3);
      assert.equal(await b.store.head('no-such-conversation'), undefined);
      assert.equal(await b.store.summary('no-such-conversation'), undefined);
    });

    test('a repeated clientId is the same message (duplicate), per sender; existing finds it', async () => {
      const bob = await b.customer(`bob-${name}`);
      const agent = await b.agent(`agent-${name}`);
      const c = await b.store.create(bob);
      const first = await b.store.append({ conversationId: c.id, sender: sender(bob), clientId: 'same', text: 'un' });
      const again = await b.store.append({ conversationId: c.id, sender: sender(bob), clientId: 'same', text: 'un' });
      assert.equal(again?.duplicate, true);
      assert.equal(again?.message.seq, first?.message.seq);
      assert.equal(again?.message.id, first?.message.id);
      const other = await b.store.append({ conversationId: c.id, sender: sender(agent), clientId: 'same', text: 'deux' });
      assert.equal(other?.duplicate, false);
      assert.equal(other?.message.seq, 2);
      assert.deepEqual(await b.store.existing(c.id, bob.id, 'same'), { seq: 1, id: first!.message.id });
      assert.equal(await b.store.existing(c.id, bob.id, 'never'), undefined);
    });

    test('messageTimes: every message since a time, who sent it (staff or not) and when, for the admin statistics', async () => {
      const dora = await b.customer(`dora-${name}`);
      const agent = await b.agent(`agent2-${name}`);
      const c = await b.store.create(dora);
      const since = Date.now() - 1;
      const one = await b.store.append({ conversationId: c.id, sender: sender(dora), clientId: 't1', text: 'allo' });
      const two = await b.store.append({ conversationId: c.id, sender: sender(agent), clientId: 't2', text: 'bonjour' });
      const mine = (await b.store.messageTimes(since)).filter((m) => m.conversationId === c.id);
      assert.deepEqual(mine.sort((x, y) => x.at - y.at || Number(x.staff) - Number(y.staff)).map((m) => m.staff), [false, true]);
      assert.deepEqual(mine.map((m) => m.at).sort(), [Date.parse(one!.message.createdAt), Date.parse(two!.message.createdAt)].sort());
      assert.deepEqual((await b.store.messageTimes(Date.now() + 60_000)).filter((m) => m.conversationId === c.id), []);
    });

    test('close: true once, then false; a closed or unknown conversation takes no message', async () => {
      const carol = await b.customer(`carol-${name}`);
      const c = await b.store.create(carol);
      assert.equal(await b.store.close(c.id), true);
      assert.equal(await b.store.close(c.id), false);
      assert.equal((await b.store.head(c.id))?.status, 'closed');
      assert.equal(await b.store.append({ conversationId: c.id, sender: sender(carol), clientId: 'x', text: 'trop tard' }), undefined);
      assert.equal(await b.store.append({ conversationId: 'nope', sender: sender(carol), clientId: 'x', text: 'où ?' }), undefined);
    });

    test('50 concurrent appends on one conversation: seqs 1..50, each once', async () => {
      const dan = await b.customer(`dan-${name}`);
      const c = await b.store.create(dan);
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => b.store.append({ conversationId: c.id, sender: sender(dan), clientId: `k${i}`, text: `m${i}` })));
      assert.deepEqual(results.map((r) => r!.message.seq).sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i + 1));
      const stored = await b.store.after(c.id, 0, 100);
      assert.deepEqual(stored.map((m) => m.seq), Array.from({ length: 50 }, (_, i) => i + 1));
    });

    test('labels fold into the triage; a correction recomputes it (and may lower it); list orders by open urgency', async () => {
      const erin = await b.customer(`erin-${name}`);
      const agent = await b.agent(`fixer-${name}`);
      const calm = await b.store.create(erin);
      const hot = await b.store.create(erin);
      await b.store.append({ conversationId: hot.id, sender: sender(erin), clientId: 'a', text: 'plus rien ne marche' });
      await b.store.append({ conversationId: hot.id, sender: sender(erin), clientId: 'b', text: 'vraiment rien' });
      await b.store.setLabels(hot.id, 1, labels('high', true));
      await b.store.setLabels(hot.id, 2, labels('low', false));
      const [first] = await b.store.after(hot.id, 0, 1);
      assert.equal(first?.labels?.urgency, 'high');
      assert.equal(first?.labels?.provider, 'rules');
      let summary = await b.store.summary(hot.id);
      assert.equal(summary?.urgency, 'high');
      assert.equal(summary?.claim, true);
      const own = await b.store.list({ customerId: erin.id, closedLimit: 10 });
      assert.deepEqual(own.map((s) => s.id), [hot.id, calm.id]);
      const correction = await b.store.correctChat(
        { conversationId: hot.id, seq: 1, text: 'plus rien ne marche', user: agent, original: labels('high', true), corrected: labels('low', false), version: 'v1' },
        labels('low', false),
      );
      assert.equal(correction.source, 'chat');
      assert.equal(correction.correctedBy, agent.username);
      assert.equal(correction.labels.urgency, 'low');
      assert.equal(correction.original?.urgency, 'high');
      summary = await b.store.summary(hot.id);
      assert.equal(summary?.urgency, 'low');
      assert.equal(summary?.claim, false);
      assert.equal((await b.store.after(hot.id, 0, 1))[0]?.labels?.urgency, 'low');
    });

    test('version: one more at every change of the conversation (message, labels, state, owner, close), whoever writes it', async () => {
      const gus = await b.customer(`gus-${name}`);
      const agent = await b.agent(`owner-${name}`);
      const c = await b.store.create(gus);
      const versions = [c.version];
      const now = async (): Promise<void> => void versions.push((await b.store.summary(c.id))!.version);
      await b.store.append({ conversationId: c.id, sender: sender(gus), clientId: 'v1', text: "plus d'internet" });
      await now();
      await b.store.setLabels(c.id, 1, labels('high', true));
      await now();
      await b.store.setState(c.id, 'pending');
      await now();
      await b.store.assign(c.id, { id: agent.id, username: agent.username });
      await now();
      await b.store.close(c.id);
      await now();
      for (let i = 1; i < versions.length; i++) assert.ok(versions[i]! > versions[i - 1]!, `versions ${versions.join(', ')}`);
      const listed = (await b.store.list({ customerId: gus.id, closedLimit: 10 })).find((s) => s.id === c.id);
      assert.equal(listed?.version, versions.at(-1));
    });

    test('list: every open conversation, then at most closedLimit closed ones, most recent first', async () => {
      const fay = await b.customer(`fay-${name}`);
      const open = await b.store.create(fay);
      const closed = [];
      for (let i = 0; i < 3; i++) {
        const c = await b.store.create(fay);
        await new Promise((r) => setTimeout(r, 2));
        await b.store.close(c.id);
        closed.push(c.id);
      }
      const mine = await b.store.list({ customerId: fay.id, closedLimit: 2 });
      assert.deepEqual(mine.map((s) => s.id), [open.id, closed[2], closed[1]]);
      const all = await b.store.list({ closedLimit: 1 });
      assert.ok(all.some((s) => s.id === open.id));
      assert.equal(all.filter((s) => s.status === 'closed').length, 1);
    });
  });
}

contract('sqlite', async () => sqliteBackend());

let pgDb: PgDatabase | undefined;
contract('postgresql', async () => {
  const { backend, db } = await pgBackend();
  pgDb = db;
  return backend;
});

describe('PostgreSQL only', () => {
  test('a rollback after the seq was taken (the insert fails) leaves no gap: the next message gets that seq', async () => {
    const { backend, db } = await pgBackend();
    try {
      const user: User = { id: 9001, username: 'rollback', role: 'customer', createdAt: new Date().toISOString() };
      const c = await backend.store.create(user);
      await backend.store.append({ conversationId: c.id, sender: sender(user), clientId: 'ok-1', text: 'un' });
      // A fault inside the send's transaction, after last_seq was raised: PostgreSQL rolls it all back.
      await db.pool.query(`CREATE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$;
        CREATE TRIGGER fail_marked BEFORE INSERT ON messages FOR EACH ROW WHEN (NEW.client_id = 'fail-me') EXECUTE FUNCTION fail_insert();`);
      await assert.rejects(backend.store.append({ conversationId: c.id, sender: sender(user), clientId: 'fail-me', text: 'deux' }), /disk on fire/);
      assert.equal((await backend.store.head(c.id))?.lastSeq, 1);
      const next = await backend.store.append({ conversationId: c.id, sender: sender(user), clientId: 'ok-2', text: 'deux' });
      assert.equal(next?.message.seq, 2);
      assert.deepEqual((await backend.store.after(c.id, 0, 10)).map((m) => [m.seq, m.text]), [[1, 'un'], [2, 'deux']]);
      await db.pool.query('DROP TRIGGER fail_marked ON messages; DROP FUNCTION fail_insert()');
    } finally {
      await backend.close();
    }
  });

  test('a send the database refuses for what it holds (a NUL in its clientId) fails alone: the sends batched with it in that turn are stored', async () => {
    const { backend, db } = await pgBackend();
    try {
      const users = [9201, 9202, 9203].map((id): User => ({ id, username: `batch-${id}`, role: 'customer', createdAt: new Date().toISOString() }));
      const conversations = await Promise.all(users.map((u) => backend.store.create(u)));
      const input = (k: number, clientId: string) => ({ conversationId: conversations[k]!.id, sender: sender(users[k]!), staff: false, clientId, text: `message ${k}` });
      const recorder = recordStatements(db.pool);
      // One turn: the three go to PostgreSQL as one batched statement first.
      const outcomes = await Promise.allSettled([backend.store.send!(input(0, 'ok-0')), backend.store.send!(input(1, 'bad-\u0000')), backend.store.send!(input(2, 'ok-2'))]);
      recorder.stop();
      assert.ok(recorder.statements.some((q) => q.includes('relay_write_many')), 'the three were batched');
      assert.equal(outcomes[0]!.status === 'fulfilled' && outcomes[0].value.kind, 'stored');
      assert.equal(outcomes[1]!.status, 'rejected');
      assert.equal(outcomes[2]!.status === 'fulfilled' && outcomes[2].value.kind, 'stored');
      assert.deepEqual((await backend.store.after(conversations[0]!.id, 0, 10)).map((m) => m.text), ['message 0']);
      assert.deepEqual(await backend.store.after(conversations[1]!.id, 0, 10), []);
      assert.deepEqual((await backend.store.after(conversations[2]!.id, 0, 10)).map((m) => m.text), ['message 2']);
    } finally {
      await backend.close();
    }
  });

  test('send, one round trip: not visible, duplicate (even once closed), closed, over budget, stored; the budget is the shared one', async () => {
    const { backend, db } = await pgBackend();
    // A second instance on the same database: its guesses of the next seq go stale.
    const other = createPgRelayStore(db.pool, await openPgKeyring(db.pool, { kind: 'env', key: CONTRACT_KEY }), { url: db.url, instance: 'other', rate: { burst: 2, perSecond: 0.001 } });
    try {
      const owner: User = { id: 9101, username: 'owner', role: 'customer', createdAt: new Date().toISOString() };
      const stranger: User = { id: 9102, username: 'stranger', role: 'customer', createdAt: new Date().toISOString() };
      const agent: User = { id: 9103, username: 'agent-send', role: 'agent', createdAt: new Date().toISOString() };
      const c = await backend.store.create(owner);
      const input = (user: User, clientId: string, text: string) => ({ conversationId: c.id, sender: sender(user), staff: user.role !== 'customer', clientId, text });
      assert.deepEqual(await other.send!({ ...input(owner, 'x', 'où ?'), conversationId: 'nope' }), { kind: 'missing' });
      assert.deepEqual(await other.send!(input(stranger, 'x', 'pas à moi')), { kind: 'missing' });
      // Interleaved with appends through the first store: each send seals for a stale seq at times.
      await backend.store.append({ conversationId: c.id, sender: sender(agent), clientId: 'a1', text: 'bonjour' });
      const before = (await backend.store.summary(c.id))!.version;
      const first = await other.send!(input(owner, 'k1', 'ma box clignote'));
      assert.equal(first.kind, 'stored');
      assert.ok((await backend.store.summary(c.id))!.version > before, 'the one-statement send moves the version too');
      assert.equal(first.kind === 'stored' && first.message.seq, 2);
      await backend.store.append({ conversationId: c.id, sender: sender(agent), clientId: 'a2', text: 'redémarrez-la' });
      const second = await other.send!(input(owner, 'k2', 'toujours rien'));
      assert.equal(second.kind === 'stored' && second.message.seq, 4);
      // Burst 2, refilled at 0.001/s: the third is refused, and says when to come back.
      const third = await other.send!(input(owner, 'k3', 'allô ?'));
      assert.equal(third.kind, 'limited');
      assert.ok(third.kind === 'limited' && third.waitMs > 900_000);
      // A retry of a stored clientId is acknowledged again, budget spent or not, closed or not.
      assert.deepEqual(await other.send!(input(owner, 'k2', 'toujours rien')), { kind: 'duplicate', seq: 4, id: second.kind === 'stored' ? second.message.id : -1 });
      await backend.store.close(c.id);
      assert.deepEqual(await other.send!(input(agent, 'k9', 'trop tard')), { kind: 'closed' });
      assert.equal((await other.send!(input(owner, 'k1', 'ma box clignote'))).kind, 'duplicate');
      assert.deepEqual((await backend.store.after(c.id, 0, 10)).map((m) => [m.seq, m.text]), [[1, 'bonjour'], [2, 'ma box clignote'], [3, 'redémarrez-la'], [4, 'toujours rien']]);
      // The same bucket row as the step-by-step limiter (pg/rate-limit.ts).
      const bucket = await db.pool.query<{ tokens: number }>('SELECT tokens FROM message_buckets WHERE user_id = $1', [owner.id]);
      assert.ok(bucket.rows[0]!.tokens < 1);
    } finally {
      await backend.close();
    }
  });

  test('two instances sending and labelling one conversation at once: seqs 1..60 each once, text intact, triage from every label', async () => {
    const { backend, db } = await pgBackend();
    const keyring = await openPgKeyring(db.pool, { kind: 'env', key: CONTRACT_KEY });
    const stores = [backend.store, createPgRelayStore(db.pool, keyring, { url: db.url, instance: 'b' }), createPgRelayStore(db.pool, keyring, { url: db.url, instance: 'c' })];
    try {
      const user: User = { id: 9201, username: 'busy', role: 'customer', createdAt: new Date().toISOString() };
      const c = await backend.store.create(user);
      const sent = await Promise.all(
        Array.from({ length: 60 }, (_, i) => stores[i % 3]!.send!({ conversationId: c.id, sender: sender(user), staff: false, clientId: `m${i}`, text: `message ${i}` })),
      );
      const seqs = sent.map((r) => (r.kind === 'stored' ? r.message.seq : -1));
      assert.deepEqual([...seqs].sort((a, b) => a - b), Array.from({ length: 60 }, (_, i) => i + 1));
      const stored = await backend.store.after(c.id, 0, 100);
      for (const [i, seq] of seqs.entries()) assert.equal(stored[seq - 1]!.text, `message ${i}`);
      // Labels from all three at once: each merge is checked against the triage it started from.
      const topics = ['fibre', 'mobile', 'tv'] as const;
      await Promise.all(
        stored.map((m, i) => stores[i % 3]!.setLabels(c.id, m.seq, { ...labels(i === 41 ? 'high' : 'low', i === 7), topic: topics[i % 3]! } as LabelResult)),
      );
      const summary = await backend.store.summary(c.id);
      assert.equal(summary?.urgency, 'high');
      assert.equal(summary?.claim, true);
      assert.deepEqual([...(summary?.topics ?? [])].sort(), ['fibre', 'mobile', 'tv']);
      assert.ok((await backend.store.after(c.id, 0, 100)).every((m) => m.labels));
    } finally {
      await backend.close();
    }
  });

  test('writes to several conversations in one turn go as one statement, one outcome each; a guess made stale by two messages is stored at once', async () => {
    const { backend, db } = await pgBackend();
    const other = createPgRelayStore(db.pool, await openPgKeyring(db.pool, { kind: 'env', key: CONTRACT_KEY }), { url: db.url, instance: 'w' });
    try {
      const owner: User = { id: 9401, username: 'many', role: 'customer', createdAt: new Date().toISOString() };
      const stranger: User = { id: 9402, username: 'notmine', role: 'customer', createdAt: new Date().toISOString() };
      const [c1, c2, c3, c4] = [await backend.store.create(owner), await backend.store.create(owner), await backend.store.create(owner), await backend.store.create(owner)];
      await backend.store.close(c4.id);
      await backend.store.append({ conversationId: c2.id, sender: sender(owner), clientId: 'b1', text: 'deux' });
      const input = (conversationId: string, user: User, clientId: string, text: string) => ({ conversationId, sender: sender(user), staff: false, clientId, text });
      // `other` learns that c1 is written from elsewhere (its first guess goes stale).
      await other.head(c1.id);
      await other.head(c2.id);
      await backend.store.append({ conversationId: c1.id, sender: sender(owner), clientId: 'a1', text: 'un' });
      const k0 = await other.send!(input(c1.id, owner, 'k0', 'zéro'));
      assert.equal(k0.kind === 'stored' && k0.message.seq, 2);
      // Two more from elsewhere: other's guess (3) is two behind.
      await backend.store.append({ conversationId: c1.id, sender: sender(owner), clientId: 'a3', text: 'trois' });
      await backend.store.append({ conversationId: c1.id, sender: sender(owner), clientId: 'a4', text: 'quatre' });
      const { statements, stop } = recordStatements(db.pool);
      let labelled: unknown;
      const [k1, stray, late] = await Promise.all([
        other.send!(input(c1.id, owner, 'k1', 'cinq')),
        other.send!(input(c3.id, stranger, 'x', 'pas à moi')),
        other.send!(input(c4.id, owner, 'k4', 'trop tard')),
        other.setLabels(c2.id, 1, labels('high', true)).then((x) => (labelled = x ?? 'done')),
      ]);
      stop();
      assert.equal(statements.length, 1, statements.join('\n'));
      assert.match(statements[0]!, /relay_write_many/);
      assert.equal(k1.kind === 'stored' && k1.message.seq, 5);
      assert.deepEqual(stray, { kind: 'missing' });
      assert.deepEqual(late, { kind: 'closed' });
      assert.equal(labelled, 'done');
      // Each text opens under the seq it was stored at (the AAD binds it).
      assert.deepEqual((await backend.store.after(c1.id, 0, 10)).map((m) => [m.seq, m.text]), [[1, 'un'], [2, 'zéro'], [3, 'trois'], [4, 'quatre'], [5, 'cinq']]);
      assert.equal((await backend.store.summary(c2.id))?.urgency, 'high');
    } finally {
      await backend.close();
    }
  });

  test('labels that change nothing keep the triage ciphertext: another instance labelling next is stored at once, not retried; labels that raise it still do', async () => {
    const { backend, db } = await pgBackend();
    const other = createPgRelayStore(db.pool, await openPgKeyring(db.pool, { kind: 'env', key: CONTRACT_KEY }), { url: db.url, instance: 'l2' });
    try {
      const user: User = { id: 9501, username: 'same', role: 'customer', createdAt: new Date().toISOString() };
      const c = await backend.store.create(user);
      for (let i = 1; i <= 4; i++) await backend.store.append({ conversationId: c.id, sender: sender(user), clientId: `t${i}`, text: `texte ${i}` });
      const triage = async (): Promise<{ triage: Buffer; version: string }> => (await db.pool.query('SELECT triage, version FROM conversations WHERE id = $1', [c.id])).rows[0];
      await backend.store.setLabels(c.id, 1, labels('low', false));
      // `other` reads the conversation (its copy of the triage is the current one).
      await other.head(c.id);
      const first = await triage();
      // The same urgency, claim and topic: nothing to raise; the row is written (version) with the same bytes.
      await backend.store.setLabels(c.id, 2, labels('low', false));
      const second = await triage();
      assert.ok(second.triage.equals(first.triage), 'an unchanged triage is not sealed anew');
      assert.ok(Number(second.version) > Number(first.version));
      const { statements, stop } = recordStatements(db.pool);
      // Its copy is still right: one statement, no 'retry'.
      await other.setLabels(c.id, 3, labels('high', true));
      stop();
      assert.equal(statements.length, 1, statements.join('\n'));
      const third = await triage();
      assert.ok(!third.triage.equals(second.triage), 'a raised triage is sealed anew');
      await backend.store.setLabels(c.id, 4, labels('low', false));
      const summary = await backend.store.summary(c.id);
      assert.deepEqual([summary?.urgency, summary?.claim, summary?.topics], ['high', true, ['fibre']]);
      assert.deepEqual((await backend.store.after(c.id, 0, 10)).map((m) => m.labels?.urgency), ['low', 'low', 'high', 'low']);
    } finally {
      await backend.close();
    }
  });

  test('reads and summaries asked for in one turn go as one statement, and each gets its own conversation, range and limit', async () => {
    const { backend } = await pgBackend();
    try {
      const user: User = { id: 9301, username: 'reader', role: 'customer', createdAt: new Date().toISOString() };
      const [c1, c2] = [await backend.store.create(user), await backend.store.create(user)];
      for (let i = 1; i <= 5; i++) {
        await backend.store.append({ conversationId: c1.id, sender: sender(user), clientId: `a${i}`, text: `un ${i}` });
        await backend.store.append({ conversationId: c2.id, sender: sender(user), clientId: `b${i}`, text: `deux ${i}` });
      }
      await backend.store.setLabels(c2.id, 4, labels('high', true));
      // Asked together, without an await between them: one batch.
      const [all1, tail1, two2, none, unknown] = await Promise.all([
        backend.store.after(c1.id, 0, 100),
        backend.store.after(c1.id, 3, 100),
        backend.store.after(c2.id, 2, 2),
        backend.store.after(c2.id, 5, 10),
        backend.store.after('nope', 0, 10),
      ]);
      assert.deepEqual(all1.map((m) => m.text), ['un 1', 'un 2', 'un 3', 'un 4', 'un 5']);
      assert.deepEqual(tail1.map((m) => m.seq), [4, 5]);
      assert.deepEqual(two2.map((m) => [m.seq, m.text, m.labels?.urgency ?? null]), [[3, 'deux 3', null], [4, 'deux 4', 'high']]);
      assert.deepEqual(none, []);
      assert.deepEqual(unknown, []);
      // Summaries likewise (the watchers' updates).
      const summaries = await Promise.all([backend.store.summary(c2.id), backend.store.summary(c1.id), backend.store.summary('nope'), backend.store.summary(c2.id)]);
      assert.deepEqual(
        summaries.map((x) => x && [x.id, x.lastSeq, x.urgency]),
        [[c2.id, 5, 'high'], [c1.id, 5, null], undefined, [c2.id, 5, 'high']],
      );
    } finally {
      await backend.close();
    }
  });

  test('text, labels and triage are ciphertext in the tables; a wrong master key is refused by name', async () => {
    const { backend, db } = await pgBackend();
    try {
      const user: User = { id: 9002, username: 'secret', role: 'customer', createdAt: new Date().toISOString() };
      const c = await backend.store.create(user);
      await backend.store.append({ conversationId: c.id, sender: sender(user), clientId: 's', text: 'mon code secret 4242' });
      const dump = await db.pool.query("SELECT string_agg(encode(body, 'escape'), '') AS b FROM messages");
      assert.doesNotMatch(String(dump.rows[0].b), /4242/);
      await assert.rejects(openPgKeyring(db.pool, { kind: 'env', key: randomBytes(32) }), (err: Error) => /is not the one the conversations were encrypted under/.test(err.message));
      assert.ok(createKeyring(CONTRACT_KEY).masterKeyId);
    } finally {
      await backend.close();
    }
  });
});
void pgDb;
