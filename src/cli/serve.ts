import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createTokenService } from '../auth/tokens.js';
import { loadConfig, loadServerEnv } from '../config.js';
import { openDataDb } from '../store/sqlite/data-db.js';
import { openAccounts } from '../server/accounts.js';
import { openPgCorrections } from '../store/pg/corrections.js';
import { openSqliteCorrections } from '../store/sqlite/corrections.js';
import { openKeyring } from '../server/relay/keyring.js';
import { openPgKeyring } from '../server/relay/pg/keyring.js';
import { FmcError } from '../errors.js';
import { createLogger } from '../log.js';
import { createPipeline } from '../pipeline/pipeline.js';
import { buildApp } from '../server/app.js';
import { DEFAULT_RATE_LIMITS } from '../server/limits.js';
import { lockDataDir } from '../server/relay/data-lock.js';
import { DEFAULT_RELAY_OPTIONS } from '../server/relay/options.js';
import { databaseUrlOf, describeDatabase } from '../store/database-url.js';
import { openPgDatabase } from '../store/pg/database.js';
import { warmRelayConnection } from '../server/relay/pg/warm.js';
import { masterKeySource } from '../server/relay/master-key.js';
import { VERSION } from '../version.js';
import type { ClassifyOptions } from './classify-command.js';
import { pipelineOptionsFrom } from './chain-options.js';
import { processIO, type CommandIO } from './command-io.js';
import { announceStartup, modelToBuild } from './startup.js';

export interface ServeOptions extends Pick<ClassifyOptions, 'provider' | 'concurrency' | 'batchSize' | 'cache' | 'logLevel' | 'modelDir' | 'allowRemote' | 'timeout' | 'maxWait' | 'rpm' | 'escalateBelow'> {
  port: number;
  host: string;
  dataDir?: string;
  /** PostgreSQL (--database-url, else FMC_DATABASE_URL): conversations shared by several instances. */
  databaseUrl?: string;
  /** undefined: on unless the host is loopback. */
  requireAuth?: boolean;
  allowSignup?: boolean;
  /** Requests per minute per IP / per user; 0 = off. */
  rateLimit?: number;
  /** Proxies whose X-Forwarded-For is believed (--trust-proxy). */
  trustProxy?: string[];
}

