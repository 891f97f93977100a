// One contract, two backends: the users of `fmc serve` in the data dir's SQLite file and in a
// real PostgreSQL (test/pg), the same answers from both.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSqliteCorrections } from '../../src/store/sqlite/corrections.js';
import { openKeyring } from '../../src/server/relay/keyring.js';
import { openPgKeyring } from '../../src/server/relay/pg/keyring.js';
import { createPgRelayStore } from '../../src/server/relay/pg/store.js';
import { sqliteRelayStore, type RelayStore } from '../../src/server/relay/relay-store.js';
import { createConversationStore } from '../../src/server/relay/store.js';
import { openPgDatabase, type PgDatabase } from '../../src/store/pg/database.js';
import { createPgUserStore } from '../../src/store/pg/users.js';
import { openDataDb } from '../../src/store/sqlite/data-db.js';
import { createUserStore } from '../../src/store/sqlite/users.js';
import type { UserStore } from '../../src/store/users.js';
import { tempDir } from '../helpers.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';

/** A fresh, empty store, with the relay over the same database and a raw look at its conversations. */
interface Fixture {
  readonly users: UserStore;
  readonly relay: RelayStore;
  conversations(): Promise<{ id: string; customerId: number; assigneeId: number | null }[]>;
  close(): Promise<void>;
}

interface Backend {
  readonly name: string;
  open(): Promise<Fixture>;
}

const KEY = { kind: 'env', key: randomBytes(32) } as const;

function sqliteBackend(): Backend & { done(): void } {
  const { dir, cleanup } = tempDir('fmc-users-contract-');
  let n = 0;
  return {
    name: 'sqlite',
    async open() {
      const data = openDataDb(join(dir, `data-${n++}`));
      const keyring = openKeyring(data.db, KEY);
      const lastSeq = data.db.prepare('SELECT last_seq FROM conversations WHERE id = ?').pluck();
      const rows = data.db.prepare('SELECT id, customer_id AS customerId, assignee_id AS assigneeId FROM conversations ORDER BY id');
      return {
        users: createUserStore(data.db),
        relay: sqliteRelayStore(createConversationStore(data.db, keyring), openSqliteCorrections(data.db, () => keyring), (id) => lastSeq.get(id) as number),
        conversations: async () => rows.all() as { id: string; customerId: number; assigneeId: number | null }[],
        close: async () => data.close(),
      };
    },
    done: cleanup,
  };
}

function pgBackend(server: () => TestPostgres): Backend {
  let n = 0;
  return {
    name: 'postgresql',
    async open() {
      // A database per case: each starts with no users.
      const db: PgDatabase = await openPgDatabase(await server().createDatabase(`users_${n++}`));
      const keyring = await openPgKeyring(db.pool, KEY);
      return {
        users: createPgUserStore(db.pool, db.url),
        relay: createPgRelayStore(db.pool, keyring, { url: db.url, instance: 'contract' }),
        async conversations() {
          const r = await db.pool.query<{ id: string; customer_id: string; assignee_id: string | null }>('SELECT id, customer_id, assignee_id FROM conversations ORDER BY id');
          return r.rows.map((row) => ({ id: row.id, customerId: Number(row.customer_id), assigneeId: row.assignee_id === null ? null : Number(row.assignee_id) }));
        },
        close: () => db.close(),
      };
    },
  };
}

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.destroy();
});

const sqlite = sqliteBackend();
after(() => sqlite.done());

