import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger, type Logger } from '../log.js';
import { TierRetryableError, TierUnavailableError, type Tier, type TierAnswer, type TierItem } from '../tiers/tier.js';
import { createPace, type Pace, type PaceFactory } from './pace.js';

/** How one batch reaches one tier: timeouts and retries wrap the tier's own call. */
export type TierInvoker = (tier: Tier, batch: readonly TierItem[], signal: AbortSignal, policy?: InvokePolicy) => Promise<Map<string, TierAnswer>>;

/** What a caller (a lane) asks beyond the engine's settings. */
export interface InvokePolicy {
  /** Requests per batch before giving up (below the engine's own). */
  readonly maxAttempts?: number;
  /**
   * The longest this caller waits before a retry. A longer wait (a backoff step, or one the
   * server asked for below --max-wait) fails this call only: the tier stays open for others.
   */
  readonly patienceMs?: number;
}

export interface InvokeOptions {
  /** Per-request timeout in ms. */
  readonly timeoutMs: number;
  /** A server-requested wait longer than this opens the tier's circuit instead (default 60 s). */
  readonly maxWaitMs?: number;
  /** Requests per minute per remote tier; 0 = unlimited. */
  readonly rpm?: number;
  /** Where each remote tier's pace comes from (default: this process's own, createPace). */
  readonly paceFor?: PaceFactory;
  /** Requests per batch before giving up on a transient failure (default 4). */
  readonly maxAttempts?: number;
  /** First backoff step in ms, doubled per attempt (default 500). */
  readonly backoffMs?: number;
  /** Longest backoff step in ms (default 20 s). */
  readonly maxBackoffMs?: number;
  readonly logger?: Logger;
}

/** Exponential backoff with "equal jitter": half fixed, half random, so waits never collapse to 0. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const step = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;

/**
 * The one place retries live, for every tier:
 * - each request waits its turn (`--rpm`, and any pause for that tier: a server's wait, a 429's backoff);
 * - a timeout (`--timeout`) or TierRetryableError is retried with backoff, or after the
 *   server's own delay; a delay above `--max-wait` makes the tier unavailable for the run;
 * - items missing from an answer (or invalid, which the tier leaves out) are asked once more
 *   in smaller batches; what is still missing is left for the next tier.
 */
export function createInvoker(options: InvokeOptions): TierInvoker {
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const backoffMs = options.backoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 20_000;
  const logger = options.logger ?? silentLogger;
  const paces = new Map<string, Pace>();
  const makePace = options.paceFor ?? ((_tier: string, rpm: number) => createPace(rpm));
  const paceOf = (tier: Tier): Pace | undefined => {
    if (!tier.remote) return undefined;
    let pace = paces.get(tier.name);
    if (!pace) paces.set(tier.name, (pace = makePace(tier.name, options.rpm ?? 0)));
    return pace;
  };

  async function request(tier: Tier, batch: readonly TierItem[], signal: AbortSignal, policy: InvokePolicy | undefined): Promise<Map<string, TierAnswer>> {
    const pace = paceOf(tier);
    const attempts = Math.max(1, Math.min(maxAttempts, policy?.maxAttempts ?? maxAttempts));
    for (let attempt = 1; ; attempt++) {
      await pace?.turn(signal);
      const timeout = tier.immediate ? undefined : AbortSignal.timeout(options.timeoutMs);
      let failure: TierRetryableError;
      try {
        return await tier.classify(batch, timeout ? AbortSignal.any([signal, timeout]) : signal);
      } catch (err) {
        if (err instanceof TierUnavailableError && err.quotaSpent) pace?.quotaSpent?.(err.message);
        if (signal.aborted || err instanceof TierUnavailableError) throw err;
        if (err instanceof TierRetryableError) failure = err;
        else if (timeout?.aborted) failure = new TierRetryableError(tier.name, `${tier.name}: no answer within ${seconds(options.timeoutMs)} (--timeout)`);
        else throw err;
      }
      const asked = failure.retryAfterMs;
      if (asked !== undefined && asked > maxWaitMs) {
        // This process stops asking; the others sharing the pace wait as asked.
        pace?.holdUntil(Date.now() + asked);
        throw new TierUnavailableError(tier.name, `${tier.name}: server asks to wait ${seconds(asked)}, more than --max-wait ${seconds(maxWaitMs)}; rows go to the next tier (raise --max-wait to wait)`);
      }
      const wait = asked ?? backoffDelay(attempt, backoffMs, maxBackoffMs);
      // The server's wait, or a 429's backoff, holds the tier for every process sharing its pace
      // (on PostgreSQL: every machine on the database), even when this request gives up now;
      // a 5xx or a timeout only delays this request's own retry.
      if (asked !== undefined || failure.rateLimited) pace?.holdUntil(Date.now() + wait);
      if (attempt >= attempts) throw new Error(`${failure.message} (gave up after ${attempt} attempts)`);
      if (policy?.patienceMs !== undefined && wait > policy.patienceMs) throw new Error(`${failure.message} (not waiting ${seconds(wait)} for a retry)`);
      logger.info({ tier: tier.name, attempt, waitMs: wait, reason: failure.message }, 'retrying');
      await sleep(wait, undefined, { signal });
    }
  }

  return async (tier, batch, signal, policy) => {
    const answers = await request(tier, batch, signal, policy);
    const missing = batch.filter((item) => !answers.has(item.id));
    if (missing.length === 0) return answers;
    // One more try, in halves of the original batch: a long batch is what models drop items from.
    const size = Math.max(1, Math.ceil(batch.length / 2));
    for (let i = 0; i < missing.length; i += size) {
      const retry = missing.slice(i, i + size);
      try {
        for (const [id, answer] of await request(tier, retry, signal, policy)) answers.set(id, answer);
      } catch (err) {
        if (signal.aborted) throw err;
        // The first answers are kept; the next batch to meet the same failure opens the circuit.
        logger.warn({ tier: tier.name, err: (err as Error).message, items: retry.length }, 're-asking missing items failed');
      }
    }
    const left = batch.filter((item) => !answers.has(item.id)).length;
    if (left > 0) logger.info({ tier: tier.name, items: left }, 'items still unanswered go to the next tier');
    return answers;
  };
}
