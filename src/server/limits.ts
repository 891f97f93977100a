/** Request limits; each breach is a 413 (size) or 400 (shape) JSON error naming the limit. */
export interface ServerLimits {
  /** JSON request bodies, bytes. */
  readonly jsonBodyBytes: number;
  /** text/csv request bodies, bytes (streamed, counted as they arrive). */
  readonly csvBodyBytes: number;
  /** Texts per JSON request. */
  readonly maxItems: number;
  /** Characters per text (JSON), and per CSV record. */
  readonly maxTextLength: number;
}

// A tweet is at most 280 characters and a chat message rarely 2,000; 5,000 leaves room
// without letting one request pin the event loop.
export const DEFAULT_LIMITS: ServerLimits = Object.freeze({
  jsonBodyBytes: 1024 * 1024,
  csvBodyBytes: 20 * 1024 * 1024,
  maxItems: 1000,
  maxTextLength: 5000,
});

export interface RateLimits {
  /** Requests per minute per client IP (anonymous) or per user (with a token); 0 = off. */
  readonly perMinute: number;
  /** Login and sign-up attempts per minute per IP: password guessing is the threat. */
  readonly loginPerMinute: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = Object.freeze({ perMinute: 600, loginPerMinute: 10 });
