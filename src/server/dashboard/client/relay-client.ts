import type { ServerFrame } from '../../relay/protocol.js';
import { api, ApiError } from './api.js';

export type Frame = ServerFrame;

export interface RelayClient {
  /** Joins a conversation live, replaying its history from the start (the pane redraws it). */
  join(conversationId: string): void;
  leave(conversationId: string): void;
  /** Returns the message's clientId: its ack names it. */
  /** `attachmentId`: a file uploaded to this conversation (attachments.ts) that the message shows. */
  send(conversationId: string, text: string, attachmentId?: string): string;
  watch(): void;
  close(): void;
  /** A renewed access token: the open socket re-authenticates in place (rooms and resume points kept). */
  reauth(token: string): void;
  /** After the session ended and the user logged in again: connect and resume where it stopped. */
  reconnect(): void;
}

/**
 * The browser side of /ws: reconnects with backoff, then resumes every joined conversation
 * from the last seq it saw and re-sends unacknowledged messages under their clientId (the
 * relay stores each clientId once, so a retry never doubles a message).
 */
// The server's "credential no longer good" closes: token expired (4001), account removed or
// changed (1008). Not the end of the session by themselves: the next ticket is bought with a
// renewed token, and only if renewing fails is the user logged out.
const CREDENTIAL_CLOSE = new Set([4001, 1008]);
// Refusals that stored nothing and may pass later: the message stays pending and is resent.
const RETRYABLE = new Set<string>(['FMC_ERR_RATE_LIMITED', 'FMC_ERR_STORAGE']);

export function connectRelay(token: string, onFrame: (frame: Frame) => void, onStatus: (online: boolean) => void, onLoggedOut: () => void): RelayClient {
  const lastSeq = new Map<string, number>();
  const pending = new Map<string, { conversationId: string; clientId: string; text: string; attachmentId?: string }>();
  let watching = false;
  let socket: WebSocket | undefined;
  let closed = false;
  let retryMs = 500;

  const raw = (frame: object): void => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  };

  const retry = (): void => {
    setTimeout(open, retryMs);
    retryMs = Math.min(retryMs * 2, 10_000);
  };

  // The URL carries a one-time ticket bought with the token, never the token itself: URLs
  // end up in proxy logs and browser history, and a ticket is worthless once used.
  async function open(): Promise<void> {
    let ticket: string;
    try {
      ({ ticket } = await api<{ ticket: string }>('/api/ws-ticket', { method: 'POST', token }));
    } catch (err) {
      if (closed) return;
      if (err instanceof ApiError && err.status === 401) {
        closed = true;
        onLoggedOut();
      } else retry();
      return;
    }
    if (closed) return;
    const url = new URL('/ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('ticket', ticket);
    const ws = new WebSocket(url);
    socket = ws;
    ws.addEventListener('open', () => {
      retryMs = 500;
      onStatus(true);
      if (watching) raw({ type: 'watch' });
      for (const [conversationId, afterSeq] of lastSeq) raw({ type: 'resume', conversationId, afterSeq });
      for (const p of pending.values()) raw({ type: 'send', ...p });
    });
    ws.addEventListener('message', (event) => {
      const frame = JSON.parse(String(event.data)) as Frame;
      if (frame.type === 'message') {
        const seen = lastSeq.get(frame.conversationId) ?? 0;
        if (frame.seq <= seen) return;
        lastSeq.set(frame.conversationId, frame.seq);
      }
      // A long history comes in pages: ask for the next one from where this one stopped.
      if (frame.type === 'resumed' && frame.more && lastSeq.has(frame.conversationId)) raw({ type: 'resume', conversationId: frame.conversationId, afterSeq: frame.lastSeq });
      if (frame.type === 'error' && frame.clientId && RETRYABLE.has(frame.code)) {
        // Not stored: sent again, same clientId, once the server's wait is over.
        const id = frame.clientId;
        setTimeout(() => {
          const p = pending.get(id);
          if (p) raw({ type: 'send', ...p });
        }, frame.retryAfterMs ?? 1000);
      } else if (frame.type === 'ack' || (frame.type === 'error' && frame.clientId)) pending.delete(frame.clientId!);
      onFrame(frame);
    });
    ws.addEventListener('close', (event) => {
      onStatus(false);
      if (closed) return;
      if (CREDENTIAL_CLOSE.has(event.code)) {
        void open();
        return;
      }
      retry();
    });
  }
  void open();

  return {
    join(conversationId) {
      lastSeq.set(conversationId, 0);
      raw({ type: 'resume', conversationId, afterSeq: 0 });
    },
    leave(conversationId) {
      lastSeq.delete(conversationId);
      raw({ type: 'leave', conversationId });
    },
    send(conversationId, text, attachmentId) {
      const message = { conversationId, clientId: crypto.randomUUID(), text, ...(attachmentId && { attachmentId }) };
      pending.set(message.clientId, message);
      raw({ type: 'send', ...message });
      return message.clientId;
    },
    watch() {
      watching = true;
      raw({ type: 'watch' });
    },
    close() {
      closed = true;
      socket?.close();
    },
    reauth(token) {
      raw({ type: 'auth', token });
    },
    reconnect() {
      if (!closed) return;
      closed = false;
      socket?.close();
      void open();
    },
  };
}
