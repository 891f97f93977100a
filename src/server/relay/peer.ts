import type { Socket } from 'node:net';
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

// Frames sent to one socket in one turn of the event loop leave in one write: the socket is
// corked at the first and uncorked once the turn's I/O callbacks have run (setImmediate). A
// write to a loopback or LAN socket costs a system call and the kernel's TCP work, which a
// busy relay paid once per frame (a third of its CPU at the relay-pg bench's load): under load
// a socket gets several frames a turn (its ack, messages read together, labels). Past
// CORK_BYTES in one turn what is held goes out at once, so the bytes held back stay small
// beside the slow-consumer bound (bufferedAmount counts them). ws writes through the
// net.Socket it was given (its private `_socket`); cork() nests, so ws's own cork/uncork
// around a frame leaves ours in place.
const CORK_BYTES = 16 * 1024;
const corked = new Map<Socket, number>();
function uncorkAll(): void {
  const sockets = [...corked.keys()];
  corked.clear();
  for (const s of sockets) s.uncork();
}
function corkForTurn(socket: WebSocket, bytes: number): void {
  const raw = (socket as unknown as { _socket?: Socket })._socket;
  if (!raw || raw.destroyed) return;
  const held = corked.get(raw);
  if (held === undefined) {
    if (corked.size === 0) setImmediate(uncorkAll);
    raw.cork();
    corked.set(raw, bytes);
  } else if (held + bytes > CORK_BYTES) {
    raw.uncork();
    raw.cork();
    corked.set(raw, bytes);
  } else {
    corked.set(raw, held + bytes);
  }
}

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
      const bytes = Buffer.byteLength(data);
      corkForTurn(socket, bytes);
      if (socket.bufferedAmount + bytes > options.maxQueueBytes) {
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
