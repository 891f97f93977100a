import type { Peer } from './peer.js';
import type { ServerFrame } from './protocol.js';

/** Who receives what: sockets by conversation, and the agents watching the list. */
export interface Rooms {
  join(peer: Peer, conversationId: string): void;
  leave(peer: Peer, conversationId: string): void;
  watch(peer: Peer): void;
  /** Forgets a closed socket everywhere. */
  remove(peer: Peer): void;
  /** To every socket in the conversation (that `to` accepts), in call order. */
  publish(conversationId: string, frame: ServerFrame, to?: (peer: Peer) => boolean): void;
  publishToWatchers(frame: ServerFrame): void;
  /** Whether anyone watches: summaries cost a query and a decryption, skipped when nobody looks. */
  hasWatchers(): boolean;
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
    join(peer, conversationId) {
      peer.subscriptions.add(conversationId);
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
      for (const id of [...peer.subscriptions]) leave(peer, id);
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
  };
}
