import { setTimeout as sleep } from 'node:timers/promises';

/**
 * When a tier's next request may start. Spaces requests evenly for `--rpm` (the first goes at
 * once) and lets a server-requested wait hold back every call to that tier, not only the
 * one that was told to wait.
 */
export interface Pace {
  /** Resolves when a request may start; claims that slot. */
  turn(signal: AbortSignal): Promise<void>;
  /** No request starts before `at` (epoch ms). */
  holdUntil(at: number): void;
  /**
   * The tier's quota is spent. A pace shared through the database opens the circuit for
   * every process (their turn() throws TierUnavailableError); this process's own circuit is
   * the classifier's, so a local pace has nothing to do.
   */
  quotaSpent?(reason: string): void;
}

/** Makes the pace of one remote tier (the engine's default: createPace; PostgreSQL mode: shared). */
export type PaceFactory = (tier: string, rpm: number) => Pace;

export function createPace(rpm: number): Pace {
  const now = Date.now;
  const interval = rpm > 0 ? 60_000 / rpm : 0;
  let next = 0;
  let held = 0;
  return {
    async turn(signal) {
      for (;;) {
        const t = now();
        if (held > t) {
          await sleep(held - t, undefined, { signal });
          continue;
        }
        const slot = Math.max(t, next);
        next = slot + interval;
        if (slot > t) await sleep(slot - t, undefined, { signal });
        // A hold that began while this call waited for its slot applies to it too.
        if (held <= now()) return;
      }
    },
    holdUntil(at) {
      held = Math.max(held, at);
    },
  };
}
