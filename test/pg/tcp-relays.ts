// TCP relays between a test's client and its PostgreSQL, each failing the way a network or a
// middlebox can: one that goes silent (a cut without a reset), one that lets every message
// through but notifications (as a pooler in transaction mode loses LISTEN).
import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';

/** A TCP relay to PostgreSQL; `cut()` stops carrying bytes on the connections open now, closing none. */
export async function silentCutRelay(port: number): Promise<{ url: (db: string) => string; cut(): void; close(): Promise<void> }> {
  const pairs: [Socket, Socket][] = [];
  const silent: Socket[] = [];
  const server: Server = createServer((down) => {
    const up = tcpConnect(port, '127.0.0.1');
    down.pipe(up);
    up.pipe(down);
    const drop = (): void => {
      down.destroy();
      up.destroy();
    };
    down.on('error', drop);
    up.on('error', drop);
    pairs.push([down, up]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relayPort = (server.address() as { port: number }).port;
  return {
    url: (db) => `postgres://fmc@127.0.0.1:${relayPort}/${db}`,
    cut() {
      for (const [down, up] of pairs.splice(0)) {
        down.unpipe(up);
        up.unpipe(down);
        down.pause();
        up.pause();
        // Kept open, so neither end hears of it; closed at the end of the test.
        silent.push(down, up);
      }
    },
    async close() {
      for (const s of [...silent, ...pairs.flat()]) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A TCP relay to PostgreSQL that drops every NotificationResponse on its way to the client:
 * LISTEN and NOTIFY succeed, nothing is heard, as through a pooler in transaction mode.
 */
export async function notificationDroppingRelay(port: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const relay = createServer((down) => {
    const up = tcpConnect(port, '127.0.0.1');
    sockets.push(down, up);
    down.pipe(up);
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
    for (const [a, b] of [[up, down], [down, up]] as const) {
      a.on('close', () => b.destroy());
      a.on('error', () => b.destroy());
    }
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: (relay.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      relay.close(() => resolve());
    }),
  };
}
