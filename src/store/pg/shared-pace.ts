import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { silentLogger, type Logger } from '../../log.js';
import { createPace, type Pace, type PaceFactory } from '../../pipeline/pace.js';
import { TierUnavailableError } from '../../tiers/tier.js';

// `--rpm` and the quota circuit of each paid tier, shared by every process on the database
// (table tier_budgets, migration 3), so N cron machines never exceed one quota together.
// A request takes the tier's one token by moving `next_at` forward by 60/rpm s in a single
// UPDATE: concurrent takers serialise on the row and each gets its own slot. Durations are
// measured on the database's clock, so machines whose clocks differ still agree.

/** How long a spent quota keeps the circuit open for everyone; then one process tries again (a 429 costs no quota). */
export const QUOTA_OPEN_MS = 60 * 60_000;

const DB_NOW = `(extract(epoch FROM clock_timestamp()) * 1000)::bigint`;

const TAKE = `
  INSERT INTO tier_budgets AS b (tier, next_at) VALUES ($1, ${DB_NOW} + $2::bigint)
  ON CONFLICT (tier) DO UPDATE SET next_at = greatest(b.next_at, ${DB_NOW}) + $2::bigint
  RETURNING (b.next_at - $2::bigint - ${DB_NOW})::float8 AS wait_ms, (b.open_until - ${DB_NOW})::float8 AS open_ms, b.open_reason`;

const HOLD = `
  INSERT INTO tier_budgets AS b (tier, next_at) VALUES ($1, ${DB_NOW} + $2::bigint)
  ON CONFLICT (tier) DO UPDATE SET next_at = greatest(b.next_at, ${DB_NOW} + $2::bigint)`;

const OPEN = `
  INSERT INTO tier_budgets AS b (tier, open_until, open_reason) VALUES ($1, ${DB_NOW} + $2::bigint, $3)
  ON CONFLICT (tier) DO UPDATE SET open_until = ${DB_NOW} + $2::bigint, open_reason = $3`;

const clock = (ms: number): string => new Date(Date.now() + ms).toISOString().slice(11, 16);

/** One tier's pace through the database. If the database fails, this process falls back to its own pace and says so. */
export function createSharedPace(pool: pg.Pool, tier: string, rpm: number, logger: Logger = silentLogger): Pace {
  const interval = rpm > 0 ? Math.ceil(60_000 / rpm) : 0;
  const local = createPace(rpm);
  const fallBack = (err: unknown, what: string): void => {
    logger.warn({ tier, err: (err as Error).message }, `shared ${what} unavailable (database); pacing this process alone`);
  };
  return {
    async turn(signal) {
      let row: { wait_ms: number; open_ms: number; open_reason: string | null } | undefined;
      try {
        row = (await pool.query(TAKE, [tier, interval])).rows[0];
      } catch (err) {
        fallBack(err, '--rpm');
        return local.turn(signal);
      }
      if (row && row.open_ms > 0) {
        throw new TierUnavailableError(tier, `${row.open_reason ?? `${tier}: quota spent`} (circuit opened for every fmc process on the database until ${clock(row.open_ms)} UTC)`, true);
      }
      if (row && row.wait_ms > 0) await sleep(row.wait_ms, undefined, { signal });
    },
    holdUntil(at) {
      local.holdUntil(at);
      const ms = Math.max(0, Math.round(at - Date.now()));
      pool.query(HOLD, [tier, ms]).catch((err: unknown) => fallBack(err, 'pause'));
    },
    quotaSpent(reason) {
      // The circuit's own message, not one that already says it was opened elsewhere.
      const own = reason.replace(/ \(circuit opened for every fmc process.*\)$/, '');
      pool.query(OPEN, [tier, QUOTA_OPEN_MS, own]).catch((err: unknown) => fallBack(err, 'quota circuit'));
    },
  };
}

/** The engine's pace factory in PostgreSQL mode. */
export function sharedPaces(pool: pg.Pool, logger?: Logger): PaceFactory {
  return (tier, rpm) => createSharedPace(pool, tier, rpm, logger);
}
