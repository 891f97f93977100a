// Several real `fmc serve` processes on one PostgreSQL (test/pg), for the multi-instance relay
// tests and the relay-pg bench. They share FMC_MASTER_KEY and FMC_JWT_SECRET (so tokens are
// made here); the users and the conversations live in PostgreSQL.
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../src/auth/passwords.js';
import { createTokenService } from '../../src/auth/tokens.js';
import { openPgDatabase } from '../../src/store/pg/database.js';
import { createPgUserStore } from '../../src/store/pg/users.js';
import { openDataDb } from '../../src/store/sqlite/data-db.js';
import { createUserStore } from '../../src/store/sqlite/users.js';
import type { Role } from '../../src/store/users.js';
import { tempDir } from '../helpers.js';
import { isolatedEnv, serveFmc, type Served } from '../ops/helpers.js';
import { startPostgres, type PostgresOptions, type TestPostgres } from '../pg/postgres.js';
import { connect, type Client, type RelayServer } from './relay-helpers.js';

export interface Cluster {
  readonly pg: TestPostgres;
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly instances: Served[];
  /** Starts one more instance (with `env` changed by `extra`); its index in `instances`. */
  start(extra?: NodeJS.ProcessEnv): Promise<number>;
  /** Users are made in PostgreSQL before the instances start. */
  token(username: string): Promise<string>;
  close(): Promise<void>;
}

const SECRET = randomBytes(48).toString('base64');

/** `n` instances; `users` made first, each with its role. */
export async function startCluster(n: number, users: Record<string, Role>, extraEnv: NodeJS.ProcessEnv = {}, args: readonly string[] = [], pgOptions: PostgresOptions = {}): Promise<Cluster> {
  const pg = await startPostgres(pgOptions);
  const temp = tempDir('fmc-relay-pg-');
  const base = isolatedEnv(temp.dir);
  // The users live where the instances read them: PostgreSQL, or with FMC_DATABASE_URL=''
  // (the bench's SQLite reference run) the one data dir.
  const onSqlite = extraEnv.FMC_DATABASE_URL === '';
  const db = onSqlite ? undefined : await openPgDatabase(pg.url);
  const data = onSqlite ? openDataDb(base.FMC_DATA_DIR!) : undefined;
  const store = db ? createPgUserStore(db.pool, db.url) : createUserStore(data!.db);
  const hash = await hashPassword('correct horse battery');
  const tokens = createTokenService({ secret: SECRET, ttlSeconds: 3600 });
  const issued = new Map<string, string>();
  try {
    for (const [username, role] of Object.entries(users)) issued.set(username, (await tokens.issue(await store.add({ username, role, passwordHash: hash }))).token);
  } finally {
    await db?.close();
    data?.close();
  }
  const env: NodeJS.ProcessEnv = {
    ...base,
    FMC_JWT_SECRET: SECRET,
    FMC_MASTER_KEY: randomBytes(32).toString('base64'),
    FMC_DATABASE_URL: pg.url,
    FMC_CHAT_RATE: '1000/1000',
    FMC_LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const instances: Served[] = [];
  const cluster: Cluster = {
    pg,
    dir: temp.dir,
    env,
    instances,
    async start(extra = {}) {
      instances.push(await serveFmc({ ...env, ...extra }, args));
      return instances.length - 1;
    },
    async token(username) {
      return issued.get(username)!;
    },
    async close() {
      await Promise.all(instances.map((i) => i.stop()));
      await pg.destroy();
      temp.cleanup();
    },
  };
  try {
    for (let i = 0; i < n; i++) await cluster.start();
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}

/** A socket to one instance (the relay tests' client). */
export function connectTo(instance: Served, token: string): Promise<Client> {
  return connect({ wsUrl: `${instance.url.replace('http', 'ws')}/ws` } as RelayServer, token);
}
