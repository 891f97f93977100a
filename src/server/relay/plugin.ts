import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import type { WebSocket } from 'ws';
import type { TokenService } from '../../auth/tokens.js';
import type { DataDb } from '../../store/sqlite/data-db.js';
import type { UserStore } from '../../store/users.js';
import { FmcError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import type { ServerMetrics } from '../metrics.js';
import { errorSchema } from '../errors.js';
import type { AttachmentStore } from '../../attachments/store.js';
import type { CorrectionStore } from '../../corrections/store.js';
import { openPgAttachments } from '../../store/pg/attachments.js';
import { openPgCorrections } from '../../store/pg/corrections.js';
import { openSqliteAttachments } from '../../store/sqlite/attachments.js';
import { openSqliteCorrections } from '../../store/sqlite/corrections.js';
import { attachmentRoutes } from '../routes/attachments.js';
import { adminRoutes } from '../routes/admin.js';
import { versionLookup } from '../../corrections/version.js';
import { conversationRoutes } from '../routes/conversations.js';
import { consoleRoutes } from '../routes/console.js';
import { correctionRoutes } from '../routes/corrections.js';
import { DEFAULT_SLA_MINUTES, type SlaTargets } from '../console/sla.js';
import { createChatClassifier } from './chat-classifier.js';
import { handleConnection, headerTokenExpiry, queryParam, queryToken } from './connection.js';
import { startHeartbeat } from './heartbeat.js';
import { openKeyring, type Keyring, type MasterKeySource } from './keyring.js';
import { openPgKeyring } from './pg/keyring.js';
import { cacheAccounts } from './pg/account-cache.js';
import { startListener, type Listener } from './pg/listener.js';
import { createPgRateLimiter } from './pg/rate-limit.js';
import { createPgRelayStore } from './pg/store.js';
import type { RelayStore } from './relay-store.js';
import type { HealthCheck } from '../../tiers/tier.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { DEFAULT_RELAY_OPTIONS, type RelayOptions } from './options.js';
import { CLOSE_GOING_AWAY } from './peer.js';
import { createRateLimiter, type RateLimiter } from './rate-limit.js';
import { createRelay, type Relay, type RelayDeps } from './relay.js';
import { createRooms } from './rooms.js';
import { createTicketStore } from './tickets.js';
import { createConversationStore } from './store.js';
import { createFeed } from './feed.js';
import { sqliteRelayStore } from './relay-store.js';
import type { LiveTrends } from '../../report/live.js';

export interface RelayPluginDeps {
  readonly pipeline: Pipeline;
  readonly data: DataDb;
  readonly users: UserStore;
  readonly tokens: TokenService;
  readonly masterKey: MasterKeySource;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly options?: RelayOptions;
  /** The Trends view: fed each labeled customer message; its alerts go to watching agents. */
  readonly trends?: LiveTrends;
  /** The console's answer-time targets per urgency (FMC_SLA_MINUTES). */
  readonly sla?: SlaTargets;
  /** PostgreSQL mode: conversations in the shared database, fan-out across instances. */
  readonly pg?: RelayPg;
}

/** The relay's share of a PostgreSQL database (store/pg/database.ts opens and migrates it). */
export interface RelayPg {
  readonly pool: pg.Pool;
  readonly url: string;
  /** This instance's name in the NOTIFY payloads (default: host, pid and a random part). */
  readonly instance?: string;
}

/** What the relay plugin gives back: the relay, and (PostgreSQL mode) its LISTEN health. */
export interface RegisteredRelay {
  readonly relay: Relay;
  readonly listen?: () => HealthCheck;
}

// Sockets still open at shutdown get a 1001 and this long to answer before being cut.
const CLOSE_GRACE_MS = 1000;


function relayMetrics(metrics: ServerMetrics) {
  const registers = [metrics.registry];
  return {
    messages: new Counter({ name: 'fmc_relay_messages_total', help: 'Chat messages stored, by sender role', labelNames: ['role'], registers }),
    closed: new Counter({ name: 'fmc_ws_closed_total', help: 'WebSocket connections closed by the server, by reason', labelNames: ['reason'], registers }),
  };
}

/**
 * The chat relay: `/ws`, the conversation routes, and the encrypted store under them. The
 * master key is checked here, before the server listens: a wrong or exposed key stops start-up.
 */
export async function registerRelay(app: FastifyInstance, deps: RelayPluginDeps): Promise<RegisteredRelay> {
  const options = deps.options ?? DEFAULT_RELAY_OPTIONS;
  const counters = relayMetrics(deps.metrics);
  const rooms = createRooms();
  const classifier = createChatClassifier(deps.pipeline);
  const backend = deps.pg ? await pgBackend(deps.pg, deps.masterKey, options) : sqliteBackend(deps.data, deps.masterKey, options);
  // Corrections and attachments live where the conversations do (PostgreSQL: shared by every instance).
  const { store, corrections, attachments } = backend;
  const versionOf = versionLookup(deps.pipeline.tiers);
  // Messages read back from the store show their files (the store joins them), as those stored here do.
  const feed = createFeed(store, rooms, deps.logger);
  const relay = createRelay({
    attachments,
    store,
    rooms,
    feed,
    rate: backend.rate,
    classifier,
    limits: options.limits,
    logger: deps.logger,
    onStored: (message) => counters.messages.inc({ role: message.sender.role }),
    versionOf,
    ...backend.writes,
    findUser: (username) => deps.users.byName(username),
    onLabels: (labels, message) => deps.trends?.recordChat(labels, message.text, Date.parse(message.createdAt)),
  });
  let listener: Listener | undefined;
  // The account each socket frame checks: from memory while LISTEN hears the accounts' notices.
  const accounts = deps.pg ? cacheAccounts(deps.users, () => listener?.status().ok ?? false) : undefined;
  if (deps.pg) {
    const own = backend.instance;
    const log = (what: string) => (err: unknown) => deps.logger.warn({ err: (err as Error).message }, `relay: ${what} from another instance not passed on`);
    listener = await startListener({
      url: deps.pg.url,
      logger: deps.logger,
      onNotice(notice) {
        // Messages: every notice, own ones too (the feed drops what it already sent).
        if (notice.kind === 'message') {
          backend.heard?.(notice.conversationId, notice.seq);
          feed.wake(notice.conversationId, notice.seq);
          if (notice.instance !== own) void relay.remote.message(notice.conversationId).catch(log('a conversation summary'));
          return;
        }
        if (notice.kind === 'user') return accounts?.forget(notice.userId);
        if (notice.instance === own) return;
        if (notice.kind === 'labels') void relay.remote.labels(notice.conversationId, notice.seq).catch(log('labels'));
        else void relay.remote.conversation(notice.conversationId).catch(log('a conversation change'));
      },
      onResync() {
        accounts?.clear();
        feed.wakeAll();
        void relay.remote.refresh().catch(log('the conversation list'));
      },
    });
    app.addHook('onClose', async () => listener?.close());
  }
  // Agents watching the conversation list hear of spikes and of fresh figures.
  deps.trends?.subscribe((event) => rooms.publishToWatchers(event));
  const heartbeat = startHeartbeat(options.heartbeatMs, () => counters.closed.inc({ reason: 'dead_peer' }));

  await app.register(websocket, {
    options: { maxPayload: options.maxPayloadBytes },
    // The plugin's default logs every socket error at error level and cuts the socket. A
    // protocol error (oversized or malformed frame) is the client's fault: ws has already
    // sent the close frame saying why (1009, 1002), so it is counted and left to finish.
    errorHandler(err, socket, request) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code.startsWith('WS_ERR_')) {
        counters.closed.inc({ reason: code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'too_large' : 'protocol_error' });
        request.log.info({ code }, 'websocket closed: protocol error');
        return;
      }
      request.log.warn({ err }, 'websocket error');
      socket.terminate();
    },
    async preClose() {
      const clients = [...app.websocketServer.clients];
      for (const socket of clients) socket.close(CLOSE_GOING_AWAY, 'server shutting down');
      await Promise.race([
        Promise.all(clients.map((s) => (s.readyState === s.CLOSED ? undefined : new Promise((resolve) => s.once('close', resolve))))),
        new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref()),
      ]);
      for (const socket of app.websocketServer.clients) socket.terminate();
    },
  });
  app.addHook('onClose', async () => {
    heartbeat.stop();
    // Labels still being computed are written before the data DB is closed.
    await relay.idle();
  });

  const tickets = createTicketStore();
  // Sockets opened with a ticket close when the token it was bought with expires.
  const ticketExpiry = new WeakMap<FastifyRequest, number>();

  app.post(
    '/api/ws-ticket',
    { config: { access: 'user' }, schema: { response: { 200: { type: 'object', properties: { ticket: { type: 'string' }, expiresAt: { type: 'string' } } }, '4xx': errorSchema } } },
    async (request) => {
      const account = await deps.users.byName(request.user!.username);
      if (!account) throw new FmcError('FMC_ERR_UNAUTHORIZED', 'the user of this token no longer exists');
      return tickets.issue({ subject: { id: account.id, sessionKey: account.sessionKey }, tokenExpiresAt: headerTokenExpiry(request) });
    },
  );

  app.route({
    method: 'GET',
    url: '/ws',
    config: { access: 'user' },
    // The header token was resolved by the global auth hook; this adds the browsers' ways:
    // a one-time ticket (POST /api/ws-ticket), or the token itself (kept for older clients).
    onRequest: async (request) => {
      if (request.user || request.authError) return;
      const ticket = queryParam(request, 'ticket');
      const token = queryToken(request);
      try {
        if (ticket !== undefined) {
          const grant = tickets.redeem(ticket);
          if (!grant) throw new FmcError('FMC_ERR_UNAUTHORIZED', 'unknown, used or expired ticket; get a new one (POST /api/ws-ticket) and connect within 30 s');
          const user = await deps.users.byToken(grant.subject);
          if (!user) throw new FmcError('FMC_ERR_UNAUTHORIZED', 'the user of this ticket no longer exists');
          request.user = user;
          request.tokenSubject = grant.subject;
          if (grant.tokenExpiresAt !== undefined) ticketExpiry.set(request, grant.tokenExpiresAt);
          return;
        }
        if (token === undefined) return;
        const subject = await deps.tokens.verify(token);
        const user = await deps.users.byToken(subject);
        if (!user) throw new FmcError('FMC_ERR_UNAUTHORIZED', 'the user of this token no longer exists');
        request.user = user;
        request.tokenSubject = subject;
      } catch (err) {
        request.authError = err instanceof FmcError ? err : new FmcError('FMC_ERR_UNAUTHORIZED', 'invalid token');
      }
    },
    handler: async () => {
      throw new FmcError('FMC_ERR_BAD_REQUEST', 'GET /ws is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)');
    },
    wsHandler: (socket: WebSocket, request: FastifyRequest) =>
      handleConnection(socket, request, {
        relay,
        rooms,
        users: accounts?.users ?? deps.users,
        metrics: deps.metrics,
        heartbeat,
        options,
        tokens: deps.tokens,
        expiresAt: (request) => ticketExpiry.get(request),
        onSlowConsumer: () => counters.closed.inc({ reason: 'slow_consumer' }),
      }),
  });

  await app.register(conversationRoutes, { relay });
  await app.register(attachmentRoutes, { attachments });
  await app.register(adminRoutes, { users: deps.users, store, corrections, sla: deps.sla ?? DEFAULT_SLA_MINUTES });
  await app.register(consoleRoutes, { relay, users: deps.users, sla: deps.sla ?? DEFAULT_SLA_MINUTES });
  await app.register(correctionRoutes, { relay, corrections, pipeline: deps.pipeline, versionOf });
  return { relay, ...(listener && { listen: () => listener.status() }) };
}

