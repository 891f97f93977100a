import type { DataDb } from '../store/sqlite/data-db.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { HealthCheck } from '../tiers/tier.js';

export interface TierHealth extends HealthCheck {
  /** In the serving chain (a tier that failed its start-up probe is reported, not used). */
  readonly live: boolean;
  /** false: an optional tier nobody configured (no key, no host), reported as such, never as down. */
  readonly configured?: boolean;
}

export interface HealthReport {
  /** ok: ready; degraded: ready, a live tier is failing; unavailable: not ready (503). */
  readonly status: 'ok' | 'degraded' | 'unavailable';
  readonly checks: {
    readonly db: HealthCheck;
    readonly cache: HealthCheck;
    readonly tiers: Readonly<Record<string, TierHealth>>;
    /** PostgreSQL mode: the relay's LISTEN connection (cross-instance wake-ups). */
    readonly listen?: HealthCheck;
    /** PostgreSQL mode: the database holding the conversations, reached through the relay's pool. */
    readonly database?: HealthCheck;
  };
  readonly version: string;
  readonly uptime: number;
}

export interface HealthOptions {
  readonly data: Pick<DataDb, 'probeWrite'>;
  readonly pipeline: Pick<Pipeline, 'tiers' | 'probes' | 'cache'>;
  readonly version: string;
  /** How long a tier probe result is reused: `/api/health` may be polled every second. */
  readonly tierTtlMs?: number;
  /** A probe slower than this counts as failed; health must answer fast. */
  readonly tierTimeoutMs?: number;
  readonly now?: () => number;
  /** PostgreSQL mode: the relay's LISTEN connection, once the relay has started it. */
  readonly listen?: () => HealthCheck | undefined;
  /** PostgreSQL mode: one round trip to the database (store/pg/pool.ts probePool). */
  readonly database?: () => Promise<HealthCheck>;
}

async function withTimeout(check: Promise<HealthCheck>, ms: number, name: string): Promise<HealthCheck> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<HealthCheck>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `${name}: no answer within ${ms} ms` }), ms);
  });
  try {
    return await Promise.race([check.catch((err: Error) => ({ ok: false, detail: `${name}: ${err.message}` })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Readiness: a committed write to the data DB, a cache read, and cached tier probes. */
export function createHealth(options: HealthOptions): { check(): Promise<HealthReport> } {
  const { data, pipeline } = options;
  const now = options.now ?? Date.now;
  const started = now();
  const ttl = options.tierTtlMs ?? 30_000;
  const timeoutMs = options.tierTimeoutMs ?? 1_000;
  const live = new Set(pipeline.tiers.map((t) => t.name));
  // Tiers that failed at start-up keep their start-up answer: re-probing them could be slow or remote.
  const startup: Record<string, TierHealth> = Object.fromEntries(
    // A tier nobody configured is off, not failing: `ok`, with `configured: false` saying why.
    pipeline.probes.filter((p) => !live.has(p.name)).map((p) => [p.name, p.configured === false ? { ...p.check, ok: true, live: false, configured: false } : { ...p.check, live: false }]),
  );
  let tierChecks: { at: number; result: Promise<Record<string, TierHealth>> } | undefined;

  const probeTiers = (): Promise<Record<string, TierHealth>> => {
    if (!tierChecks || now() - tierChecks.at >= ttl) {
      const result = Promise.all(pipeline.tiers.map(async (t) => [t.name, { ...(await withTimeout(t.check(), timeoutMs, t.name)), live: true }] as const)).then(
        (entries) => ({ ...Object.fromEntries(entries), ...startup }),
      );
      tierChecks = { at: now(), result };
    }
    return tierChecks.result;
  };

  const cacheCheck = async (): Promise<HealthCheck> => {
    const cache = pipeline.cache;
    if (!cache) return { ok: true, detail: 'disabled (--no-cache)' };
    return cache.check();
  };

  return {
    async check() {
      const db = data.probeWrite();
      const cache = await cacheCheck();
      const tiers = await probeTiers();
      const liveChecks = Object.values(tiers).filter((t) => t.live);
      const anyTier = liveChecks.some((t) => t.ok);
      // Without its LISTEN connection an instance misses the others' messages until it is back:
      // not ready, so a load balancer sends its clients to an instance that hears everything.
      const listen = options.listen?.();
      const database = options.database && (await withTimeout(options.database(), timeoutMs, 'database'));
      const status = !db.ok || !cache.ok || !anyTier || listen?.ok === false || database?.ok === false ? 'unavailable' : liveChecks.every((t) => t.ok) ? 'ok' : 'degraded';
      return { status, checks: { db, cache, tiers, ...(listen && { listen }), ...(database && { database }) }, version: options.version, uptime: Math.round((now() - started) / 1000) };
    },
  };
}
