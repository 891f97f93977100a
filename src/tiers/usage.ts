import type { TierUsage } from './tier.js';

/** Requests and tokens an LLM tier spent, for `usage()` and the run summary. */
export function createUsageCounter(): { request(): void; tokens(input: number, output: number): void; snapshot(): TierUsage } {
  let requests = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  return {
    request: () => void requests++,
    tokens(input, output) {
      inputTokens += input;
      outputTokens += output;
    },
    snapshot: () => ({ requests, inputTokens, outputTokens }),
  };
}
