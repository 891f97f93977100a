import { randomBytes } from 'node:crypto';
import type { TokenSubject } from '../../store/users.js';

// A browser cannot set headers on a WebSocket, so its credential travels in the URL, where
// proxies, access logs and browser history keep it. A ticket is what goes there instead: it
// opens one socket, once, within seconds, and is worthless afterwards.

export const TICKET_TTL_MS = 30_000;
// Outstanding tickets are bounded: a client asking in a loop cannot grow the server's memory.
const MAX_OUTSTANDING = 10_000;

export interface Ticket {
  readonly subject: TokenSubject;
  /** When the token the ticket was bought with expires (ms): the socket closes then. */
  readonly tokenExpiresAt: number | undefined;
}

export interface TicketStore {
  issue(ticket: Ticket): { ticket: string; expiresAt: string };
  /** The ticket's grant, once: a second use, an unknown or an expired ticket gives undefined. */
  redeem(ticket: string): Ticket | undefined;
}

export function createTicketStore(options: { ttlMs?: number; now?: () => number } = {}): TicketStore {
  const ttl = options.ttlMs ?? TICKET_TTL_MS;
  const now = options.now ?? Date.now;
  const outstanding = new Map<string, Ticket & { expires: number }>();
  const sweep = (): void => {
    const t = now();
    // Insertion order is expiry order: stop at the first live one.
    for (const [id, entry] of outstanding) {
      if (entry.expires > t && outstanding.size < MAX_OUTSTANDING) break;
      outstanding.delete(id);
    }
  };
  return {
    issue(ticket) {
      sweep();
      const id = randomBytes(24).toString('base64url');
      const expires = now() + ttl;
      outstanding.set(id, { ...ticket, expires });
      return { ticket: id, expiresAt: new Date(expires).toISOString() };
    },
    redeem(id) {
      const entry = outstanding.get(id);
      if (!entry) return undefined;
      outstanding.delete(id);
      return entry.expires > now() ? { subject: entry.subject, tokenExpiresAt: entry.tokenExpiresAt } : undefined;
    },
  };
}
