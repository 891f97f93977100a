// One contract, two backends: refresh sessions (rotation, reuse detection, revocation,
// expiry) in the data dir's SQLite file and in a real PostgreSQL (test/pg). Each backend also
// gets a second store on its own connection, as a second instance would have, for the race of
// two instances given the same refresh token at once.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { isSessionId, KEEP_ENDED_MS, type SessionGrant, type SessionStore } from '../../src/auth/sessions.js';
import { openPgDatabase, type PgDatabase } from '../../src/store/pg/database.js';
import { createPgSessionStore } from '../../src/store/pg/sessions.js';
import { createPgUserStore } from '../../src/store/pg/users.js';
import { openDataDb, type DataDb } from '../../src/store/sqlite/data-db.js';
import { createSessionStore } from '../../src/store/sqlite/sessions.js';
import { createUserStore } from '../../src/store/sqlite/users.js';
import type { UserRecord, UserStore } from '../../src/store/users.js';
import { tempDir } from '../helpers.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';

const TTL_SECONDS = 3600;
const TTL = TTL_SECONDS * 1000;

interface Fixture {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  /** The same sessions through another connection: a second instance. */
  readonly twin: SessionStore;
  /** How many session rows the table holds. */
  rows(): Promise<number>;
  /**
   * Holds session `id`'s row from a third connection until the returned release, once `waiters`
   * callers are blocked on it: both rotations are then in flight together. SQLite's
   * transactions are synchronous (nothing runs between a read and its write): no hold.
   */
  hold?(id: string, waiters: number): Promise<{ waiting: Promise<void>; release(): Promise<void> }>;
  close(): Promise<void>;
}

interface Backend {
  readonly name: string;
  open(now: () => number): Promise<Fixture>;
}

function sqliteBackend(): Backend & { done(): void } {
  const { dir, cleanup } = tempDir('fmc-sessions-contract-');
  return {
    name: 'sqlite',
    async open(now) {
      const dataDir = join(dir, 'data');
      const data = openDataDb(dataDir);
      const other: DataDb = openDataDb(dataDir);
      return {
        users: createUserStore(data.db),
        sessions: createSessionStore(data.db, { ttlSeconds: TTL_SECONDS, now }),
        twin: createSessionStore(other.db, { ttlSeconds: TTL_SECONDS, now }),
        rows: async () => data.db.prepare('SELECT COUNT(*) FROM refresh_sessions').pluck().get() as number,
        async close() {
          other.close();
          data.close();
        },
      };
    },
    done: cleanup,
  };
}

