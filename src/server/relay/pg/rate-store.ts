import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type pg from 'pg';
import { asDbError } from '../../../store/pg/pool.js';

// A store for @fastify/rate-limit in PostgreSQL: the HTTP rate limits and the login attempts
// are counted in one fixed window per key that every instance increments (one upsert, the row
// lock orders them), so a client gets one budget however many servers it reaches.

type Callback = (err: Error | null, result?: { current: number; ttl: number }) => void;

const NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint';
const INCR = `INSERT INTO rate_windows (key, hits, reset_at) VALUES ($1, 1, ${NOW} + $2)
  ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN rate_windows.reset_at <= ${NOW} THEN 1 ELSE rate_windows.hits + 1 END,
    reset_at = CASE WHEN rate_windows.reset_at <= ${NOW} THEN ${NOW} + $2 ELSE rate_windows.reset_at END
  RETURNING hits, (reset_at - ${NOW}) AS ttl`;
const READ = `SELECT hits, (reset_at - ${NOW}) AS ttl FROM rate_windows WHERE key = $1 AND reset_at > ${NOW}`;
// Windows long over are swept now and then, not on every request.
const SWEEP = `DELETE FROM rate_windows WHERE reset_at < ${NOW} - 3600000`;
const SWEEP_EVERY = 1000;

/** The class @fastify/rate-limit instantiates (`store` option), bound to `pool`. */
export function pgRateStore(pool: pg.Pool, url: string): FastifyRateLimitStoreCtor {
  let calls = 0;
  class PgRateStore {
    private readonly prefix: string;
    constructor(_options?: unknown, prefix = 'http:') {
      this.prefix = prefix;
    }

    incr(key: string, cb: Callback, timeWindow: number): void {
      if (++calls % SWEEP_EVERY === 0) pool.query(SWEEP).catch(() => undefined);
      pool.query<{ hits: number; ttl: string }>(INCR, [this.prefix + key, timeWindow]).then(
        ({ rows }) => cb(null, { current: rows[0]!.hits, ttl: Math.max(0, Number(rows[0]!.ttl)) }),
        (err: unknown) => cb(asDbError(err, url) as Error),
      );
    }

    read(key: string, cb: Callback): void {
      pool.query<{ hits: number; ttl: string }>(READ, [this.prefix + key]).then(
        ({ rows }) => cb(null, rows[0] ? { current: rows[0].hits, ttl: Math.max(0, Number(rows[0].ttl)) } : { current: 0, ttl: 0 }),
        (err: unknown) => cb(asDbError(err, url) as Error),
      );
    }

    /** A route's own limit (the login routes) counts apart from the global one. */
    child(routeOptions: object): PgRateStore {
      // The plugin passes the merged route options, with the route under `routeInfo`.
      const info = (routeOptions as { routeInfo?: { method?: string | string[]; url?: string } }).routeInfo ?? {};
      return new PgRateStore(undefined, `${this.prefix}${String(info.method ?? '')}${info.url ?? ''}:`);
    }
  }
  return PgRateStore;
}
