// One contract per seam, two backends: canned replies, corrections and attachments against the
// SQLite data DB and a real PostgreSQL (test/pg). What one backend does, the other does alike.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AttachmentStore } from '../../src/attachments/store.js';
import type { CorrectionStore } from '../../src/corrections/store.js';
import { toLabelResult, toScoredLabels, type LabelResult } from '../../src/labels.js';
import type { CannedReply, ReplyStore } from '../../src/replies/store.js';
import { openKeyring, type Keyring } from '../../src/server/relay/keyring.js';
import { openPgKeyring } from '../../src/server/relay/pg/keyring.js';
import { createPgRelayStore } from '../../src/server/relay/pg/store.js';
import { sqliteRelayStore, type RelayStore } from '../../src/server/relay/relay-store.js';
import { createConversationStore, type Sender } from '../../src/server/relay/store.js';
import { openPgAttachments } from '../../src/store/pg/attachments.js';
import { openPgCorrections } from '../../src/store/pg/corrections.js';
import { openPgDatabase, type PgDatabase } from '../../src/store/pg/database.js';
import { openPgReplies } from '../../src/store/pg/replies.js';
import { openSqliteAttachments } from '../../src/store/sqlite/attachments.js';
import { openSqliteCorrections } from '../../src/store/sqlite/corrections.js';
import { openDataDb } from '../../src/store/sqlite/data-db.js';
import { openSqliteReplies } from '../../src/store/sqlite/replies.js';
import type { User } from '../../src/store/users.js';
import { createUserStore } from '../../src/store/sqlite/users.js';
import { tempDir } from '../helpers.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';

interface Backend {
  readonly name: string;
  readonly relay: RelayStore;
  readonly corrections: CorrectionStore;
  /** The same corrections, with a keyring that throws: batch rows must not need the master key. */
  readonly correctionsWithoutKey: CorrectionStore;
  readonly attachments: AttachmentStore;
  readonly replies: ReplyStore;
  user(name: string, role: User['role']): Promise<User>;
  /** The stored bytes of an attachment's file and name, as they lie on disk. */
  raw(id: string): Promise<{ name: Buffer; body: Buffer }>;
  close(): Promise<void>;
}

const noKey = (): never => {
  throw new Error('the master key was asked for');
};

function sqliteBackend(): Backend {
  const temp = tempDir('fmc-console-data-');
  const data = openDataDb(join(temp.dir, 'data'));
  const users = createUserStore(data.db);
  const keyring = openKeyring(data.db, { kind: 'env', key: randomBytes(32) });
  const lastSeq = data.db.prepare('SELECT last_seq FROM conversations WHERE id = ?').pluck();
  const corrections = openSqliteCorrections(data.db, () => keyring);
  return {
    name: 'sqlite',
    relay: sqliteRelayStore(createConversationStore(data.db, keyring), corrections, (id) => lastSeq.get(id) as number),
    corrections,
    correctionsWithoutKey: openSqliteCorrections(data.db, noKey),
    attachments: openSqliteAttachments(data.db, () => keyring),
    replies: openSqliteReplies(data.db),
    user: async (name, role) => users.add({ username: name, role, passwordHash: 'x' }),
    raw: async (id) => data.db.prepare('SELECT name, body FROM attachments WHERE id = ?').get(id) as { name: Buffer; body: Buffer },
    async close() {
      data.close();
      temp.cleanup();
    },
  };
}

async function pgBackend(server: TestPostgres): Promise<Backend> {
  const db: PgDatabase = await openPgDatabase(server.url);
  const keyring: Keyring = await openPgKeyring(db.pool, { kind: 'env', key: randomBytes(32) });
  let ids = 0;
  return {
    name: 'postgresql',
    relay: createPgRelayStore(db.pool, keyring, { url: db.url, instance: 'contract' }),
    corrections: openPgCorrections(db.pool, db.url, async () => keyring),
    correctionsWithoutKey: openPgCorrections(db.pool, db.url, async () => noKey()),
    attachments: openPgAttachments(db.pool, db.url, keyring),
    replies: openPgReplies(db.pool, db.url),
    // The relay's PostgreSQL tables do not depend on where the users live.
    user: async (name, role) => ({ id: ++ids, username: name, role, createdAt: new Date().toISOString() }),
    raw: async (id) => (await db.pool.query<{ name: Buffer; body: Buffer }>('SELECT name, body FROM attachments WHERE id = $1', [id])).rows[0]!,
    close: () => db.close(),
  };
}

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const SEEDED = ['cloture', 'facture', 'panne', 'redemarrage', 'retour', 'technicien'];
const labels: LabelResult = toLabelResult({ is_claim: true, sentiment: 'negative', topic: 'fibre', incident: 'outage', urgency: 'high', confidence: 0.8 }, 'rules')!;
const sender = (u: User): Sender => ({ id: u.id, username: u.username, role: u.role });
const codeOf = (code: string) => (err: unknown): boolean => (err as { code?: string }).code === code;

