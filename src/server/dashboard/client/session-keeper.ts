import { api, ApiError, remember, useTokenSource, type Session } from './api.js';

// Keeps a tab's access token fresh: renews it before it expires (POST /api/auth/refresh; the
// refresh secret travels in the httpOnly cookie, never through this code), and again at once
// when the server says a token expired. One renewal at a time: two at once would present the
// same refresh secret twice, which the server takes for theft and ends the session.

export interface SessionKeeper {
  current(): Session;
  /** A renewed token, or the reason the session ended (ApiError with its code). */
  refresh(): Promise<string>;
  /** Called with each renewed token (the relay re-authenticates its socket with it). */
  onRenewed(listener: (token: string) => void): void;
  /** Called once when the session really ends (revoked, expired, reused, removed). */
  onEnded(listener: (error: ApiError) => void): void;
  /** A new login in the same tab (after the session ended): renewals start again. */
  resume(session: Session): void;
  /** Explicit logout: ends the session on the server and stops renewing. */
  logout(): Promise<void>;
}

interface Renewed {
  token: string;
  expiresAt: string;
  session: string;
  sessionExpiresAt: string;
  user: Session['user'];
}

// Renew when this share of the token's life is left, and never closer than this to its end.
const RENEW_AT_SHARE = 0.4;
const RENEW_MARGIN_MS = 60_000;

/** When to renew a token that expires in `leftMs`: a minute early for long tokens, 40% of the rest for short ones. */
export function renewDelay(leftMs: number): number {
  if (leftMs <= 0) return 0;
  return leftMs > 2 * RENEW_MARGIN_MS ? leftMs - RENEW_MARGIN_MS : leftMs * (1 - RENEW_AT_SHARE);
}

export function keepSession(initial: Session): SessionKeeper {
  let session = initial;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<string> | undefined;
  let ended = false;
  const renewed = new Set<(token: string) => void>();
  const endedListeners = new Set<(error: ApiError) => void>();

  const schedule = (): void => {
    clearTimeout(timer);
    if (ended || !session.expiresAt || !session.session) return;
    timer = setTimeout(() => void keeper.refresh().catch(() => undefined), renewDelay(Date.parse(session.expiresAt) - Date.now()));
  };

  const end = (error: ApiError): void => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    for (const l of endedListeners) l(error);
  };

  const keeper: SessionKeeper = {
    current: () => session,
    refresh() {
      if (ended) return Promise.reject(new ApiError(401, 'the session has ended; log in again', 'FMC_ERR_SESSION_REVOKED'));
      if (!session.session) {
        const error = new ApiError(401, 'this login has no refresh session; log in again', 'FMC_ERR_UNAUTHORIZED');
        end(error);
        return Promise.reject(error);
      }
      inFlight ??= api<Renewed>('/api/auth/refresh', { method: 'POST', json: { session: session.session } })
        .then((r) => {
          session = { token: r.token, expiresAt: r.expiresAt, session: r.session, user: r.user };
          remember(session);
          schedule();
          for (const l of renewed) l(r.token);
          return r.token;
        })
        .catch((err: unknown) => {
          // A network failure is not the end of a session: try again shortly.
          if (err instanceof ApiError && err.status === 401) end(err);
          else timer = setTimeout(() => void keeper.refresh().catch(() => undefined), 5000);
          throw err;
        })
        .finally(() => (inFlight = undefined));
      return inFlight;
    },
    onRenewed: (l) => void renewed.add(l),
    onEnded: (l) => void endedListeners.add(l),
    resume(next) {
      session = next;
      ended = false;
      schedule();
      for (const l of renewed) l(next.token);
    },
    async logout() {
      ended = true;
      clearTimeout(timer);
      if (session.session) await api('/api/auth/logout', { method: 'POST', json: { session: session.session }, token: session.token }).catch(() => undefined);
    },
  };
  useTokenSource({ token: () => session.token, refresh: () => keeper.refresh() });
  schedule();
  return keeper;
}
