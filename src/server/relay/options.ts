import type { MessageRate } from './rate-limit.js';
import type { RelayLimits } from './relay.js';

export interface RelayOptions {
  /** Ping interval; a socket that has not answered the previous ping is terminated. */
  readonly heartbeatMs: number;
  /** Largest frame a client may send; a bigger one closes the socket (1009). */
  readonly maxPayloadBytes: number;
  /** Unsent bytes a socket may hold before it is closed as a slow consumer (1013). */
  readonly maxQueueBytes: number;
  readonly rate: MessageRate;
  readonly limits: RelayLimits;
}

// A burst of 20 then one message a second covers a person typing fast and pasting; a script
// hammering the relay is refused long before it fills the database.
export const DEFAULT_RELAY_OPTIONS: RelayOptions = Object.freeze({
  heartbeatMs: 30_000,
  maxPayloadBytes: 64 * 1024,
  maxQueueBytes: 1024 * 1024,
  rate: { burst: 20, perSecond: 1 },
  limits: { maxTextLength: 4000, replayLimit: 500, replayChars: 200_000, closedListLimit: 100 },
});