export const JWT_SECRET_FILE = 'jwt-secret';
// Orchestrators SIGKILL about 10 s after SIGTERM; the last second is for closing tiers and DBs.
const DRAIN_MS = 9_000;

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/** Where a person opens the dashboard: a wildcard bind is reachable on loopback too. */
export function dashboardUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : isIP(host) === 6 ? `[${host}]` : host;
  return `http://${shown}:${port}/`;
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** `fmc serve`: listens until SIGTERM/SIGINT, then drains in-flight requests and closes. */
export async function serve(options: ServeOptions, io: CommandIO = processIO()): Promise<number> {
  const config = loadConfig(io.env);
  const serverEnv = loadServerEnv(io.env);
  const logger = createLogger(options.logLevel ?? config.logLevel);
  const requireAuth = options.requireAuth ?? !isLoopback(options.host);
  if (!requireAuth && !isLoopback(options.host)) logger.warn({ host: options.host }, 'serving /api/classify without auth on a non-loopback address (--no-require-auth)');

  const dataDir = options.dataDir ?? config.dataDir;
  const masterKey = masterKeySource(serverEnv.masterKey, dataDir);
  const databaseUrl = databaseUrlOf(options.databaseUrl, config);
  // Connected (and migrated) first: a wrong URL is one line, before anything else starts.
  const pgDb = databaseUrl === undefined ? undefined : await openPgDatabase(databaseUrl, { applicationName: 'fmc serve', warm: warmRelayConnection });
  let data;
  try {
    data = openDataDb(dataDir);
  } catch (err) {
    await pgDb?.close();
    throw err;
  }
  // One server per data dir only when the data dir holds the conversations: with PostgreSQL,
  // instances share the database (and may share a data dir for the users and secrets).
  let lock: { release(): void };
  try {
    lock = pgDb ? { release: () => undefined } : lockDataDir(dataDir, 'fmc serve');
  } catch (err) {
    data.close();
    throw err;
  }
  let chain = pipelineOptionsFrom(config, options);
  try {
    // The agents' stored corrections join the LLM tiers' example pool, after the bundled
    // tweets and --examples files (a corrected text takes its corrected labels); the pool's
    // digest, hence the prompt hash and the cache keys, changes with them.
    // With PostgreSQL, every instance's: the same pool, hence the same prompt, on each of them.
    const stored = pgDb ? openPgCorrections(pgDb.pool, pgDb.url, () => openPgKeyring(pgDb.pool, masterKey)) : openSqliteCorrections(data.db, () => openKeyring(data.db, masterKey));
    const corrected = (await stored.list()).map((c) => ({ text: c.text, labels: c.labels }));
    if (corrected.length > 0) chain = { ...chain, tiers: { ...chain.tiers, exampleRows: corrected } };
  } catch (err) {
    data.close();
    lock.release();
    await pgDb?.close();
    throw err;
  }
  const notice = announceStartup(io.stderr, await modelToBuild(options.provider, chain.tiers));
  const pipeline = await createPipeline({ ...chain, logger }).finally(() => notice.done()).catch((err: unknown) => {
    data.close();
    lock.release();
    void pgDb?.close();
    throw err;
  });
  const closeAll = async (): Promise<void> => {
    await pipeline.close();
    data.close();
    lock.release();
    await pgDb?.close();
  };

  let app;
  try {
    // With PostgreSQL, the users, their sessions and the token secret are the database's:
    // a user added once logs in anywhere, and a token from one instance is good on the others.
    const accounts = await openAccounts({
      data,
      secretFile: join(dataDir, JWT_SECRET_FILE),
      pg: pgDb,
      jwtSecret: serverEnv.jwtSecret,
      refreshTtlSeconds: serverEnv.refreshTtlSeconds,
    });
    app = await buildApp({
      pipeline,
      data,
      users: accounts.users,
      sessions: accounts.sessions,
      tokens: createTokenService({ secret: accounts.secret, ttlSeconds: serverEnv.tokenTtlSeconds }),
      logger,
      relay: { masterKey, sla: serverEnv.slaMinutes, ...(serverEnv.chatRate && { options: { ...DEFAULT_RELAY_OPTIONS, rate: serverEnv.chatRate } }), ...(pgDb && { pg: { pool: pgDb.pool, url: pgDb.url } }) },
      options: {
        requireAuth,
        allowSignup: options.allowSignup ?? false,
        corsOrigins: serverEnv.corsOrigins,
        rateLimits: { ...DEFAULT_RATE_LIMITS, perMinute: options.rateLimit ?? DEFAULT_RATE_LIMITS.perMinute },
        version: VERSION,
        trustProxy: options.trustProxy,
        refreshTtlSeconds: serverEnv.refreshTtlSeconds,
      },
    });
    // Registered before listen, so a signal during start-up is not the default "exit now".
    const signal = waitForSignal();
    try {
      await app.listen({ port: options.port, host: options.host });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new FmcError('FMC_ERR_LISTEN', `cannot listen on ${options.host}:${options.port} (${code}); choose another --port or --host`);
    }
    const { port } = app.server.address() as AddressInfo;
    const shownHost = isIP(options.host) === 6 ? `[${options.host}]` : options.host;
    // The one line tests and people wait for; port 0 asks the OS, so this says which it chose.
    io.stderr.write(`fmc serve: listening on http://${shownHost}:${port} (auth ${requireAuth ? 'required' : 'optional'} for /api/classify, data in ${dataDir}${databaseUrl ? `, conversations and users in PostgreSQL ${describeDatabase(databaseUrl)}` : ''})\n`);
    io.stderr.write(`fmc serve: dashboard at ${dashboardUrl(options.host, port)} (log in with a user made by \`fmc users add\`); Ctrl-C stops\n`);

    const received = await signal;
    logger.info({ signal: received }, 'shutting down: no new connections, draining in-flight requests');
    return await drain(app, logger);
  } catch (err) {
    await app?.close();
    throw err;
  } finally {
    await closeAll();
  }
}

/** app.close() waits for in-flight requests; past the budget, open sockets are cut. */
async function drain(app: Awaited<ReturnType<typeof buildApp>>, logger: ReturnType<typeof createLogger>): Promise<number> {
  let timedOut = false;
  const cut = (): void => {
    timedOut = true;
    app.server.closeAllConnections();
  };
  const timer = setTimeout(() => {
    logger.warn({ ms: DRAIN_MS }, 'drain budget spent; closing the remaining connections');
    cut();
  }, DRAIN_MS);
  // A second signal means "now".
  const again = (): void => cut();
  process.once('SIGTERM', again);
  process.once('SIGINT', again);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
    process.off('SIGTERM', again);
    process.off('SIGINT', again);
  }
  logger.info({ timedOut }, 'server closed');
  return timedOut ? 1 : 0;
}
