import { randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync, readdirSync, statfsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import { loadConfig, loadServerEnv, type Config, type ServerEnv } from '../config.js';
import { describeDatabase } from '../store/database-url.js';
import type { CacheTarget } from '../store/open-cache.js';
import { pendingPgMigrations } from '../store/pg/migrate.js';
import { PG_MIGRATIONS } from '../store/pg/migrations.js';
import { openPool } from '../store/pg/pool.js';
import { openPgResultCache } from '../store/pg/result-cache.js';
import type { ResultCache } from '../store/result-cache.js';
import { DATA_DB_FILE, openDataDb } from '../store/sqlite/data-db.js';
import { openResultCache } from '../store/sqlite/result-cache.js';
import { isRuntimeFile } from './backup.js';

// The checks behind `fmc health`, one function each. None of them creates a file: health
// often runs as root or before the first start, and a root-owned database or WAL left in
// the data dir would stop a service running as its own user from writing.

export interface OpsCheck {
  readonly name: string;
  readonly ok: boolean;
  /** A failed required check exits 1; failed optional ones alone exit 3. */
  readonly required: boolean;
  readonly detail: string;
  /** false: an optional part nobody configured; shown as "off", never a failure. */
  readonly configured?: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Values shipped in src/ops/templates/fmc.env: long enough to pass config validation, so
 * only health catches an env file copied without editing.
 */

/** Every environment value parses (the server's too); a failure names the variable. */
export function checkConfig(env: Env): { check: OpsCheck; config?: Config; serverEnv?: ServerEnv } {
  try {
    const config = loadConfig(env);
    const serverEnv = loadServerEnv(env);
    return { check: { name: 'config', ok: true, required: true, detail: 'environment values parse' }, config, serverEnv };
  } catch (err) {
    return { check: { name: 'config', ok: false, required: true, detail: (err as Error).message } };
  }
}

/** No example secret in use, and nothing in the data dir readable by group or others. */
export function checkSecrets(serverEnv: ServerEnv | undefined, dataDir: string): OpsCheck {
  const name = 'secrets';
  if (!existsSync(dataDir)) return { name, ok: true, required: true, detail: `no example secret in use; ${dataDir} not created yet` };
  // Password hashes, the JWT secret and (with the relay) message keys all live here.
  const exposed = readdirSync(dataDir, { withFileTypes: true })
    .filter((e) => e.isFile() && !isRuntimeFile(e.name) && (statSync(join(dataDir, e.name)).mode & 0o077) !== 0)
    .map((e) => e.name);
  if (exposed.length > 0) {
    return { name, ok: false, required: true, detail: `readable by group/others in ${dataDir}: ${exposed.join(', ')}; run \`chmod 600\` on them` };
  }
  return { name, ok: true, required: true, detail: `no example secret in use; ${dataDir} files are owner-only` };
}

/** The closest existing directory at or above `path`: where a missing file would be created. */
function existingAncestor(path: string): string {
  let dir = path;
  while (!existsSync(dir)) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dir;
}

function creatable(name: string, path: string, creator: string): OpsCheck {
  const dir = existingAncestor(dirname(path));
  try {
    accessSync(dir, constants.W_OK);
    return { name, ok: true, required: true, detail: `${path} not created yet (${creator}); ${dir} writable` };
  } catch {
    return { name, ok: false, required: true, detail: `${path} cannot be created: ${dir} is not writable by this user` };
  }
}

/**
 * The result cache takes writes, asked through its interface: SQLite's file and directory
 * writable and the write lock taken within 100 ms, then released without writing;
 * PostgreSQL's results table writable by this user on a primary.
 */
export async function checkCache(target: CacheTarget): Promise<OpsCheck> {
  const name = 'cache db';
  if (target.databaseUrl === undefined && !existsSync(target.path)) return creatable(name, target.path, 'the first classify creates it');
  let cache: ResultCache | undefined;
  try {
    cache = target.databaseUrl === undefined ? openResultCache(target.path) : await openPgCache(target.databaseUrl);
    const check = await cache.check({ write: true });
    return { name, ok: check.ok, required: true, detail: `${cache.path} ${check.detail}` };
  } catch (err) {
    return { name, ok: false, required: true, detail: `${target.databaseUrl === undefined ? target.path : describeDatabase(target.databaseUrl)} not writable: ${(err as Error).message}` };
  } finally {
    await cache?.close();
  }
}

/** The cache on PostgreSQL without migrating: health writes nothing, so a missing table is reported, not created. */
async function openPgCache(url: string): Promise<ResultCache> {
  const pool = await openPool(url, { max: 1, applicationName: 'fmc health' });
  return { ...openPgResultCache(pool, url), close: () => pool.end() };
}

/** How long `fmc health` waits for its own NOTIFY to come back on a LISTEN connection. */
export const LISTEN_CHECK_MS = 2000;

/**
 * PostgreSQL mode: the server answers with these credentials, every migration of this version
 * is applied, and a NOTIFY sent on one connection is heard on another that LISTENs, as the
 * relay's instances hear each other (a pooler in transaction mode, for one, drops LISTEN).
 */
export async function checkDatabase(url: string, listenWaitMs = LISTEN_CHECK_MS): Promise<OpsCheck> {
  const name = 'database';
  const where = describeDatabase(url);
  let pool: pg.Pool | undefined;
  try {
    pool = await openPool(url, { max: 2, applicationName: 'fmc health' });
    const pending = await pendingPgMigrations(pool, PG_MIGRATIONS);
    const version = (await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v.split(' ')[0];
    if (pending.length > 0) {
      return { name, ok: false, required: true, detail: `${where}: PostgreSQL ${version}, migrations ${pending.join(', ')} not applied; start \`fmc serve\` or run \`fmc cache stats\` with this URL to apply them` };
    }
    const heardMs = await notifyRoundTrip(pool, listenWaitMs);
    if (heardMs === undefined) {
      return {
        name,
        ok: false,
        required: true,
        detail: `${where}: PostgreSQL ${version}, every migration applied, but a NOTIFY was not heard on a LISTEN connection within ${listenWaitMs / 1000} s; instances would not hear each other's messages: point FMC_DATABASE_URL at PostgreSQL itself or at a pooler in session mode`,
      };
    }
    return { name, ok: true, required: true, detail: `${where}: PostgreSQL ${version}, every migration applied, LISTEN hears a NOTIFY (${Math.round(heardMs)} ms)` };
  } catch (err) {
    return { name, ok: false, required: true, detail: (err as Error).message };
  } finally {
    await pool?.end();
  }
}

/** ms from a NOTIFY on one pooled connection to its arrival on another that LISTENs; undefined if it does not come within `waitMs`. */
async function notifyRoundTrip(pool: pg.Pool, waitMs: number): Promise<number | undefined> {
  // A channel of this check's own: nothing else listens to it or sends on it.
  const channel = `fmc_health_${randomUUID().replaceAll('-', '')}`;
  const listener = await pool.connect();
  let timer: NodeJS.Timeout | undefined;
  let onNotice: ((n: pg.Notification) => void) | undefined;
  let failure: Error | undefined;
  try {
    await listener.query(`LISTEN ${channel}`);
    const started = performance.now();
    const heard = new Promise<number | undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), waitMs);
      onNotice = (n) => n.channel === channel && resolve(performance.now() - started);
      listener.on('notification', onNotice);
    });
    await pool.query('SELECT pg_notify($1, $2)', [channel, 'fmc health']);
    const ms = await heard;
    await listener.query(`UNLISTEN ${channel}`);
    return ms;
  } catch (err) {
    failure = err as Error;
    throw err;
  } finally {
    clearTimeout(timer);
    if (onNotice) listener.off('notification', onNotice);
    // A connection that failed a query is dropped, not pooled again.
    listener.release(failure);
  }
}

