import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../../../log.js';
import { holdKeysShared } from './keyring.js';
import { parseNotice, RELAY_CHANNEL, type Notice } from './notice.js';

/**
 * The one dedicated LISTEN connection of an instance. NOTIFY has no replay: while this
 * connection is down, notices are lost, so after every (re)connect `onResync` runs and the
 * instance reads what it follows from the tables. A periodic round trip notices a
 * connection that died silently (the backend terminated, a network cut).
 */
export interface Listener {
  status(): { ok: boolean; detail: string };
  close(): Promise<void>;
}

export interface ListenerOptions {
  readonly url: string;
  readonly onNotice: (notice: Notice) => void;
  /** After a reconnect (not the first connect): notices may have been missed. */
  readonly onResync: () => void;
  readonly logger: Logger;
  /** Round trip interval on the idle connection, ms. */
  readonly pingMs?: number;
}

export const LISTEN_APPLICATION_NAME = 'fmc serve (listen)';
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

/** Connects (throws on the first failure: start-up must say so) and stays connected until closed. */
export async function startListener(options: ListenerOptions): Promise<Listener> {
  const { url, logger } = options;
  let client: pg.Client | undefined;
  let closed = false;
  let down: { since: number; reason: string } | undefined;
  let retry = RETRY_MIN_MS;
  let timer: NodeJS.Timeout | undefined;
  // The ping is a NOTIFY this connection sends itself: answered when it is heard, so a
  // connection that answers queries but lets no notice through (a pooler in transaction mode,
  // a proxy) is given up like a dead one, and every reconnect catches up from the tables.
  const pingChannel = `fmc_relay_ping_${randomUUID().replaceAll('-', '')}`;
  // The ping still out, if any (below).
  let pingOut: pg.Client | undefined;

  async function connect(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: url, application_name: LISTEN_APPLICATION_NAME, keepAlive: true, connectionTimeoutMillis: 5000 });
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c, new Error('connection ended')));
    c.on('notification', (message) => {
      if (message.channel === pingChannel) {
        if (pingOut === c) pingOut = undefined;
        return;
      }
      if (message.channel !== RELAY_CHANNEL || !message.payload) return;
      const notice = parseNotice(message.payload);
      if (notice) options.onNotice(notice);
    });
    try {
      await c.connect();
      await holdKeysShared(c);
      await c.query(`LISTEN ${RELAY_CHANNEL}`);
      await c.query(`LISTEN ${pingChannel}`);
    } catch (err) {
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
      throw err;
    }
    return c;
  }

  function lost(c: pg.Client, err: Error): void {
    if (c !== client || closed) return;
    client = undefined;
    down = { since: Date.now(), reason: err.message };
    logger.warn({ err: err.message }, 'relay LISTEN connection lost; reconnecting');
    c.removeAllListeners('end');
    void c.end().catch(() => undefined);
    schedule();
  }

  function schedule(): void {
    clearTimeout(timer);
    timer = setTimeout(() => void reconnect(), retry);
    timer.unref();
    retry = Math.min(RETRY_MAX_MS, retry * 2);
  }

  async function reconnect(): Promise<void> {
    if (closed) return;
    try {
      const c = await connect();
      if (closed) {
        await c.end().catch(() => undefined);
        return;
      }
      client = c;
      logger.info({ downMs: down ? Date.now() - down.since : 0 }, 'relay LISTEN connection back; catching up from the tables');
      down = undefined;
      retry = RETRY_MIN_MS;
      options.onResync();
    } catch (err) {
      if (down) down.reason = (err as Error).message;
      schedule();
    }
  }

  client = await connect();
  const pingMs = options.pingMs ?? 5000;
  // A ping unheard for a whole interval means a connection gone without a word (a network
  // cut drops packets and sends no reset: a query would wait as long as TCP retransmits, about
  // 15 minutes on Linux) or one that drops notices; either way notices are lost while health
  // would say all is well.
  const ping = setInterval(() => {
    const c = client;
    if (!c) return;
    if (pingOut === c) {
      pingOut = undefined;
      lost(c, new Error(`no answer to a round trip in ${pingMs} ms`));
      return;
    }
    pingOut = c;
    c.query('SELECT pg_notify($1, $2)', [pingChannel, 'ping']).catch((err: Error) => lost(c, err));
  }, pingMs);
  ping.unref();

  return {
    status() {
      if (client) return { ok: true, detail: `listening on ${RELAY_CHANNEL}` };
      return { ok: false, detail: `LISTEN connection down for ${Math.round((Date.now() - (down?.since ?? Date.now())) / 1000)} s (${down?.reason ?? 'connecting'}); reconnecting` };
    },
    async close() {
      closed = true;
      clearInterval(ping);
      clearTimeout(timer);
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners('end');
        await c.end().catch(() => undefined);
      }
    },
  };
}
