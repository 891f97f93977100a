import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { startServer } from './helpers.js';

test('while draining, a request queued behind the in-flight one gets a JSON 503, the in-flight one its answer', async () => {
  let seen!: () => void;
  const inFlight = new Promise<void>((resolve) => (seen = resolve));
  const server = await startServer({ beforeListen: (app) => app.addHook('onRequest', async () => seen()) });
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  let raw = '';
  socket.on('data', (c: Buffer) => (raw += c.toString()));
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const chunk = (s: string): string => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
  socket.write('POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n' + chunk('id,text\n1,panne fibre\n'));
  await inFlight;

  const closed = server.close();
  while (server.app.server.listening) await new Promise((r) => setTimeout(r, 10));
  // The end of the first body and a second, pipelined request on the same connection.
  socket.write(chunk('2,merci\n') + '0\r\n\r\n' + 'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n');
  await Promise.race([ended, new Promise((r) => setTimeout(r, 3000).unref())]);
  socket.destroy();
  await closed;

  const [first, second] = raw.split(/(?=HTTP\/1\.1 )/);
  assert.match(first ?? '', /^HTTP\/1\.1 200 /);
  assert.match(first ?? '', /\n1,panne fibre,true,/);
  assert.match(first ?? '', /\n2,merci,/);
  assert.match(second ?? '', /^HTTP\/1\.1 503 /, raw);
  assert.match(second ?? '', /\{"error":\{"code":"FMC_ERR_SHUTTING_DOWN","message":"[^"]+"\}\}/);
});
