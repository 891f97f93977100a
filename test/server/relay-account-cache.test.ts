// The accounts a PostgreSQL instance keeps for its sockets' frames (relay/pg/account-cache.ts):
// read once while LISTEN is up, read again after their notice, after a reconnect, and on
// every frame while LISTEN is down. A notice that comes while a read is in flight wins.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cacheAccounts } from '../../src/server/relay/pg/account-cache.js';
import type { User, UserStore } from '../../src/store/users.js';

function fakeUsers(): { users: UserStore; reads: () => number; set(user: User | undefined): void; hold(): () => void } {
  let current: User | undefined = { id: 7, username: 'agent7', role: 'agent', createdAt: '2026-12-04T00:00:00.000Z' };
  let count = 0;
  let gate: Promise<void> | undefined;
  const users = {
    async byId(id: number) {
      count++;
      const answer = current && current.id === id ? current : undefined;
      if (gate) await gate;
      return answer;
    },
  } as unknown as UserStore;
  return {
    users,
    reads: () => count,
    set: (user) => (current = user),
    // The next reads answer what they read now, but only when released.
    hold() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

test('kept while listening; read again after its notice, after clear, and on every frame while LISTEN is down', async () => {
  const fake = fakeUsers();
  let listening = true;
  const cache = cacheAccounts(fake.users, () => listening);
  assert.equal((await cache.users.byId(7))?.role, 'agent');
  assert.equal((await cache.users.byId(7))?.role, 'agent');
  assert.equal(fake.reads(), 1);

  fake.set({ id: 7, username: 'agent7', role: 'admin', createdAt: '2026-12-04T00:00:00.000Z' });
  assert.equal((await cache.users.byId(7))?.role, 'agent', 'no notice yet');
  cache.forget(7);
  assert.equal((await cache.users.byId(7))?.role, 'admin');
  assert.equal(fake.reads(), 2);

  fake.set(undefined);
  cache.clear();
  assert.equal(await cache.users.byId(7), undefined);
  assert.equal(await cache.users.byId(7), undefined, 'a removed account is kept as removed');
  assert.equal(fake.reads(), 3);

  listening = false;
  await cache.users.byId(7);
  await cache.users.byId(7);
  assert.equal(fake.reads(), 5, 'LISTEN down: every frame reads');
  fake.set({ id: 7, username: 'agent7', role: 'agent', createdAt: '2026-12-04T00:00:00.000Z' });
  listening = true;
  assert.equal((await cache.users.byId(7))?.role, 'agent', 'nothing kept from before LISTEN went down');
  assert.equal(fake.reads(), 6);
});

test('a notice that comes while the account is being read: that answer is used once, not kept', async () => {
  const fake = fakeUsers();
  const cache = cacheAccounts(fake.users, () => true);
  const release = fake.hold();
  const reading = cache.users.byId(7);
  // The account changes and its notice arrives before the read answers (with the old state).
  fake.set(undefined);
  cache.forget(7);
  release();
  assert.equal((await reading)?.role, 'agent');
  assert.equal(await cache.users.byId(7), undefined, 'read again: the old answer was not kept');
  assert.equal(fake.reads(), 2);
});
