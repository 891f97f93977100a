import type { Logger } from '../../log.js';
import { isStaff } from '../../store/users.js';
import { messageFrame } from './protocol.js';
import type { RelayStore } from './relay-store.js';
import type { Rooms } from './rooms.js';
import type { ChatMessage } from './store.js';

/**
 * Delivers messages to the sockets in each conversation, in seq order, each once. The store
 * is the log: a message stored here is handed over at once (no read), and a wake-up from
 * elsewhere (another instance's NOTIFY, a re-connected LISTEN, a socket that just joined)
 * makes the feed read `seq > last delivered` from the store. So a lost or late wake-up
 * delays a message until the next one, never loses or repeats it.
 */
export interface Feed {
  /** A message this process stored: sent from memory when it is next in line. */
  stored(message: ChatMessage): void;
  /** Something up to `seq` may exist in the store (no seq: check). */
  wake(conversationId: string, seq?: number): void;
  /** Every followed conversation: after a reconnect, when wake-ups may have been missed. */
  wakeAll(): void;
  /** Resolves when no conversation is being read (tests, shutdown). */
  idle(): Promise<void>;
  /** Conversations with a read or a delivery under way (tests: a line outliving its work is a leak). */
  busy(): number;
}

// Messages read per query while catching up; a long gap is read in pages.
const PAGE = 200;
// After a failed read, the next attempt.
const RETRY_MS = 500;

interface Line {
  /** Messages stored here, by seq, not yet sent to every socket. */
  readonly hand: Map<number, ChatMessage>;
  /** The highest seq known to exist. */
  known: number;
  /** Read the store even if `known` says nothing is new (a join, a reconnect). */
  check: boolean;
  /** The last read failed: wait for the next wake-up rather than spin. */
  failed: boolean;
  running: Promise<void> | undefined;
}

export function createFeed(store: RelayStore, rooms: Rooms, logger: Logger): Feed {
  const lines = new Map<string, Line>();

  function lowest(conversationId: string): number | undefined {
    let min: number | undefined;
    for (const peer of rooms.peersIn(conversationId) ?? []) {
      const seq = peer.subscriptions.get(conversationId);
      if (seq !== undefined && (min === undefined || seq < min)) min = seq;
    }
    return min;
  }

  function deliver(message: ChatMessage): void {
    const peers = rooms.peersIn(message.conversationId);
    if (!peers) return;
    // Encoded once per audience: staff see the sender's login, customers do not.
    let staffData: string | undefined;
    let customerData: string | undefined;
    for (const peer of peers) {
      // Only the next one for this socket: one that joined behind the others while a read was
      // on its way (a resume) is not handed that page's later messages over a gap; the loop
      // reads again from the lowest socket and it gets them in order (seqs have no gaps).
      const last = peer.subscriptions.get(message.conversationId);
      if (last === undefined || message.seq !== last + 1) continue;
      const data = isStaff(peer.user) ? (staffData ??= JSON.stringify(messageFrame(message, true))) : (customerData ??= JSON.stringify(messageFrame(message, false)));
      peer.sendRaw(data);
      peer.subscriptions.set(message.conversationId, message.seq);
    }
  }

  async function run(conversationId: string, line: Line): Promise<void> {
    for (;;) {
      const from = lowest(conversationId);
      if (from === undefined) {
        lines.delete(conversationId);
        return;
      }
      for (const seq of line.hand.keys()) if (seq <= from) line.hand.delete(seq);
      let next = line.hand.get(from + 1);
      if (next) {
        // The common case on one instance: the message just stored is the next one.
        for (let seq = from + 1; next; next = line.hand.get(++seq)) {
          line.hand.delete(seq);
          deliver(next);
        }
        continue;
      }
      if (!line.check && line.known <= from) {
        // Everything known is delivered (nothing in hand: each seq stored here is also
        // known): the line is dropped, and the next wake-up or message makes a new one. Kept,
        // it would outlive its conversation's sockets, one per conversation ever followed.
        if (lines.get(conversationId) === line) lines.delete(conversationId);
        return;
      }
      line.check = false;
      const knownBefore = line.known;
      const page = await store.after(conversationId, from, PAGE);
      for (const message of page) deliver(message);
      const last = page.at(-1);
      if (last && last.seq > line.known) line.known = last.seq;
      if (page.length === PAGE) line.check = true;
      // Nothing after `from`, though a notice said more exists (the conversation was deleted
      // meanwhile): what was known is gone, not late. Without this the loop would read again
      // at once, for as long as a socket stays in the room. A notice heard during the read
      // changed `known` and is read for.
      else if (page.length === 0 && line.known === knownBefore && !line.check) line.known = from;
    }
  }

  function pending(conversationId: string, line: Line): boolean {
    const from = lowest(conversationId);
    return from !== undefined && (line.check || line.known > from);
  }

  function start(conversationId: string, line: Line): void {
    if (line.running) return;
    line.running = run(conversationId, line)
      .catch((err: unknown) => {
        // The store is away (the database restarted, the pool is exhausted): read again in a
        // moment, whether or not another wake-up comes (the last message may have been sent).
        line.check = true;
        line.failed = true;
        setTimeout(() => wake(conversationId), RETRY_MS).unref();
        logger.warn({ conversationId, err: (err as Error).message }, 'relay feed could not read the store');
      })
      .finally(() => {
        line.running = undefined;
        const failed = line.failed;
        line.failed = false;
        // Woken while finishing: go again, unless the read just failed (the next wake-up will).
        if (!failed && lines.get(conversationId) === line && pending(conversationId, line)) start(conversationId, line);
      });
  }

  function lineOf(conversationId: string): Line | undefined {
    if (!rooms.peersIn(conversationId)) return undefined;
    let line = lines.get(conversationId);
    if (!line) lines.set(conversationId, (line = { hand: new Map(), known: 0, check: false, failed: false, running: undefined }));
    return line;
  }

  function wake(conversationId: string, seq?: number): void {
    const line = lineOf(conversationId);
    if (!line) return;
    if (seq === undefined) line.check = true;
    else if (seq > line.known) line.known = seq;
    start(conversationId, line);
  }

  return {
    stored(message) {
      const line = lineOf(message.conversationId);
      if (!line) return;
      line.hand.set(message.seq, message);
      if (message.seq > line.known) line.known = message.seq;
      start(message.conversationId, line);
    },
    wake,
    wakeAll() {
      for (const id of [...rooms.conversations()]) wake(id);
    },
    busy: () => lines.size,
    async idle() {
      for (;;) {
        const running = [...lines.values()].map((l) => l.running).filter((p) => p !== undefined);
        if (running.length === 0) return;
        await Promise.allSettled(running);
      }
    },
  };
}
