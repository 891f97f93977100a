import type { AnswerLabels } from '../labels.js';

/** A tweet after TweetCleaner: what every tier sees. */
export interface CleanTweet {
  /** Cleaned text: URLs/mentions removed, entities decoded, NFKC, whitespace collapsed; accents kept. */
  readonly text: string;
  /** Lower-cased, accent-folded copy of `text`, for matching only (never shown). */
  readonly folded: string;
  /** Started with "rt " / "RT @x:" (a retweet). */
  readonly isRetweet: boolean;
  /** One of the operator's canned replies ("la messagerie privée x n'est plus disponible..."). */
  readonly isCanned: boolean;
  /** Posted by one of the operator's accounts (the input's author column; clean/author.ts). */
  readonly fromOperator?: boolean;
}

/** A tier's answer for one item; the row's `provider` is the tier's name. */
export type TierAnswer = AnswerLabels & { confidence: number };

/** One unit of work for a tier: ids are how answers are matched, never positions. */
export interface TierItem {
  readonly id: string;
  readonly tweet: CleanTweet;
}

export interface HealthCheck {
  readonly ok: boolean;
  /** One line a person can act on ("ollama: model mistral not pulled: run `ollama pull mistral`"). */
  readonly detail: string;
}

/**
 * The one interface every tier implements. A tier only turns a batch into labels keyed by
 * id; caching, concurrency, timeouts, retries and fallback live in pipeline/tier-cascade.ts.
 * Items absent from the returned map are handed to the next tier.
 */
export interface Tier {
  /** 'gemini' | 'openai' | 'ollama' | 'hybrid' | 'model' | 'rules': written to the `provider` column. */
  readonly name: string;
  /** Model id + prompt/lexicon/model-file hash: part of the cache key. */
  readonly version: string;
  /** Whether results are worth caching (false for tiers cheaper than a cache lookup). */
  readonly cacheable: boolean;
  /** Remote/paid tiers are skipped by `--escalate-below` for confident local answers. */
  readonly remote: boolean;
  /**
   * Answers from memory, waiting on nothing (the rules): `--timeout` cannot apply, so no timer
   * is armed per call and the caller's signal is passed as is. A chat message is classified
   * alone, and a timer and a combined signal per message cost more than the rules' answer.
   */
  readonly immediate?: boolean;
  /** Largest batch this tier accepts in one call. */
  readonly maxBatch: number;
  classify(batch: readonly TierItem[], signal: AbortSignal): Promise<Map<string, TierAnswer>>;
  /** Free and fast: never a paid call. */
  check(): Promise<HealthCheck>;
  /** Keys (model/trained-texts.ts) of the labeled texts this tier's model learned from, if known. */
  readonly trainedTexts?: ReadonlySet<string> | undefined;
  /** Requests and tokens spent so far (LLM tiers), for the run summary. */
  usage?(): TierUsage;
  close?(): Promise<void>;
}

export interface TierUsage {
  readonly requests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** The tier cannot serve the rest of this run (daily quota, server down): the chain moves on. */
export class TierUnavailableError extends Error {
  constructor(
    readonly tier: string,
    message: string,
    /** The provider's quota is spent (not this process's setup): every process on the same key should stop. */
    readonly quotaSpent = false,
  ) {
    super(message);
    this.name = 'TierUnavailableError';
  }
}

/**
 * A transient failure worth retrying (429, 5xx, timeout); `retryAfterMs` when the server said.
 * `rateLimited` (a 429): the server refuses this key's pace, so every process sharing the
 * tier's pace waits out the retry, not only the one refused.
 */
export class TierRetryableError extends Error {
  constructor(
    readonly tier: string,
    message: string,
    readonly retryAfterMs?: number,
    readonly rateLimited = false,
  ) {
    super(message);
    this.name = 'TierRetryableError';
  }
}
