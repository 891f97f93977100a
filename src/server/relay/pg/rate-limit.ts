import type pg from 'pg';
import { asDbError } from '../../../store/pg/pool.js';
import type { MessageRate, RateLimiter } from '../rate-limit.js';

// The message token bucket of rate-limit.ts, one row per user in PostgreSQL, taken atomically
// by one UPDATE (the row lock orders concurrent takers): every instance draws on the same
// budget. The database's clock is the one clock, so instances whose clocks drift agree.
const NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint';
const REFILLED = `LEAST($2::float8, tokens + (${NOW} - refilled_at) / 1000.0 * $3::float8)`;
const TAKE = `UPDATE message_buckets
  SET tokens = CASE WHEN ${REFILLED} >= 1 THEN ${REFILLED} - 1 ELSE ${REFILLED} END,
      granted = ${REFILLED} >= 1,
      refilled_at = ${NOW}
  WHERE user_id = $1
  RETURNING tokens, granted`;

export function createPgRateLimiter(pool: pg.Pool, rate: MessageRate, url: string): RateLimiter {
  if (rate.perSecond <= 0) return { take: () => 0 };
  const values = (userId: number): unknown[] => [userId, rate.burst, rate.perSecond];
  return {
    async take(userId) {
      try {
        let { rows } = await pool.query<{ tokens: number; granted: boolean }>(TAKE, values(userId));
        if (rows.length === 0) {
          await pool.query(`INSERT INTO message_buckets (user_id, tokens, refilled_at) VALUES ($1, $2, ${NOW}) ON CONFLICT (user_id) DO NOTHING`, [userId, rate.burst]);
          ({ rows } = await pool.query<{ tokens: number; granted: boolean }>(TAKE, values(userId)));
        }
        const { tokens, granted } = rows[0]!;
        return granted ? 0 : Math.ceil(((1 - tokens) / rate.perSecond) * 1000);
      } catch (err) {
        throw asDbError(err, url);
      }
    },
  };
}
