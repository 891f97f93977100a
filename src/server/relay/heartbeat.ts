import type { WebSocket } from 'ws';

export interface Heartbeat {
  track(socket: WebSocket): void;
  stop(): void;
}

/**
 * One timer for every socket (not one per connection): each tick terminates the sockets that
 * did not answer the last ping and pings the rest. A peer that vanished without a FIN (a
 * laptop closed, a NAT dropping state) is noticed within two intervals.
 */
export function startHeartbeat(intervalMs: number, onDead: () => void): Heartbeat {
  const alive = new Map<WebSocket, boolean>();
  const timer = setInterval(() => {
    for (const [socket, answered] of alive) {
      if (!answered) {
        alive.delete(socket);
        onDead();
        socket.terminate();
        continue;
      }
      alive.set(socket, false);
      socket.ping();
    }
  }, intervalMs);
  timer.unref();
  return {
    track(socket) {
      alive.set(socket, true);
      socket.on('pong', () => {
        if (alive.has(socket)) alive.set(socket, true);
      });
      socket.once('close', () => alive.delete(socket));
    },
    stop: () => clearInterval(timer),
  };
}
