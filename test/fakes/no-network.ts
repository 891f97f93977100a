// Preloaded (`node --import`) into a CLI run that must stay offline: every attempt to open a
// socket or call fetch is appended to $FMC_TEST_NET_LOG and then fails, in the main thread
// and in worker threads alike (preloads run in both).
import { appendFileSync } from 'node:fs';
import net from 'node:net';
import { isMainThread } from 'node:worker_threads';

const log = process.env.FMC_TEST_NET_LOG;
if (!log) throw new Error('no-network preload: set FMC_TEST_NET_LOG');

function record(what: string): Error {
  appendFileSync(log!, `${isMainThread ? 'main' : 'worker'} ${what}\n`);
  return new Error(`network disabled by the test: ${what}`);
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  // net.connect() hands over its normalized [options, callback] pair as the first argument.
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  const target = first as { path?: string; host?: string; port?: number } | number | string;
  // IPC sockets (worker/child plumbing) are not network.
  if (typeof target === 'object' && target !== null && typeof target.path === 'string') return connect.apply(this, args as never);
  throw record(`socket ${JSON.stringify(target)}`);
} as typeof net.Socket.prototype.connect;

globalThis.fetch = async (input: string | URL | Request): Promise<Response> => {
  throw record(`fetch ${String(input instanceof Request ? input.url : input)}`);
};

appendFileSync(log, `${isMainThread ? 'main' : 'worker'} loaded\n`);