let server: TestPostgres;
const backends: Backend[] = [];
const seeded = new Map<string, CannedReply[]>();
before(async () => {
  server = await startPostgres();
});
after(async () => {
  for (const b of backends) await b.close();
  await server?.destroy();
});

for (const name of ['sqlite', 'postgresql'] as const) {
  describe(`console data contract: ${name}`, () => {
    let b: Backend;
    before(async () => {
      b = name === 'sqlite' ? sqliteBackend() : await pgBackend(server);
      backends.push(b);
    });

    test('replies: seeded in French with the same six; add normalises, lists by shortcut, refuses bad or taken shortcuts; remove', async () => {
      const first = await b.replies.list();
      seeded.set(name, first);
      assert.deepEqual(first.map((r) => r.shortcut), SEEDED);
      assert.match(first.find((r) => r.shortcut === 'panne')!.body, /incident/);

      const added = await b.replies.add({ shortcut: ' /Box-Bloquee ', body: '  Que dit <b>l’afficheur</b> ?  ', createdBy: 'root' });
      assert.deepEqual({ ...added, createdAt: undefined }, { shortcut: 'box-bloquee', title: 'box-bloquee', body: 'Que dit <b>l’afficheur</b> ?', createdBy: 'root', createdAt: undefined });
      assert.ok(Math.abs(Date.parse(added.createdAt) - Date.now()) < 60_000);
      const listed = await b.replies.list();
      assert.deepEqual(listed.map((r) => r.shortcut), [...SEEDED, 'box-bloquee'].sort());
      assert.deepEqual(listed.find((r) => r.shortcut === 'box-bloquee'), added);

      await assert.rejects(b.replies.add({ shortcut: 'BOX-bloquee', body: 'autre', createdBy: 'root' }), codeOf('FMC_ERR_REPLY_EXISTS'));
      await assert.rejects(b.replies.add({ shortcut: 'deux mots', body: 'x', createdBy: 'root' }), codeOf('FMC_ERR_BAD_REPLY'));
      await assert.rejects(b.replies.add({ shortcut: 'vide', body: '   ', createdBy: 'root' }), codeOf('FMC_ERR_BAD_REPLY'));
      await assert.rejects(b.replies.add({ shortcut: 'long', title: 't'.repeat(81), body: 'x', createdBy: 'root' }), codeOf('FMC_ERR_BAD_REPLY'));
      await b.replies.remove('/Box-Bloquee');
      await assert.rejects(b.replies.remove('box-bloquee'), codeOf('FMC_ERR_REPLY_NOT_FOUND'));
      assert.deepEqual((await b.replies.list()).map((r) => r.shortcut), SEEDED);
    });

    test('replies: two adds of one shortcut at once: one is stored, the other is told it exists', async () => {
      const results = await Promise.allSettled([1, 2, 3].map((i) => b.replies.add({ shortcut: 'delai', body: `réponse ${i}`, createdBy: `admin${i}` })));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code: string }).code, 'FMC_ERR_REPLY_EXISTS');
      await b.replies.remove('delai');
    });

    test('corrections: a batch correction comes back as recorded, without the master key; a chat one with its text decrypted; counts by source', async () => {
      assert.deepEqual(await b.corrections.list(), []);
      assert.deepEqual(await b.corrections.count(), { chat: 0, batch: 0 });
      const agent = await b.user('agent-c', 'agent');
      const batch = await b.corrections.recordBatch({ user: agent, original: labels, corrected: { ...labels, urgency: 'low' }, version: 'rules@1', text: 'la box clignote, "rouge"' });
      assert.equal(batch.source, 'batch');
      assert.deepEqual(await b.correctionsWithoutKey.list(), [batch], 'batch rows need no key');

      const customer = await b.user('claire-c', 'customer');
      const conversation = await b.relay.create(customer);
      const stored = (await b.relay.append({ conversationId: conversation.id, sender: sender(customer), clientId: 'c1', text: 'plus de fibre depuis hier' }))!.message;
      await b.relay.setLabels(conversation.id, stored.seq, labels);
      const chat = await b.relay.correctChat(
        { conversationId: conversation.id, seq: stored.seq, text: stored.text, user: agent, original: labels, corrected: { ...labels, topic: 'mobile' }, version: null },
        { ...labels, topic: 'mobile' },
      );
      const all = await b.corrections.list();
      assert.deepEqual(all, [batch, chat], 'oldest first, chat text decrypted');
      assert.equal(all[1]!.text, 'plus de fibre depuis hier');
      assert.deepEqual(all[0]!.original, toScoredLabels({ is_claim: true, sentiment: 'negative', topic: 'fibre', incident: 'outage', urgency: 'high', confidence: 0.8 }));
      assert.deepEqual(await b.corrections.count(), { chat: 1, batch: 1 });
      await assert.rejects(b.correctionsWithoutKey.list(), /master key was asked for/, 'chat rows are opened with the key');
    });

    test('attachments: sealed at rest; the uploader alone sees it until a message shows it, then every member; others never', async () => {
      const claire = await b.user('claire-a', 'customer');
      const denis = await b.user('denis-a', 'customer');
      const agent = await b.user('agent-a', 'agent');
      const conversation = await b.relay.create(claire);
      const meta = await b.attachments.put(claire, conversation.id, { name: 'photo <box>.png', contentType: 'image/png', body: PNG });
      assert.match(meta.id, /^[\w-]{22}$/);
      assert.deepEqual({ ...meta, id: undefined }, { id: undefined, name: 'photo <box>.png', contentType: 'image/png', size: PNG.length });

      const raw = await b.raw(meta.id);
      assert.ok(!raw.body.includes(PNG.subarray(0, 16)) && !raw.name.toString('latin1').includes('photo'), 'file and name are ciphertext');

      const mine = await b.attachments.get(claire, meta.id);
      assert.deepEqual(mine.body, PNG);
      assert.equal(mine.conversationId, conversation.id);
      await assert.rejects(b.attachments.get(agent, meta.id), codeOf('FMC_ERR_NOT_FOUND'), 'not yet sent: the uploader only');
      await assert.rejects(b.attachments.get(denis, meta.id), codeOf('FMC_ERR_NOT_FOUND'));
      await assert.rejects(b.attachments.get(claire, 'not-an-id'), codeOf('FMC_ERR_NOT_FOUND'));
      await assert.rejects(b.attachments.put(denis, conversation.id, { name: 'x.png', contentType: 'image/png', body: PNG }), codeOf('FMC_ERR_NOT_FOUND'));

      await b.attachments.check(conversation.id, claire.id, meta.id);
      await assert.rejects(b.attachments.check(conversation.id, agent.id, meta.id), codeOf('FMC_ERR_ATTACHMENT'), 'only its uploader sends it');
      await b.relay.append({ conversationId: conversation.id, sender: sender(claire), clientId: 'm1', text: 'bonjour' });
      const shown = (await b.relay.append({ conversationId: conversation.id, sender: sender(claire), clientId: 'm2', text: 'voici la photo', attachmentId: meta.id }))!.message;
      assert.equal(shown.seq, 2);
      assert.deepEqual(shown.attachment, meta, 'the stored message shows its file');
      // Read back, the message comes with its file (one query): replays, history, other instances.
      assert.deepEqual((await b.relay.after(conversation.id, 0, 10)).map((m) => m.attachment), [undefined, meta]);
      const again = (await b.relay.append({ conversationId: conversation.id, sender: sender(claire), clientId: 'm2', text: 'voici la photo', attachmentId: meta.id }))!;
      assert.equal(again.duplicate, true, 'a retried send is the same message, the file linked once');
      assert.deepEqual((await b.attachments.get(agent, meta.id)).body, PNG, 'sent: every member');
      await assert.rejects(b.attachments.get(denis, meta.id), codeOf('FMC_ERR_NOT_FOUND'));

      await assert.rejects(b.attachments.check(conversation.id, claire.id, meta.id), /already shown by message 2/);
      // A second message naming it (two sends racing past the check): refused, and no seq is used.
      await assert.rejects(b.relay.append({ conversationId: conversation.id, sender: sender(claire), clientId: 'm3', text: 'encore', attachmentId: meta.id }), codeOf('FMC_ERR_ATTACHMENT'));
      const next = (await b.relay.append({ conversationId: conversation.id, sender: sender(claire), clientId: 'm4', text: 'merci' }))!.message;
      assert.equal(next.seq, 3);
      assert.deepEqual((await b.relay.after(conversation.id, 0, 10)).map((m) => m.text), ['bonjour', 'voici la photo', 'merci']);

      await b.relay.close(conversation.id);
      await assert.rejects(b.attachments.put(claire, conversation.id, { name: 'x.png', contentType: 'image/png', body: PNG }), codeOf('FMC_ERR_CONVERSATION_CLOSED'));
    });
  });
}

test('both backends are seeded with the same canned replies, word for word', () => {
  assert.deepEqual(seeded.get('postgresql'), seeded.get('sqlite'));
  assert.equal(seeded.get('sqlite')?.length, SEEDED.length);
});
