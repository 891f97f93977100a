import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { hashPassword } from '../../src/auth/passwords.js';
import type { SessionStore } from '../../src/auth/sessions.js';
import { createTokenService, type TokenService } from '../../src/auth/tokens.js';
import { openDataDb, type DataDb } from '../../src/store/sqlite/data-db.js';
import { createUserStore, type Role, type UserStore } from '../../src/store/users.js';
import { silentLogger } from '../../src/log.js';
import { createPipeline, type Pipeline } from '../../src/pipeline/pipeline.js';
import { buildApp, type AppOptions } from '../../src/server/app.js';
import { tempDir } from '../helpers.js';

export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

export interface TestServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly data: DataDb;
  readonly users: UserStore;
  readonly tokens: TokenService;
  readonly pipeline: Pipeline;
  readonly dir: string;
  /** Creates a user and returns a valid token for it. */
  login(username: string, role: Role, password?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The real app on an ephemeral loopback port, over a temp data dir and cache, rules tier.
 * Rate limits are off unless a test asks for them, so tests don't trip over each other.
 */
export async function startServer(
  options: Partial<AppOptions> & {
    dataDir?: string;
    tokens?: TokenService;
    pipeline?: Pipeline;
    beforeListen?: (app: FastifyInstance) => void;
    /** Refresh sessions over the server's data DB (a test gives them a clock). */
    sessions?: (data: DataDb) => SessionStore;
  } = {},
): Promise<TestServer> {
  const { dir, cleanup } = tempDir('fmc-server-');
  const { sessions, beforeListen, dataDir: _dataDir, tokens: _tokens, pipeline: _pipeline, ...appOptions } = options;
  const dataDir = options.dataDir ?? join(dir, 'data');
  const data = openDataDb(dataDir);
  const users = createUserStore(data.db);
  const tokens = options.tokens ?? createTokenService({ secret: TEST_SECRET, ttlSeconds: 900 });
  const pipeline = options.pipeline ?? (await createPipeline({ provider: 'rules', tiers: testTierConfig, cachePath: join(dir, 'cache.sqlite') }));
  const app = await buildApp({
    pipeline,
    data,
    users,
    tokens,
    logger: silentLogger,
    ...(sessions && { sessions: sessions(data) }),
    options: {
      requireAuth: false,
      allowSignup: false,
      corsOrigins: [],
      rateLimits: { perMinute: 0, loginPerMinute: 0 },
      version: 'test',
      ...appOptions,
    },
  });
  beforeListen?.(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    data,
    users,
    tokens,
    pipeline,
    dir,
    async login(username, role, password = 'correct horse battery') {
      const user = users.add({ username, role, passwordHash: await hashPassword(password) });
      return (await tokens.issue(user)).token;
    },
    async close() {
      await app.close();
      await pipeline.close();
      data.close();
      cleanup();
    },
  };
}

export const testTierConfig = {
  gemini: { model: 'none' },
  ollama: { host: 'http://127.0.0.1:9', model: 'none' },
  // Only the rules run in these tests; the local model folder is never looked for.
  modelsDir: '/nonexistent/fmc-models',
  allowRemote: false,
  timeoutMs: 1000,
  maxWaitMs: 1000,
  rpm: 0,
} as const;

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

/** fetch + the body parsed when it is JSON. */
export async function call(url: string, init: RequestInit & { json?: unknown; token?: string } = {}): Promise<JsonResponse> {
  const headers = new Headers(init.headers);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const res = await fetch(url, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  const text = await res.text();
  let body: unknown = undefined;
  if (res.headers.get('content-type')?.includes('json')) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body, text };
}

/** Asserts the `{error:{code,message}}` shape and returns the code. */
export function errorCode(r: JsonResponse): string {
  const body = r.body as { error?: { code?: unknown; message?: unknown } } | undefined;
  if (!body?.error || typeof body.error.code !== 'string' || typeof body.error.message !== 'string') {
    throw new Error(`expected {error:{code,message}}, got ${r.status} ${r.text}`);
  }
  if (/\n\s+at /.test(r.text)) throw new Error(`stack trace in an error body: ${r.text}`);
  return body.error.code;
}
