import type { FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import type { WebSocket } from 'ws';
import type { TokenService } from '../../auth/tokens.js';
import { FmcError } from '../../errors.js';
import type { UserStore } from '../../store/users.js';
import type { ServerMetrics } from '../metrics.js';
import type { Heartbeat } from './heartbeat.js';
import type { RelayOptions } from './options.js';
import { CLOSE_POLICY, CLOSE_TOKEN_EXPIRED, createPeer } from './peer.js';
import { parseClientFrame } from './protocol.js';
import { STORAGE_RETRY_MS, type Relay } from './relay.js';
import type { Rooms } from './rooms.js';

export interface ConnectionContext {
  readonly relay: Relay;
  readonly rooms: Rooms;
  readonly users: UserStore;
  readonly metrics: ServerMetrics;
  readonly heartbeat: Heartbeat;
  readonly options: RelayOptions;
  readonly onSlowConsumer: () => void;
  /** The expiry of a credential other than a token (a ticket carries its token's). */
  readonly expiresAt?: (request: FastifyRequest) => number | undefined;
  /** Verifies the tokens of `auth` frames (renewal without reconnecting); absent = refused. */
  readonly tokens?: TokenService;
}

// setTimeout fires at once past this (about 24.8 days): a longer FMC_TOKEN_TTL must not.
const MAX_TIMER_MS = 2 ** 31 - 1;

export function queryParam(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Browsers cannot set headers on a WebSocket: older clients pass the token as `?token=`. */
export const queryToken = (request: FastifyRequest): string | undefined => queryParam(request, 'token');

const expiryOf = (token: string | undefined): number | undefined => {
  const exp = token === undefined ? undefined : decodeJwt(token).exp;
  return exp === undefined ? undefined : exp * 1000;
};

/** When the (already verified) header token of this request expires, in ms since the epoch. */
export const headerTokenExpiry = (request: FastifyRequest): number | undefined => expiryOf(/^Bearer\s+(\S+)/i.exec(request.headers.authorization ?? '')?.[1]);

/** When the credential of this upgrade expires: the header or query token's own expiry. */
function tokenExpiry(request: FastifyRequest): number | undefined {
  return headerTokenExpiry(request) ?? expiryOf(queryToken(request));
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
  let expiry: NodeJS.Timeout | undefined;
  const closeAt = (at: number | undefined): void => {
    clearTimeout(expiry);
    if (at === undefined) return;
    expiry = setTimeout(() => socket.close(CLOSE_TOKEN_EXPIRED, 'token expired; log in again'), Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
    expiry.unref();
  };
  closeAt(ctx.expiresAt?.(request) ?? tokenExpiry(request));
  // The session key the socket's token carried (every way into /ws sets the subject with the
  // user: auth.ts, and the ticket and query token in plugin.ts): a password change (or a
  // disable) replaces the account's, and from then on this socket is refused at its next
  // frame like any old token.
  let sessionKey = request.tokenSubject!.sessionKey;
  // A renewed token moves the deadline: the socket, its rooms and its resume point stay as they are.
  const reauthenticate = async (token: string): Promise<void> => {
    try {
      if (!ctx.tokens) throw new FmcError('FMC_ERR_UNAUTHORIZED', 'this server does not renew sockets; reconnect');
      const subject = await ctx.tokens.verify(token);
      const renewed = await users.byToken(subject);
      // Another account's token, or this one changed meanwhile: this socket is not theirs to extend.
      if (!renewed || renewed.id !== user.id || renewed.createdAt !== user.createdAt || renewed.role !== user.role) {
        socket.close(CLOSE_POLICY, renewed ? 'token of another account or role; reconnect' : 'user removed or disabled');
        return;
      }
      // A token issued since a password change carries the new key: the socket goes on with it.
      sessionKey = subject.sessionKey;
      const at = expiryOf(token)!;
      closeAt(at);
      peer.send({ type: 'authed', expiresAt: new Date(at).toISOString() });
    } catch (err) {
      const e = err instanceof FmcError ? err : new FmcError('FMC_ERR_UNAUTHORIZED', 'invalid token');
      peer.send({ type: 'error', code: e.code, message: e.message });
    }
  };
  socket.on('close', () => {
    clearTimeout(expiry);
    rooms.remove(peer);
    metrics.wsConnections.dec();
  });
  let queue: Promise<void> = Promise.resolve();
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
    // One socket's frames run one after another: two sends keep their order (and their seqs)
    // even when the store answers asynchronously.
    const frame = parsed.frame;
    queue = queue.then(async () => {
      // As for REST, the account is read on every frame: a removed user or a changed role
      // takes effect at once, not when the socket happens to close. It is read in the queue,
      // before the frame it guards, since the user store may answer asynchronously (PostgreSQL).
      let found;
      try {
        found = await users.byToken({ id: user.id, sessionKey });
      } catch (err) {
        // The database is away: this frame is refused as the relay refuses a write it could
        // not make (its clientId and a retryAfterMs: the client sends it again).
        if (!(err instanceof FmcError)) request.log.error({ err }, 'reading the account failed');
        const e = err instanceof FmcError ? err : new FmcError('FMC_ERR_INTERNAL', `internal error; the server log has the details under request id ${request.id}`);
        peer.send({
          type: 'error',
          code: e.code,
          message: e.message,
          ...(frame.type === 'send' && { clientId: frame.clientId }),
          ...('conversationId' in frame && { conversationId: frame.conversationId }),
          ...(e.code === 'FMC_ERR_DB_UNAVAILABLE' && { retryAfterMs: STORAGE_RETRY_MS }),
        });
        return;
      }
      // A removed account's id can be given to a new one: its creation time tells them apart.
      const current = found && found.createdAt === user.createdAt ? found : undefined;
      if (!current || current.role !== user.role) {
        if (current) socket.close(CLOSE_POLICY, 'role changed; reconnect');
        else if ((await users.byId(user.id).catch(() => undefined))?.createdAt === user.createdAt) {
          // Same account, new session key: its password was changed. 4001 asks for a new login.
          socket.close(CLOSE_TOKEN_EXPIRED, 'password changed; log in again');
        } else socket.close(CLOSE_POLICY, 'user removed or disabled');
        return;
      }
      if (frame.type === 'auth') return reauthenticate(frame.token);
      await relay.handle(peer, frame).catch((err: unknown) => {
        request.log.error({ err, frame: frame.type }, 'relay frame failed');
        peer.send({ type: 'error', code: 'FMC_ERR_INTERNAL', message: `internal error; the server log has the details under request id ${request.id}` });
      });
    });
  });
  peer.send({ type: 'hello', user: { id: user.id, username: user.username, role: user.role }, heartbeatMs: options.heartbeatMs });
}
