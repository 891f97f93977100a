// TCP relays between a test's client and its PostgreSQL, each failing the way a network or a
// middlebox can: one that goes silent (a cut without a reset), one that lets every message
// through but notifications (as a pooler in transaction mode loses LISTEN).
import { createServer, connect as tcpConnect, type AddressInfo, type Socket } from 'node:net';

export interface TcpRelay {
  /** The URL of database `db` through the relay. */
  url(db: string): string;
  close(): Promise<void>;
}

/**
 * A loopback TCP relay to the PostgreSQL on `port`: `carry` wires each client's connection
 * (`down`) to the relay's own to the server (`up`). An end that fails takes the other with it.
 */
async function tcpRelay(port: number, carry: (down: Socket, up: Socket) => void): Promise<TcpRelay> {
  const sockets: Socket[] = [];
  const server = createServer((down) => {
    const up = tcpConnect(port, '127.0.0.1');
    sockets.push(down, up);
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
    carry(down, up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relayPort = (server.address() as AddressInfo).port;
  return {
    url: (db) => `postgres://fmc@127.0.0.1:${relayPort}/${db}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A relay whose `cut()` stops carrying bytes on the connections open now, closing none. */
export async function silentCutRelay(port: number): Promise<TcpRelay & { cut(): void }> {
  const pairs: [Socket, Socket][] = [];
  const relay = await tcpRelay(port, (down, up) => {
    down.pipe(up);
    up.pipe(down);
    pairs.push([down, up]);
  });
  return {
    ...relay,
    cut() {
      for (const [down, up] of pairs.splice(0)) {
        down.unpipe(up);
        up.unpipe(down);
        // Paused and kept open, so neither end hears of it; closed with the relay.
        down.pause();
        up.pause();
      }
    },
  };
}

/**
 * A relay that drops every NotificationResponse on its way to the client: LISTEN and NOTIFY
 * succeed, nothing is heard, as through a pooler in transaction mode.
 */
export function notificationDroppingRelay(port: number): Promise<TcpRelay> {
  return tcpRelay(port, (down, up) => {
    down.pipe(up);
    up.on('end', () => down.end());
    let pending = Buffer.alloc(0);
    up.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // The server's messages: a type byte, then an int32 length that counts itself.
      const kept: Buffer[] = [];
      let at = 0;
      while (pending.length - at >= 5 && pending.length - at >= 1 + pending.readInt32BE(at + 1)) {
        const end = at + 1 + pending.readInt32BE(at + 1);
        if (pending[at] !== 0x41 /* 'A': NotificationResponse */) kept.push(pending.subarray(at, end));
        at = end;
      }
      pending = pending.subarray(at);
      if (kept.length > 0) down.write(Buffer.concat(kept));
    });
  });
}
