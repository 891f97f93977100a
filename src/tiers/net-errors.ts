// Node's fetch reports a refused connection as TypeError('fetch failed') with the socket
// error as its cause (sometimes an AggregateError of several addresses): walk the chain.

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

function codes(err: unknown, depth = 0): string[] {
  if (typeof err !== 'object' || err === null || depth > 5) return [];
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof e.code === 'string' ? [e.code] : [];
  const nested = Array.isArray(e.errors) ? e.errors.flatMap((x) => codes(x, depth + 1)) : [];
  return [...own, ...codes(e.cause, depth + 1), ...nested];
}

/** The socket error code when nothing listens at the address (or it does not resolve). */
export function unreachableCode(err: unknown): string | undefined {
  return codes(err).find((c) => UNREACHABLE.has(c));
}

/** A connection that was made and then broke (reset, closed mid-answer): worth a retry. */
export function isNetworkFailure(err: unknown): boolean {
  return err instanceof TypeError && err.message === 'fetch failed';
}

/** A short reason for a failed connection: the socket code, else the innermost message. */
export function networkReason(err: unknown): string {
  const code = unreachableCode(err);
  if (code) return code;
  let e = err as { message?: unknown; cause?: unknown; name?: unknown };
  if (e?.name === 'TimeoutError') return 'no answer';
  while (typeof e?.cause === 'object' && e.cause !== null) e = e.cause as typeof e;
  return typeof e?.message === 'string' ? e.message : String(err);
}
