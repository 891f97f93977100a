import type { WebSocket } from 'ws';
import type { User } from '../../store/users.js';
import type { ServerFrame } from './protocol.js';

/** One open socket, as the relay sees it. */
export interface Peer {
  readonly user: User;
  /**
   * Conversations this socket receives live frames for (joined by `resume`), each with the
   * last seq it was sent: the feed sends a message to a socket once, in order, from there.
   */
  readonly subscriptions: Map<string, number>;
  /** Agents' sockets that asked for conversation-list updates (`watch`). */
  watching: boolean;
  send(frame: ServerFrame): void;
  /** A frame already serialized (fan-out serializes once for the whole room). */
  sendRaw(data: string): void;
}

export const CLOSE_SLOW_CONSUMER = 1013;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY = 1008;
/** Application range (4000-4999): the token expired; log in again before reconnecting. */
export const CLOSE_TOKEN_EXPIRED = 4001;
// A close frame queued behind a backlog the client does not read may never leave.
const SLOW_CLOSE_GRACE_MS = 1000;

export interface PeerOptions {
  /** Bytes the socket may hold unsent (ws's buffer + the kernel's not-yet-accepted part). */
  readonly maxQueueBytes: number;
  readonly onSlowConsumer: () => void;
}

/**
 * A Peer over a ws socket with a bounded send queue: a client that stops reading is closed
 * (1013) once its backlog passes `maxQueueBytes`, instead of growing server memory.
 */
export function createPeer(socket: WebSocket, user: User, options: PeerOptions): Peer {
  let dropped = false;
  return {
    user,
    subscriptions: new Map(),
    watching: false,
    send(frame) {
      this.sendRaw(JSON.stringify(frame));
    },
    sendRaw(data) {
      if (dropped || socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount + Buffer.byteLength(data) > options.maxQueueBytes) {
        dropped = true;
        options.onSlowConsumer();
        socket.close(CLOSE_SLOW_CONSUMER, 'slow consumer: send queue full');
        setTimeout(() => socket.terminate(), SLOW_CLOSE_GRACE_MS).unref();
        return;
      }
      socket.send(data);
    },
  };
}
