export interface Session {
  readonly token: string;
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
  ) {
    super(message);
  }
}

export async function api<T>(path: string, init: RequestInit & { token?: string; json?: unknown } = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  const res = await fetch(path, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  if (!res.ok) {
    const body = (await res.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
    throw new ApiError(res.status, body?.error?.message ?? `${res.status} ${res.statusText}`);
  }
  return (await res.json()) as T;
}

export async function login(username: string, password: string): Promise<Session> {
  const { token } = await api<{ token: string }>('/api/auth/login', { method: 'POST', json: { username, password } });
  const user = await api<Session['user']>('/api/auth/me', { token });
  const session = { token, user };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}