for (const backend of [sqlite, pgBackend(() => server)] as Backend[]) {
  describe(`user store contract: ${backend.name}`, () => {
    let f: Fixture;
    before(async () => {
      f = await backend.open();
    });
    after(async () => {
      await f.close();
    });

    test('add returns the record; byName (any case, spaces), byId and byToken find it; a wrong key finds nothing', async () => {
      const before = Date.now();
      const added = await f.users.add({ username: 'Alice', role: 'agent', passwordHash: 'hash-a' });
      assert.equal(added.username, 'alice');
      assert.equal(added.role, 'agent');
      assert.equal(added.passwordHash, 'hash-a');
      assert.equal(added.disabled, false);
      assert.ok(Number.isSafeInteger(added.id) && added.id > 0, `id ${added.id}`);
      assert.match(added.sessionKey, /^[0-9a-f]{32}$/);
      assert.ok(Date.parse(added.createdAt) >= before - 1000 && Date.parse(added.createdAt) <= Date.now() + 1000, added.createdAt);
      assert.equal('displayName' in added, false, 'absent, not null');
      assert.deepEqual(await f.users.byName('  ALICE '), added);
      const user = { id: added.id, username: 'alice', role: 'agent', createdAt: added.createdAt };
      assert.deepEqual(await f.users.byId(added.id), user);
      assert.deepEqual(await f.users.byToken({ id: added.id, sessionKey: added.sessionKey }), user);
      assert.equal(await f.users.byToken({ id: added.id, sessionKey: 'f'.repeat(32) }), undefined);
      assert.equal(await f.users.byName('nobody'), undefined);
      assert.equal(await f.users.byId(added.id + 1000), undefined);
    });

    test('a taken name (any case), a bad name or a bad role is refused with its code', async () => {
      await f.users.add({ username: 'bruno', role: 'customer', passwordHash: 'h' });
      await assert.rejects(f.users.add({ username: 'BRUNO', role: 'agent', passwordHash: 'h' }), { code: 'FMC_ERR_USER_EXISTS', message: /user bruno already exists/ });
      await assert.rejects(f.users.add({ username: 'x', role: 'agent', passwordHash: 'h' }), { code: 'FMC_ERR_BAD_USER' });
      await assert.rejects(f.users.add({ username: 'has space', role: 'agent', passwordHash: 'h' }), { code: 'FMC_ERR_BAD_USER' });
      await assert.rejects(f.users.add({ username: 'chef', role: 'boss' as 'agent', passwordHash: 'h' }), { code: 'FMC_ERR_BAD_USER', message: /choose one of admin, agent, customer/ });
      assert.equal(await f.users.byName('chef'), undefined);
    });

    test('list and accounts: every user in byte order of the name (as SQLite sorts), accounts with their disabled flag', async () => {
      for (const username of ['b.c', 'a_b', 'ab', 'a-z']) await f.users.add({ username, role: 'customer', passwordHash: 'h' });
      const names = (await f.users.list()).map((u) => u.username);
      assert.deepEqual(names, ['a-z', 'a_b', 'ab', 'alice', 'b.c', 'bruno']);
      await f.users.setDisabled('ab', true);
      const accounts = await f.users.accounts();
      assert.deepEqual(accounts.map((a) => a.username), names);
      assert.deepEqual(accounts.filter((a) => a.disabled).map((a) => a.username), ['ab']);
      assert.equal('passwordHash' in accounts[0]!, false, 'no hash in a listing');
      assert.equal('sessionKey' in (await f.users.list())[0]!, false, 'no session key in a listing');
    });

    test('setPassword replaces the hash and the session key: tokens of the old key stop; unknown name: false', async () => {
      const before = (await f.users.byName('alice'))!;
      assert.equal(await f.users.setPassword(' Alice', 'hash-b'), true);
      const after = (await f.users.byName('alice'))!;
      assert.equal(after.passwordHash, 'hash-b');
      assert.notEqual(after.sessionKey, before.sessionKey);
      assert.equal(await f.users.byToken({ id: before.id, sessionKey: before.sessionKey }), undefined);
      assert.ok(await f.users.byToken({ id: after.id, sessionKey: after.sessionKey }));
      assert.equal(await f.users.setPassword('ghost', 'h'), false);
    });

    test('setDisabled: the state before; disabled = not found by id or token, still by name; enabling keeps the new key', async () => {
      const before = (await f.users.byName('bruno'))!;
      assert.equal(await f.users.setDisabled('BRUNO', true), false);
      const disabled = (await f.users.byName('bruno'))!;
      assert.equal(disabled.disabled, true);
      assert.notEqual(disabled.sessionKey, before.sessionKey, 'disabling ends every token');
      assert.equal(await f.users.byId(before.id), undefined);
      assert.equal(await f.users.byToken({ id: before.id, sessionKey: disabled.sessionKey }), undefined);
      assert.equal(await f.users.setDisabled('bruno', true), true, 'already disabled');
      assert.equal(await f.users.setDisabled('bruno', false), true);
      const enabled = (await f.users.byName('bruno'))!;
      assert.equal(enabled.disabled, false);
      assert.equal(enabled.sessionKey, (await f.users.byName('bruno'))!.sessionKey);
      assert.ok(await f.users.byToken({ id: enabled.id, sessionKey: enabled.sessionKey }));
      assert.equal(await f.users.byToken({ id: enabled.id, sessionKey: before.sessionKey }), undefined, 'what was issued before the disable stays dead');
      assert.equal(await f.users.setDisabled('ghost', true), undefined);
    });

    test('setRole: the role before, applied at once; unknown name: undefined; a bad role refused', async () => {
      assert.equal(await f.users.setRole('Alice', 'admin'), 'agent');
      assert.equal((await f.users.byName('alice'))!.role, 'admin');
      assert.equal(await f.users.setRole('alice', 'admin'), 'admin');
      assert.equal(await f.users.setRole('ghost', 'agent'), undefined);
      await assert.rejects(f.users.setRole('alice', 'root' as 'admin'), { code: 'FMC_ERR_BAD_USER' });
    });

    test('setDisplayName: trimmed and squeezed, shown by every lookup, cleared by null; bad names refused; unknown: false', async () => {
      assert.equal(await f.users.setDisplayName('alice', '  Alice   M. '), true);
      const alice = (await f.users.byName('alice'))!;
      assert.equal(alice.displayName, 'Alice M.');
      assert.equal((await f.users.byId(alice.id))!.displayName, 'Alice M.');
      assert.equal((await f.users.list()).find((u) => u.username === 'alice')!.displayName, 'Alice M.');
      await assert.rejects(f.users.setDisplayName('alice', 'a\u0007b'), { code: 'FMC_ERR_BAD_USER' });
      assert.equal(await f.users.setDisplayName('ghost', 'X'), false);
      assert.equal(await f.users.setDisplayName('alice', null), true);
      assert.equal('displayName' in (await f.users.byName('alice'))!, false);
    });

    test("remove: a customer's conversations go with them, another's stay; an agent's assignments are cleared", async () => {
      const carla = await f.users.add({ username: 'carla', role: 'customer', passwordHash: 'h' });
      const dina = await f.users.add({ username: 'dina', role: 'customer', passwordHash: 'h' });
      const agent = await f.users.add({ username: 'agent7', role: 'agent', passwordHash: 'h' });
      const first = await f.relay.create(carla);
      await f.relay.create(carla);
      const kept = await f.relay.create(dina);
      await f.relay.assign(kept.id, { id: agent.id, username: agent.username });
      assert.equal(await f.users.conversationCount('Carla'), 2);
      assert.equal(await f.users.conversationCount('dina'), 1);
      assert.equal(await f.users.conversationCount('agent7'), 0);

      assert.equal(await f.users.remove('CARLA'), true);
      assert.equal(await f.users.byName('carla'), undefined);
      assert.equal(await f.users.byId(carla.id), undefined);
      assert.equal(await f.users.remove('carla'), false);
      assert.equal(await f.relay.head(first.id), undefined, 'its conversations are gone');
      assert.deepEqual((await f.conversations()).map((c) => c.id), [kept.id]);
      assert.equal((await f.conversations())[0]!.assigneeId, agent.id);

      assert.equal(await f.users.remove('agent7'), true);
      assert.deepEqual(await f.conversations(), [{ id: kept.id, customerId: dina.id, assigneeId: null }], 'the conversation stays, unassigned');
      assert.equal((await f.relay.summary(kept.id))!.assignee, null);
      // A new account never passes for a removed one: its session key differs.
      const again = await f.users.add({ username: 'carla', role: 'customer', passwordHash: 'h' });
      assert.equal(await f.users.byToken({ id: carla.id, sessionKey: carla.sessionKey }), undefined);
      assert.notEqual(again.sessionKey, carla.sessionKey);
      assert.equal(await f.users.conversationCount('carla'), 0);
    });
  });
}
