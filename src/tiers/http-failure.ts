import { isNetworkFailure, unreachableCode } from './net-errors.js';
import { TierRetryableError, TierUnavailableError } from './tier.js';

// The one mapping of a failed call to a remote tier onto the chain's two kinds of failure:
// TierRetryableError (the invoker retries, pacing by the server's wait) and
// TierUnavailableError (the tier's circuit opens for the rest of the run). Each tier only
// reads its client's error into an HttpFailure and words the fixes.

export interface HttpFailure {
  readonly status: number;
  /** The server's own message. */
  readonly message: string;
  /** How long the server asked to wait (Retry-After, or the body's own figure). */
  readonly retryAfterMs?: number | undefined;
  /** Set when the server says the quota is spent (not a rate limit): which quota. */
  readonly quotaSpent?: string | undefined;
  /** Set when the server says the key is invalid whatever the status. */
  readonly keyRefused?: boolean;
  /** 404 that is not about the model (a wrong path): a plain failure, not a missing model. */
  readonly notTheModel?: boolean;
}

/** How a tier words the fixes (each message starts with the tier's name). */
export interface FailureWords {
  readonly tier: string;
  quotaSpent(quota: string, message: string): string;
  keyRefused(message: string): string;
  modelMissing(message: string): string;
  unreachable(code: string): string;
}

export function httpFailureError(f: HttpFailure, words: FailureWords): Error {
  const { tier } = words;
  if (f.quotaSpent !== undefined) return new TierUnavailableError(tier, words.quotaSpent(f.quotaSpent, f.message), true);
  if (f.keyRefused || f.status === 401 || f.status === 403) return new TierUnavailableError(tier, words.keyRefused(f.message));
  if (f.status === 429) return new TierRetryableError(tier, `${tier}: rate limited (${f.message})`, f.retryAfterMs, true);
  if (f.status >= 500) return new TierRetryableError(tier, `${tier}: HTTP ${f.status} ${f.message}`, f.retryAfterMs);
  if (f.status === 404 && !f.notTheModel) return new TierUnavailableError(tier, words.modelMissing(f.message));
  return new Error(`${tier}: HTTP ${f.status} ${f.message}`);
}

/** A failure with no HTTP answer: nothing listens (unavailable), or a broken connection (retryable); else undefined. */
export function connectionError(err: unknown, words: FailureWords): Error | undefined {
  const code = unreachableCode(err);
  if (code) return new TierUnavailableError(words.tier, words.unreachable(code));
  if (isNetworkFailure(err)) return new TierRetryableError(words.tier, `${words.tier}: ${(err as Error).message}`);
  return undefined;
}
