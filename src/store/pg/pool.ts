import pg from 'pg';
import { FmcError } from '../../errors.js';
import { describeDatabase } from '../database-url.js';

// One node-postgres pool per process. Its connect errors become one line that names the
// host and the fix (FMC_ERR_DB_UNAVAILABLE: exit 2 in the CLI, 503 in the server), never a
// stack trace and never the password.

export interface PoolOptions {
  /** Connections kept at most (default 10). */
  readonly max?: number;
  /** How long a connection attempt may take before it counts as unreachable (default 5 s). */
  readonly connectTimeoutMs?: number;
  /** Names the process in pg_stat_activity. */
  readonly applicationName?: string;
  /** Connections kept open however long they idle (default 0: an idle one closes after 30 s). */
  readonly min?: number;
  /** Run on each new connection before its first use. */
  readonly onConnect?: (client: pg.ClientBase) => Promise<void>;
}

const WHERE = 'in --database-url or FMC_DATABASE_URL';

/** The reason and the fix for an error met while connecting or querying; undefined = not a connection problem. */
export function connectionProblem(err: unknown, url: string): string | undefined {
  const at = describeDatabase(url);
  const u = safeUrl(url);
  const host = u ? `${u.hostname}:${u.port || '5432'}` : at;
  const user = u?.username ? decodeURIComponent(u.username) : '(default user)';
  const database = u?.pathname.slice(1) || user;
  const e = err as { code?: string; message?: string; errors?: { code?: string }[] };
  // Node reports a host with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError.
  const code = e.code ?? e.errors?.find((x) => x.code)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return `PostgreSQL at ${host} refused the connection: start the server, or fix the host and port ${WHERE}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `PostgreSQL host ${u?.hostname ?? at} not found (DNS): fix the host name ${WHERE}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return `PostgreSQL at ${host} is unreachable (${code}): check the network and the host ${WHERE}`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `PostgreSQL at ${host} closed the connection (${code}): check that the server is up and accepts this client (pg_hba.conf)`;
    case '28P01':
      return `PostgreSQL at ${host} rejected the password of user ${user}: fix the password ${WHERE}`;
    case '28000':
      return `PostgreSQL at ${host} does not let user ${user} in (${e.message ?? 'no pg_hba.conf entry'}): create the role or allow it in pg_hba.conf`;
    case '3D000':
      return `database "${database}" does not exist on PostgreSQL at ${host}: create it (createdb -h ${u?.hostname ?? 'host'} ${database}) or fix the name ${WHERE}`;
    case '57P01':
    case '57P02':
    case '57P03':
      return `PostgreSQL at ${host} is shutting down or starting up (${code}): retry in a moment`;
    case '53300':
      return `PostgreSQL at ${host} has no free connection slot (too many clients): raise max_connections or lower the number of fmc processes`;
  }
  const message = e.message ?? '';
  if (/timeout|terminated unexpectedly|Connection terminated/i.test(message)) {
    return `PostgreSQL at ${host} did not answer (${message}): check that the server is up and reachable ${WHERE}`;
  }
  return undefined;
}

/** The error to throw for `err` met on `url`: FMC_ERR_DB_UNAVAILABLE when it is a connection problem, else `err` itself. */
export function asDbError(err: unknown, url: string): unknown {
  if (err instanceof FmcError) return err;
  const problem = connectionProblem(err, url);
  return problem ? new FmcError('FMC_ERR_DB_UNAVAILABLE', problem, { cause: err }) : err;
}

function safeUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** A pool on `url`, after one round trip proves the server, the credentials and the database. */
export async function openPool(url: string, options: PoolOptions = {}): Promise<pg.Pool> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'fmc',
    ...(options.min !== undefined && { min: options.min }),
    ...(options.onConnect && { onConnect: options.onConnect }),
  });
  // An idle client whose server went away emits here; without a listener that would crash
  // the process. The next query gets its own error (and a new connection).
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    const problem = connectionProblem(err, url);
    throw new FmcError('FMC_ERR_DB_UNAVAILABLE', problem ?? `PostgreSQL at ${describeDatabase(url)}: ${(err as Error).message}`, { cause: err });
  }
  return pool;
}

/** Readiness of the pool's database: one round trip (`/api/health` in PostgreSQL mode); never throws. */
export async function probePool(pool: pg.Pool, url: string): Promise<{ ok: boolean; detail: string }> {
  try {
    await pool.query('SELECT 1');
    return { ok: true, detail: `${describeDatabase(url)}: reachable` };
  } catch (err) {
    return { ok: false, detail: connectionProblem(err, url) ?? `${describeDatabase(url)}: ${(err as Error).message}` };
  }
}
