import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { hashPassword } from '../../src/auth/passwords.js';
import type { SessionStore } from '../../src/auth/sessions.js';
import { createTokenService, type TokenService } from '../../src/auth/tokens.js';
import { openDataDb, type DataDb } from '../../src/store/sqlite/data-db.js';
import { createUserStore } from '../../src/store/sqlite/users.js';
import type { Role, UserStore } from '../../src/store/users.js';
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

/** Apps answering through Fastify's inject(), under the made-up origin `call` sees in their url. */
const injected = new Map<string, FastifyInstance>();
let injectedCount = 0;

/**
 * The real app over a temp data dir and cache, rules tier: on an ephemeral loopback port, or
 * with `inject: true` on none, its requests made by `call` through Fastify's inject() (for
 * tests of what the app answers, where a socket is not the point). Rate limits are off
 * unless a test asks for them, so tests don't trip over each other.
 */
export async function startServer(
  options: Partial<AppOptions> & {
    dataDir?: string;
    tokens?: TokenService;
    pipeline?: Pipeline;
    beforeListen?: (app: FastifyInstance) => void;
    /** Refresh sessions over the server's data DB (a test gives them a clock). */
    sessions?: (data: DataDb) => SessionStore;
    /** No socket: `call` reaches the app through Fastify's inject(). */
    inject?: boolean;
  } = {},
): Promise<TestServer> {
  const { dir, cleanup } = tempDir('fmc-server-');
  const { sessions, beforeListen, inject, dataDir: _dataDir, tokens: _tokens, pipeline: _pipeline, ...appOptions } = options;
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
  let url: string;
  if (inject) {
    await app.ready();
    url = `http://inject-${++injectedCount}.invalid`;
    injected.set(url, app);
  } else {
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }
  return {
    url,
    app,
    data,
    users,
    tokens,
    pipeline,
    dir,
    async login(username, role, password = 'correct horse battery') {
      const user = await users.add({ username, role, passwordHash: await hashPassword(password) });
      return (await tokens.issue(user)).token;
    },
    async close() {
      injected.delete(url);
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

/** fetch (or, for a server started with `inject: true`, Fastify's inject()) + the body parsed when it is JSON. */
export async function call(url: string, init: RequestInit & { json?: unknown; token?: string } = {}): Promise<JsonResponse> {
  const headers = new Headers(init.headers);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const payload = init.json !== undefined ? JSON.stringify(init.json) : init.body;
  const target = new URL(url);
  const app = injected.get(target.origin);
  let status: number;
  let resHeaders: Headers;
  let text: string;
  if (app) {
    const requestHeaders: Record<string, string> = {};
    headers.forEach((value, name) => (requestHeaders[name] = value));
    const res = await app.inject({
      method: (init.method ?? 'GET') as 'GET',
      url: target.pathname + target.search,
      headers: requestHeaders,
      ...(payload === undefined || payload === null ? {} : { payload: payload as string | Buffer }),
    });
    status = res.statusCode;
    resHeaders = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) resHeaders.append(name, String(v));
    }
    text = res.body;
  } else {
    const res = await fetch(url, { ...init, headers, body: payload });
    status = res.status;
    resHeaders = res.headers;
    text = await res.text();
  }
  let body: unknown = undefined;
  if (resHeaders.get('content-type')?.includes('json')) body = JSON.parse(text);
  return { status, headers: resHeaders, body, text };
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
