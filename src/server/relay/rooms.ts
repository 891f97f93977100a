import type { Peer } from './peer.js';
import type { ServerFrame } from './protocol.js';

/** Who receives what: sockets by conversation, and the agents watching the list. */
export interface Rooms {
  /** Live frames from now on; messages after `lastSeq` (what the socket was already sent). */
  join(peer: Peer, conversationId: string, lastSeq: number): void;
  leave(peer: Peer, conversationId: string): void;
  watch(peer: Peer): void;
  /** Forgets a closed socket everywhere. */
  remove(peer: Peer): void;
  /** To every socket in the conversation (that `to` accepts), in call order. */
  publish(conversationId: string, frame: ServerFrame, to?: (peer: Peer) => boolean): void;
  publishToWatchers(frame: ServerFrame): void;
  /** Whether anyone watches: summaries cost a query and a decryption, skipped when nobody looks. */
  hasWatchers(): boolean;
  /** The sockets in a conversation (the feed sends each its messages from its own last seq). */
  peersIn(conversationId: string): ReadonlySet<Peer> | undefined;
  /** Every conversation someone here follows (a catch-up after a lost wake-up reads them all). */
  conversations(): IterableIterator<string>;
}

export function createRooms(): Rooms {
  const byConversation = new Map<string, Set<Peer>>();
  const watchers = new Set<Peer>();
  const leave = (peer: Peer, conversationId: string): void => {
    peer.subscriptions.delete(conversationId);
    const room = byConversation.get(conversationId);
    room?.delete(peer);
    if (room?.size === 0) byConversation.delete(conversationId);
  };
  return {
    join(peer, conversationId, lastSeq) {
      peer.subscriptions.set(conversationId, lastSeq);
      let room = byConversation.get(conversationId);
      if (!room) byConversation.set(conversationId, (room = new Set()));
      room.add(peer);
    },
    leave,
    watch(peer) {
      peer.watching = true;
      watchers.add(peer);
    },
    remove(peer) {
      for (const id of [...peer.subscriptions.keys()]) leave(peer, id);
      watchers.delete(peer);
    },
    publish(conversationId, frame, to) {
      const room = byConversation.get(conversationId);
      if (!room) return;
      const data = JSON.stringify(frame);
      for (const peer of room) if (!to || to(peer)) peer.sendRaw(data);
    },
    publishToWatchers(frame) {
      const data = JSON.stringify(frame);
      for (const peer of watchers) peer.sendRaw(data);
    },
    hasWatchers: () => watchers.size > 0,
    peersIn: (conversationId) => byConversation.get(conversationId),
    conversations: () => byConversation.keys(),
  };
}