interface Backend {
  readonly keyring: Keyring;
  readonly store: RelayStore;
  readonly corrections: CorrectionStore;
  readonly attachments: AttachmentStore;
  readonly rate: RateLimiter;
  readonly instance?: string;
  readonly writes: Pick<RelayDeps, 'onWriteFailure' | 'onWrite' | 'isRetryable'>;
  /** PostgreSQL: another instance's message seq, heard on LISTEN (the next send here guesses from it). */
  readonly heard?: (conversationId: string, seq: number) => void;
}

/** One server per data dir: conversations in the SQLite data DB, fan-out in this process. */
function sqliteBackend(data: DataDb, masterKey: MasterKeySource, options: RelayOptions): Backend {
  const keyring = openKeyring(data.db, masterKey);
  const corrections = openSqliteCorrections(data.db, () => keyring);
  const lastSeq = data.db.prepare('SELECT last_seq FROM conversations WHERE id = ?').pluck();
  return {
    keyring,
    corrections,
    attachments: openSqliteAttachments(data.db, () => keyring),
    store: sqliteRelayStore(createConversationStore(data.db, keyring), corrections, (id) => lastSeq.get(id) as number),
    rate: createRateLimiter(options.rate),
    writes: { onWriteFailure: (err) => data.writeFailed(err), onWrite: () => data.wrote() },
  };
}

/** Several servers on one database: the tables are the log, NOTIFY the wake-up, limits shared. */
async function pgBackend(db: RelayPg, masterKey: MasterKeySource, options: RelayOptions): Promise<Backend> {
  const keyring = await openPgKeyring(db.pool, masterKey);
  const instance = db.instance ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const store = createPgRelayStore(db.pool, keyring, { url: db.url, instance, rate: options.rate });
  return {
    keyring,
    instance,
    corrections: openPgCorrections(db.pool, db.url, async () => keyring),
    attachments: openPgAttachments(db.pool, db.url, keyring),
    store,
    heard: (conversationId, seq) => store.heard(conversationId, seq),
    rate: createPgRateLimiter(db.pool, options.rate, db.url),
    writes: { isRetryable: (err) => err instanceof FmcError && err.code === 'FMC_ERR_DB_UNAVAILABLE' },
  };
}
