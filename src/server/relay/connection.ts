import type { FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import type { WebSocket } from 'ws';
import type { UserStore } from '../../data/users.js';
import type { ServerMetrics } from '../metrics.js';
import type { Heartbeat } from './heartbeat.js';
import type { RelayOptions } from './options.js';
import { CLOSE_POLICY, CLOSE_TOKEN_EXPIRED, createPeer } from './peer.js';
import { parseClientFrame } from './protocol.js';
import type { Relay } from './relay.js';
import type { Rooms } from './rooms.js';

export interface ConnectionContext {
  readonly relay: Relay;
  readonly rooms: Rooms;
  readonly users: UserStore;
  readonly metrics: ServerMetrics;
  readonly heartbeat: Heartbeat;
  readonly options: RelayOptions;
  readonly onSlowConsumer: () => void;
}

// setTimeout fires at once past this (about 24.8 days): a longer FMC_TOKEN_TTL must not.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Browsers cannot set headers on a WebSocket: they pass the token as `?token=`. */
export function queryToken(request: FastifyRequest): string | undefined {
  const token = (request.query as Record<string, unknown> | undefined)?.token;
  return typeof token === 'string' && token.length > 0 ? token : undefined;
}

/** When the (already verified) token of this upgrade expires, in ms since the epoch. */
function tokenExpiry(request: FastifyRequest): number | undefined {
  const token = /^Bearer\s+(\S+)/i.exec(request.headers.authorization ?? '')?.[1] ?? queryToken(request);
  const exp = token === undefined ? undefined : decodeJwt(token).exp;
  return exp === undefined ? undefined : exp * 1000;
}

/** One authenticated socket: frames in, through the relay; its lifetime bounded by its token. */
export function handleConnection(socket: WebSocket, request: FastifyRequest, ctx: ConnectionContext): void {
  const { relay, rooms, users, metrics, options } = ctx;
  const user = request.user!;
  const peer = createPeer(socket, user, { maxQueueBytes: options.maxQueueBytes, onSlowConsumer: ctx.onSlowConsumer });
  metrics.wsConnections.inc();
  ctx.heartbeat.track(socket);
  // A socket would outlive its short-lived token otherwise: at expiry it is closed, and 4001
  // tells the client to log in again before reconnecting.
  const expiresAt = tokenExpiry(request);
  const expiry = expiresAt === undefined ? undefined : setTimeout(() => socket.close(CLOSE_TOKEN_EXPIRED, 'token expired; log in again'), Math.min(MAX_TIMER_MS, Math.max(0, expiresAt - Date.now())));
  expiry?.unref();
  socket.on('close', () => {
    clearTimeout(expiry);
    rooms.remove(peer);
    metrics.wsConnections.dec();
  });
  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      peer.send({ type: 'error', code: 'FMC_ERR_BAD_REQUEST', message: 'frames are JSON text, not binary' });
      return;
    }
    const parsed = parseClientFrame(data.toString());
    if ('error' in parsed) {
      peer.send({ type: 'error', code: 'FMC_ERR_BAD_REQUEST', message: parsed.error });
      return;
    }
    // As for REST, the account is read on every frame: a removed user or a changed role
    // takes effect at once, not when the socket happens to close.
    // A removed account's id can be given to a new one: its creation time tells them apart.
    const found = users.byId(user.id);
    const current = found && found.createdAt === user.createdAt ? found : undefined;
    if (!current || current.role !== user.role) {
      socket.close(CLOSE_POLICY, current ? 'role changed; reconnect' : 'user removed');
      return;
    }
    try {
      relay.handle(peer, parsed.frame);
    } catch (err) {
      request.log.error({ err, frame: parsed.frame.type }, 'relay frame failed');
      peer.send({ type: 'error', code: 'FMC_ERR_INTERNAL', message: `internal error; the server log has the details under request id ${request.id}` });
    }
  });
  peer.send({ type: 'hello', user: { id: user.id, username: user.username, role: user.role }, heartbeatMs: options.heartbeatMs });
}