function pgBackend(server: () => TestPostgres): Backend {
  return {
    name: 'postgresql',
    async open(now) {
      const url = await server().createDatabase('sessions');
      const db: PgDatabase = await openPgDatabase(url);
      const other: PgDatabase = await openPgDatabase(url);
      return {
        users: createPgUserStore(db.pool, db.url),
        sessions: createPgSessionStore(db.pool, db.url, { ttlSeconds: TTL_SECONDS, now }),
        twin: createPgSessionStore(other.pool, other.url, { ttlSeconds: TTL_SECONDS, now }),
        rows: async () => Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM refresh_sessions')).rows[0]!.n),
        async hold(id, waiters) {
          const locker = new pg.Client({ connectionString: url });
          await locker.connect();
          await locker.query('BEGIN');
          await locker.query('SELECT 1 FROM refresh_sessions WHERE id = $1 FOR UPDATE', [id]);
          // Bounded: a store that takes no lock never waits, and then the outcome must show it.
          const waiting = (async () => {
            for (const deadline = Date.now() + 3000; Date.now() < deadline; ) {
              const r = await db.pool.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
              if (Number(r.rows[0]!.n) >= waiters) return;
              await new Promise((resolve) => setTimeout(resolve, 10));
            }
          })();
          return {
            waiting,
            async release() {
              await locker.query('COMMIT');
              await locker.end();
            },
          };
        },
        async close() {
          await other.close();
          await db.close();
        },
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

const subjectOf = (user: UserRecord) => ({ id: user.id, sessionKey: user.sessionKey });

for (const backend of [sqlite, pgBackend(() => server)] as Backend[]) {
  describe(`session store contract: ${backend.name}`, () => {
    let clock = Date.UTC(2026, 11, 4, 9);
    let f: Fixture;
    let alice: UserRecord;
    before(async () => {
      f = await backend.open(() => clock);
      alice = await f.users.add({ username: 'alice', role: 'agent', passwordHash: 'h' });
    });
    after(async () => {
      await f.close();
    });

    test('start grants a session; each rotation hands out a new secret; an old one again revokes the whole session', async () => {
      const first = await f.sessions.start(subjectOf(alice));
      assert.ok(isSessionId(first.id), first.id);
      assert.equal(first.expiresAt, new Date(clock + TTL).toISOString());
      assert.deepEqual(first.subject, subjectOf(alice));
      clock += 60_000;
      const second = await f.sessions.rotate(first.id, first.secret);
      assert.equal(second.id, first.id);
      assert.notEqual(second.secret, first.secret);
      assert.equal(second.expiresAt, new Date(clock + TTL).toISOString(), 'each use restarts the idle clock');
      assert.deepEqual(second.subject, subjectOf(alice));
      // Through the other instance: the same session.
      const third = await f.twin.rotate(first.id, second.secret);
      await assert.rejects(f.sessions.rotate(first.id, first.secret), { code: 'FMC_ERR_REFRESH_REUSED' });
      await assert.rejects(f.twin.rotate(first.id, third.secret), { code: 'FMC_ERR_SESSION_REVOKED', message: /an old refresh token was used again/ });
    });

    test('two instances given the same refresh token at once: exactly one rotates, the other sees the reuse and the session is revoked', async () => {
      for (let round = 0; round < 3; round++) {
        const grant = await f.sessions.start(subjectOf(alice));
        const held = await f.hold?.(grant.id, 2);
        const racing = Promise.allSettled([f.sessions.rotate(grant.id, grant.secret), f.twin.rotate(grant.id, grant.secret)]);
        if (held) {
          // Both are blocked on the row: really at the same time, whichever goes first.
          await held.waiting;
          await held.release();
        }
        const results = await racing;
        const won = results.filter((r): r is PromiseFulfilledResult<SessionGrant> => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(won.length, 1, `round ${round}: ${JSON.stringify(results.map((r) => r.status))}`);
        assert.equal((lost[0]!.reason as { code?: string }).code, 'FMC_ERR_REFRESH_REUSED');
        // The winner's new secret is dead too: the server cannot tell the thief from the owner.
        await assert.rejects(f.sessions.rotate(grant.id, won[0]!.value.secret), { code: 'FMC_ERR_SESSION_REVOKED' });
      }
    });

    test('a session unused for its lifetime expires; one used in time goes on', async () => {
      const grant = await f.sessions.start(subjectOf(alice));
      clock += TTL - 1000;
      const next = await f.sessions.rotate(grant.id, grant.secret);
      clock += TTL - 1000;
      const last = await f.twin.rotate(grant.id, next.secret);
      clock += TTL;
      await assert.rejects(f.sessions.rotate(grant.id, last.secret), { code: 'FMC_ERR_SESSION_EXPIRED' });
    });

    test('revoke (logout) ends it once; ownedBy says whose it is; malformed and unknown ids are refused', async () => {
      const grant = await f.sessions.start(subjectOf(alice));
      assert.equal(await f.twin.ownedBy(grant.id, alice.id), true);
      assert.equal(await f.sessions.ownedBy(grant.id, alice.id + 1), false);
      assert.equal(await f.sessions.ownedBy('not a session', alice.id), false);
      assert.equal(await f.sessions.revoke(grant.id, 'logged out'), true);
      assert.equal(await f.twin.revoke(grant.id, 'logged out'), false, 'already ended');
      await assert.rejects(f.twin.rotate(grant.id, grant.secret), { code: 'FMC_ERR_SESSION_REVOKED', message: /\(logged out\)/ });
      assert.equal(await f.sessions.revoke('short', 'logged out'), false);
      await assert.rejects(f.sessions.rotate('short', 'x'), { code: 'FMC_ERR_SESSION_REVOKED' });
      await assert.rejects(f.sessions.rotate('A'.repeat(22), 'x'), { code: 'FMC_ERR_SESSION_REVOKED' });
    });

    test('a password change or a disable ends every session of the account; a removal deletes them', async () => {
      const bob = await f.users.add({ username: 'bob', role: 'agent', passwordHash: 'h' });
      const one = await f.sessions.start(subjectOf(bob));
      await f.users.setPassword('bob', 'h2');
      await assert.rejects(f.twin.rotate(one.id, one.secret), { code: 'FMC_ERR_SESSION_REVOKED', message: /password changed or account disabled/ });

      const two = await f.sessions.start(subjectOf((await f.users.byName('bob'))!));
      assert.ok(await f.sessions.rotate(two.id, two.secret));
      const three = await f.sessions.start(subjectOf((await f.users.byName('bob'))!));
      await f.users.setDisabled('bob', true);
      await f.users.setDisabled('bob', false);
      await assert.rejects(f.sessions.rotate(three.id, three.secret), { code: 'FMC_ERR_SESSION_REVOKED', message: /password changed or account disabled/ });

      const four = await f.sessions.start(subjectOf((await f.users.byName('bob'))!));
      const rows = await f.rows();
      assert.equal(await f.users.remove('bob'), true);
      assert.equal(await f.rows(), rows - 4, "bob's four sessions went with him, ended or not");
      await assert.rejects(f.sessions.rotate(four.id, four.secret), { code: 'FMC_ERR_SESSION_REVOKED', message: /the account was removed/ });
    });

    test('ended and expired sessions are pruned a day after, when the next session starts', async () => {
      const ended = await f.sessions.start(subjectOf(alice));
      await f.sessions.revoke(ended.id, 'logged out');
      const live = await f.sessions.start(subjectOf(alice));
      clock += KEEP_ENDED_MS + TTL + 1000;
      await f.twin.start(subjectOf(alice));
      assert.equal(await f.rows(), 1, 'only the session just started is left');
      await assert.rejects(f.sessions.rotate(live.id, live.secret), { code: 'FMC_ERR_SESSION_REVOKED' });
    });
  });
}
