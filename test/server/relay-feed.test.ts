// The feed's promise: each socket gets a conversation's messages in seq order, each once,
// from where it joined, whatever joins while a read is on its way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { createFeed } from '../../src/server/relay/feed.js';
import type { Peer } from '../../src/server/relay/peer.js';
import type { RelayStore } from '../../src/server/relay/relay-store.js';
import { createRooms } from '../../src/server/relay/rooms.js';
import type { ChatMessage } from '../../src/server/relay/store.js';

const C = 'conversation-1';
const message = (seq: number): ChatMessage => ({
  conversationId: C,
  seq,
  id: seq,
  sender: { id: 1, username: 'cust', role: 'customer' },
  text: `m${seq}`,
  createdAt: new Date(0).toISOString(),
});

function peer(name: string): Peer & { seqs: number[] } {
  const seqs: number[] = [];
  return {
    user: { id: name.length, username: name, role: 'agent', createdAt: new Date(0).toISOString() },
    subscriptions: new Map(),
    watching: false,
    seqs,
    send: () => undefined,
    sendRaw: (data) => void seqs.push((JSON.parse(data) as { seq: number }).seq),
  };
}

test('a socket that joins behind the others while the feed reads gets the messages it lacks first, in order (not the page read for the others)', async () => {
  const log = [1, 2, 3, 4, 5].map(message);
  // Reads answer when the test says so: a socket joins while one is on its way.
  const reads: { afterSeq: number; answer: () => void }[] = [];
  const store = {
    after: (_id: string, afterSeq: number, limit: number) =>
      new Promise<ChatMessage[]>((resolve) => reads.push({ afterSeq, answer: () => resolve(log.filter((m) => m.seq > afterSeq).slice(0, limit)) })),
  } as unknown as RelayStore;
  const rooms = createRooms();
  const feed = createFeed(store, rooms, silentLogger);
  const ahead = peer('ahead');
  const late = peer('late');
  rooms.join(ahead, C, 3);
  feed.wake(C, 5);
  assert.equal(reads.length, 1);
  assert.equal(reads[0]!.afterSeq, 3);
  // A resume ends here: its replay reached seq 1 only.
  rooms.join(late, C, 1);
  reads[0]!.answer();
  for (let i = 1; i < 10 && reads.length === i; i++) await new Promise((r) => setImmediate(r));
  for (const r of reads.slice(1)) r.answer();
  await feed.idle();
  assert.deepEqual(ahead.seqs, [4, 5]);
  assert.deepEqual(late.seqs, [2, 3, 4, 5]);
});

test('the feed keeps nothing for a conversation once its messages are delivered: a thousand conversations followed and left leave no line behind', async () => {
  const store = { after: async (id: string, afterSeq: number) => (afterSeq < 2 ? [{ ...message(2), conversationId: id }] : []) } as unknown as RelayStore;
  const rooms = createRooms();
  const feed = createFeed(store, rooms, silentLogger);
  for (let c = 0; c < 1000; c++) {
    const p = peer('agent');
    rooms.join(p, `c${c}`, 1);
    feed.wake(`c${c}`, 2);
    await feed.idle();
    assert.deepEqual(p.seqs, [2]);
    rooms.leave(p, `c${c}`);
  }
  assert.equal(feed.busy(), 0);
  // A later message still reaches a socket that joins again.
  const back = peer('agent');
  rooms.join(back, 'c7', 1);
  feed.wake('c7', 2);
  await feed.idle();
  assert.deepEqual(back.seqs, [2]);
});

test('a notice for messages the store no longer has (the conversation deleted meanwhile) makes one read, not a loop of them', async () => {
  let reads = 0;
  const store = { after: async () => (reads++, []) } as unknown as RelayStore;
  const rooms = createRooms();
  const feed = createFeed(store, rooms, silentLogger);
  const p = peer('agent');
  rooms.join(p, C, 3);
  feed.wake(C, 5);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(reads, 1);
  assert.equal(feed.busy(), 0);
  assert.deepEqual(p.seqs, []);
  // A notice heard later is read for again.
  feed.wake(C, 6);
  await feed.idle();
  assert.equal(reads, 2);
});
