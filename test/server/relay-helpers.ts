import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { hashPassword } from '../../src/auth/passwords.js';
import { createTokenService, type TokenService } from '../../src/auth/tokens.js';
import { openDataDb, type DataDb } from '../../src/store/sqlite/data-db.js';
import { createUserStore } from '../../src/store/sqlite/users.js';
import type { Role, UserStore } from '../../src/store/users.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { createPipeline, type Pipeline } from '../../src/pipeline/pipeline.js';
import { buildApp } from '../../src/server/app.js';
import type { LiveTrends } from '../../src/report/live.js';
import type { MasterKeySource } from '../../src/server/relay/keyring.js';
import { DEFAULT_RELAY_OPTIONS, type RelayOptions } from '../../src/server/relay/options.js';
import type { ServerFrame } from '../../src/server/relay/protocol.js';
import { tempDir } from '../helpers.js';
import { call, TEST_SECRET, testTierConfig } from './helpers.js';

export interface RelayServer {
  readonly url: string;
  readonly wsUrl: string;
  readonly app: FastifyInstance;
  readonly data: DataDb;
  readonly users: UserStore;
  readonly dir: string;
  readonly dataDir: string;
  readonly cachePath: string;
  /** Creates a user; returns its token. */
  user(username: string, role: Role): Promise<string>;
  /** Stops the app and closes the DB; keeps the directory (a test may start again over it). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export interface RelayServerOptions {
  readonly relay?: Partial<RelayOptions>;
  readonly masterKey?: MasterKeySource;
  /** Reuse a directory (restart over the same data and cache). */
  readonly dir?: string;
  readonly logger?: Logger;
  readonly pipeline?: (cachePath: string) => Promise<Pipeline>;
  readonly requireAuth?: boolean;
  /** The Trends view's live figures (a test may fill in history first). */
  readonly trends?: LiveTrends;
  /** Access-token lifetime (default 900 s): the session tests make it a couple of seconds. */
  readonly tokenTtlSeconds?: number;
}

const PASSWORD = 'correct horse battery';

/** The real app with the relay, on an ephemeral loopback port, over a temp data dir and cache. */
export async function startRelayServer(options: RelayServerOptions = {}): Promise<RelayServer> {
  const temp = options.dir === undefined ? tempDir('fmc-relay-') : { dir: options.dir, cleanup: () => undefined };
  const dataDir = join(temp.dir, 'data');
  const cachePath = join(temp.dir, 'cache', 'cache.sqlite');
  const data = openDataDb(dataDir);
  const users = createUserStore(data.db);
  const tokens: TokenService = createTokenService({ secret: TEST_SECRET, ttlSeconds: options.tokenTtlSeconds ?? 900 });
  const pipeline = options.pipeline ? await options.pipeline(cachePath) : await createPipeline({ provider: 'rules', tiers: testTierConfig, cachePath });
  const app = await buildApp({
    pipeline,
    data,
    users,
    tokens,
    logger: options.logger ?? silentLogger,
    ...(options.trends && { trends: options.trends }),
    relay: { masterKey: options.masterKey ?? { kind: 'file', dataDir }, options: { ...DEFAULT_RELAY_OPTIONS, rate: { burst: 1000, perSecond: 1000 }, ...options.relay } },
    options: { requireAuth: options.requireAuth ?? false, allowSignup: false, corsOrigins: [], rateLimits: { perMinute: 0, loginPerMinute: 0 }, version: 'test' },
  }).catch(async (err: unknown) => {
    // A refused start (wrong or exposed master key) must not leave the DB open.
    await pipeline.close();
    data.close();
    throw err;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await app.close();
    await pipeline.close();
    data.close();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    app,
    data,
    users,
    dir: temp.dir,
    dataDir,
    cachePath,
    async user(username, role) {
      const existing = await users.byName(username);
      const user = existing ?? await users.add({ username, role, passwordHash: await hashPassword(PASSWORD) });
      return (await tokens.issue(user)).token;
    },
    stop,
    async close() {
      await stop();
      temp.cleanup();
    },
  };
}

export const TEST_PASSWORD = PASSWORD;

/** A customer's new conversation id. */
export async function openConversation(server: RelayServer, customerToken: string): Promise<string> {
  const r = await call(`${server.url}/api/conversations`, { method: 'POST', token: customerToken });
  if (r.status !== 201) throw new Error(`POST /api/conversations: ${r.status} ${r.text}`);
  return (r.body as { id: string }).id;
}

export interface Client {
  readonly ws: WebSocket;
  readonly frames: ServerFrame[];
  send(frame: Record<string, unknown>): void;
  /** The first frame (from the start of the connection) that matches, waiting for it if needed. */
  waitFor<T extends ServerFrame['type']>(type: T, match?: (f: Extract<ServerFrame, { type: T }>) => boolean, timeoutMs?: number): Promise<Extract<ServerFrame, { type: T }>>;
  /** Resolves with the close code. */
  readonly closed: Promise<number>;
  close(): Promise<void>;
}

/** A `ws` client that logs in with a header (Node's way) or `?token=` (the browsers' way). */
export function connect(server: RelayServer, token: string, via: 'header' | 'query' = 'header', wsOptions: WebSocket.ClientOptions = {}): Promise<Client> {
  const url = via === 'query' ? `${server.wsUrl}?token=${encodeURIComponent(token)}` : server.wsUrl;
  const ws = new WebSocket(url, { ...wsOptions, headers: via === 'header' ? { authorization: `Bearer ${token}` } : {} });
  const frames: ServerFrame[] = [];
  const listeners = new Set<() => void>();
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()) as ServerFrame);
    for (const l of [...listeners]) l();
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  const client: Client = {
    ws,
    frames,
    send: (frame) => ws.send(JSON.stringify(frame)),
    waitFor(type, match, timeoutMs = 5000) {
      type F = Extract<ServerFrame, { type: typeof type }>;
      const find = (): F | undefined => frames.find((f): f is F => f.type === type && (!match || match(f as F)));
      const found = find();
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${type} frame within ${timeoutMs} ms; got ${JSON.stringify(frames.map((f) => f.type))}`));
        }, timeoutMs);
        const check = (): void => {
          const f = find();
          if (!f) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(f);
        };
        listeners.add(check);
      });
    },
    closed,
    async close() {
      if (ws.readyState === ws.CLOSED) return;
      ws.close();
      await closed;
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
  });
}

export const clientId = (): string => randomBytes(8).toString('hex');
