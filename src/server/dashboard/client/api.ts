export interface Session {
  readonly token: string;
  /** When the access token expires, and the refresh session that renews it (absent on old servers). */
  readonly expiresAt?: string;
  readonly session?: string;
  readonly user: { readonly id: number; readonly username: string; readonly role: 'admin' | 'agent' | 'customer' };
}

// sessionStorage, not localStorage: each tab is its own login (an agent and a customer can
// test side by side), and the token does not outlive the tab.
const KEY = 'fmc.session';

export function savedSession(): Session | undefined {
  const raw = sessionStorage.getItem(KEY);
  return raw ? (JSON.parse(raw) as Session) : undefined;
}

export function forget(): void {
  sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The server's FMC_ERR_* code, when it gave one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

export function remember(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

/** Where calls made "with a token" get the current one, and how they renew it (session-keeper.ts). */
interface TokenSource {
  token(): string;
  refresh(): Promise<string>;
}
// One per tab, set once the user is logged in: callers keep passing `token`, and a token they
// captured long ago is swapped for the fresh one here instead of failing after FMC_TOKEN_TTL.
let source: TokenSource | undefined;
export function useTokenSource(next: TokenSource): void {
  source = next;
}

/** The raw response of a call (downloads); same token handling and errors as api(). */
export async function apiResponse(path: string, init: RequestInit & { token?: string; json?: unknown } = {}): Promise<Response> {
  const attempt = async (token: string | undefined): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    return fetch(path, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  };
  const sourced = init.token !== undefined && source !== undefined;
  let res = await attempt(sourced ? source!.token() : init.token);
  // An expired token (a sleeping laptop, a throttled background tab): renew once and retry.
  if (res.status === 401 && sourced) res = await attempt(await source!.refresh());
  if (!res.ok) {
    const body = (await res.json().catch(() => undefined)) as { error?: { message?: string; code?: string } } | undefined;
    throw new ApiError(res.status, body?.error?.message ?? `${res.status} ${res.statusText}`, body?.error?.code);
  }
  return res;
}

export async function api<T>(path: string, init: RequestInit & { token?: string; json?: unknown } = {}): Promise<T> {
  return (await (await apiResponse(path, init)).json()) as T;
}

export async function login(username: string, password: string): Promise<Session> {
  const { token, expiresAt, session: id } = await api<{ token: string; expiresAt: string; session?: string }>('/api/auth/login', { method: 'POST', json: { username, password } });
  // Asked with this token itself, not the tab's token source (which may hold a previous login's).
  const user = await (await fetch('/api/auth/me', { headers: { authorization: `Bearer ${token}` } })).json() as Session['user'];
  const session: Session = { token, expiresAt, ...(id && { session: id }), user };
  remember(session);
  return session;
}