/** The users (and, with the relay, messages) database: the server's own committed probe write. */
export function checkDataDb(dataDir: string): OpsCheck {
  const name = 'data db';
  const path = join(dataDir, DATA_DB_FILE);
  if (!existsSync(path)) return creatable(name, path, '`fmc serve` or `fmc users add` creates it');
  try {
    const data = openDataDb(dataDir);
    try {
      const probe = data.probeWrite();
      return { name, ok: probe.ok, required: true, detail: probe.ok ? `${path} writable (a probe row committed)` : probe.detail };
    } finally {
      data.close();
    }
  } catch (err) {
    return { name, ok: false, required: true, detail: (err as Error).message };
  }
}

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** Free space for the user running fmc (bavail, not bfree: root's reserve is no use to the service). */
export function checkDisk(dataDir: string, minFreeMb: number): OpsCheck {
  const name = 'disk';
  const at = existingAncestor(dataDir);
  try {
    const fs = statfsSync(at);
    const free = fs.bavail * fs.bsize;
    const total = fs.blocks * fs.bsize;
    const pct = total > 0 ? Math.round((free / total) * 100) : 0;
    const ok = free >= minFreeMb * 2 ** 20;
    return { name, ok, required: true, detail: `${gib(free)} free of ${gib(total)} (${pct}%) at ${at}${ok ? '' : `; below the ${minFreeMb} MiB minimum (--min-free)`}` };
  } catch (err) {
    return { name, ok: false, required: true, detail: `${at}: ${(err as Error).message}` };
  }
}

interface ServerHealth {
  status?: unknown;
  version?: unknown;
  uptime?: unknown;
  checks?: { db?: { ok?: boolean; detail?: string }; cache?: { ok?: boolean; detail?: string }; listen?: { ok?: boolean; detail?: string }; tiers?: Record<string, { ok?: boolean; detail?: string }> };
}

function failingParts(body: ServerHealth): string {
  const parts = [body.checks?.db, body.checks?.cache, body.checks?.listen, ...Object.values(body.checks?.tiers ?? {})];
  return parts.filter((c) => c && c.ok === false).map((c) => c?.detail).join('; ');
}

/** A running server's `/api/health`: unreachable or 503 is required; degraded is optional. */
export async function checkServer(base: string, timeoutMs: number): Promise<OpsCheck> {
  const name = 'server';
  const url = `${base.replace(/\/+$/, '')}/api/health`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (err) {
    // undici hides the socket error in `cause` (an AggregateError when several addresses were tried).
    const e = err as Error & { cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
    const reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.errors?.[0]?.code ?? e.cause?.message ?? e.message);
    return { name, ok: false, required: true, detail: `${url}: ${reason}` };
  }
  let body: ServerHealth;
  try {
    body = (await res.json()) as ServerHealth;
  } catch {
    return { name, ok: false, required: true, detail: `${url}: HTTP ${res.status}, not the fmc health JSON` };
  }
  const about = `version ${String(body.version)}, up ${String(body.uptime)} s`;
  if (res.status === 200 && body.status === 'ok') return { name, ok: true, required: true, detail: `${url}: ok, ${about}` };
  if (res.status === 200 && body.status === 'degraded') return { name, ok: false, required: false, detail: `${url}: degraded (${failingParts(body)}), ${about}` };
  return { name, ok: false, required: true, detail: `${url}: HTTP ${res.status} ${String(body.status)}${failingParts(body) ? ` (${failingParts(body)})` : ''}` };
}
