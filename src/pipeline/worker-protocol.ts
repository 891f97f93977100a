import type { LabelResult } from '../labels.js';
import type { CleanTweet } from '../tiers/tier.js';
import type { ChunkCounts, EngineStats } from './chunk.js';
import type { PipelineOptions } from './pipeline.js';

/** Messages between the run loop and the engine thread (structured-cloned). */
export interface EngineInit {
  readonly pipeline: Omit<PipelineOptions, 'logger'>;
  readonly logLevel: string;
  readonly dedupeWindow?: number;
}

export type EngineRequest =
  /** The raw texts of a chunk's rows, or the same texts cleaned on the reading thread. */
  | { readonly type: 'label'; readonly id: number; readonly texts?: readonly string[]; readonly cleaned?: CleanedTexts; readonly operator?: Uint8Array }
  | { readonly type: 'stats'; readonly id: number }
  | { readonly type: 'close'; readonly id: number };

/**
 * The rows' texts as the reading thread cleaned them, column-wise: arrays of strings and one
 * byte array clone far faster than an object per tweet (each would carry its key names).
 */
export interface CleanedTexts {
  readonly text: readonly string[];
  readonly folded: readonly string[];
  /** Bit 0: isRetweet, bit 1: isCanned, bit 2: fromOperator. */
  readonly flags: Uint8Array;
}

export function packCleaned(tweets: readonly CleanTweet[]): CleanedTexts {
  const flags = new Uint8Array(tweets.length);
  for (let i = 0; i < tweets.length; i++) flags[i] = (tweets[i]!.isRetweet ? 1 : 0) | (tweets[i]!.isCanned ? 2 : 0) | (tweets[i]!.fromOperator ? 4 : 0);
  return { text: tweets.map((t) => t.text), folded: tweets.map((t) => t.folded), flags };
}

/** The tweets with `fromOperator` set where `operator[i]` is 1 (the author column's verdict). */
export function markOperator(tweets: CleanTweet[], operator: Uint8Array | undefined): CleanTweet[] {
  if (operator) for (let i = 0; i < tweets.length; i++) if (operator[i] === 1) tweets[i] = { ...tweets[i]!, fromOperator: true };
  return tweets;
}

export function unpackCleaned(cleaned: CleanedTexts): CleanTweet[] {
  const { text, folded, flags } = cleaned;
  const tweets: CleanTweet[] = new Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const tweet: CleanTweet = { text: text[i]!, folded: folded[i]!, isRetweet: (flags[i]! & 1) !== 0, isCanned: (flags[i]! & 2) !== 0 };
    tweets[i] = (flags[i]! & 4) !== 0 ? { ...tweet, fromOperator: true } : tweet;
  }
  return tweets;
}

export interface SerializedError {
  readonly code?: string;
  readonly message: string;
}

export type EngineReply =
  | { readonly type: 'ready'; readonly tierNames: readonly string[] }
  | { readonly type: 'failed'; readonly error: SerializedError }
  /** `idleMs`: how long the engine had nothing to do before this request (load balancing). */
  | { readonly type: 'labeled'; readonly id: number; readonly codes: Uint32Array; readonly distinct: readonly LabelResult[]; readonly counts: ChunkCounts; readonly idleMs: number }
  | { readonly type: 'stats'; readonly id: number; readonly stats: EngineStats }
  | { readonly type: 'closed'; readonly id: number }
  | { readonly type: 'error'; readonly id: number; readonly error: SerializedError };
