import type { Tier, TierAnswer, TierItem } from '../tiers/tier.js';

/** How one batch reaches one tier: timeouts and retries wrap the tier's own call. */
export type TierInvoker = (tier: Tier, batch: readonly TierItem[], signal: AbortSignal) => Promise<Map<string, TierAnswer>>;

export interface InvokeOptions {
  /** Per-call timeout in ms. */
  readonly timeoutMs: number;
}

export function createInvoker(options: InvokeOptions): TierInvoker {
  return (tier, batch, signal) => tier.classify(batch, AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]));
}
