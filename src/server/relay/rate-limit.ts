/** Messages per user: a burst, refilled at a steady rate. */
export interface MessageRate {
  /** Messages a user may send at once. */
  readonly burst: number;
  /** Messages per second refilled; 0 disables the limit. */
  readonly perSecond: number;
}

export interface RateLimiter {
  /** 0 when the message may go; else how long until it could, in ms. */
  take(userId: number): number | Promise<number>;
}

/**
 * A token bucket per user, shared by all their connections (opening ten sockets buys no
 * extra budget). Full buckets are forgotten, so idle users cost no memory.
 */
export function createRateLimiter(rate: MessageRate, now: () => number = Date.now): RateLimiter {
  const buckets = new Map<number, { tokens: number; at: number }>();
  if (rate.perSecond <= 0) return { take: () => 0 };
  const refill = (bucket: { tokens: number; at: number }, t: number): void => {
    bucket.tokens = Math.min(rate.burst, bucket.tokens + ((t - bucket.at) / 1000) * rate.perSecond);
    bucket.at = t;
  };
  let sweptAt = now();
  return {
    take(userId) {
      const t = now();
      if (t - sweptAt > 60_000) {
        sweptAt = t;
        for (const [id, b] of buckets) {
          refill(b, t);
          if (b.tokens >= rate.burst) buckets.delete(id);
        }
      }
      const bucket = buckets.get(userId) ?? { tokens: rate.burst, at: t };
      refill(bucket, t);
      buckets.set(userId, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil(((1 - bucket.tokens) / rate.perSecond) * 1000);
    },
  };
}
