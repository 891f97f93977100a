// The relay-pg bench's load generator, one per worker thread: the sockets of whole
// conversations (so a message's send and its deliveries are timed on one clock), each sending
// MESSAGES_PER_SOCKET messages at a steady pace from 'start'. With FMC_BENCH_CLIENTS=2 the
// same sockets and the same schedule are split over two threads, so a receive waits less for
// the load generator's own event loop before it is timestamped.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

export interface Room {
  readonly conversationId: string;
  /** One token per socket, and the instance each socket starts on. */
  readonly tokens: readonly string[];
  readonly instances: readonly number[];
}

export interface ClientData {
  readonly index: number;
  readonly rooms: readonly Room[];
  readonly wsUrls: readonly string[];
  readonly messagesPerSocket: number;
  readonly intervalMs: number;
  readonly deadlineMs: number;
}

/** main -> worker */
export type ToClient = { type: 'start' } | { type: 'stop' };
/** worker -> main */
export type FromClient =
  | { type: 'ready' }
  | { type: 'done' }
  | {
      type: 'result';
      latencies: Float64Array;
      /** ms from 'start' to each delivery's send, in the order of `latencies`. */
      sentAt: Float64Array;
      delivered: number;
      duplicates: number;
      lost: number;
      /** The first few gaps: a socket that did not see a seq the others did. */
      gaps: string[];
      reconnects: number;
      sent: number;
      /** ms from 'start' to the last delivery. */
      lastReceiveMs: number;
      loopP99: number;
      loopMax: number;
    };

interface Frame {
  type: string;
  seq?: number;
  text?: string;
  clientId?: string;
  retryAfterMs?: number;
}

interface Sock {
  readonly conversationId: string;
  readonly token: string;
  instance: number;
  ws?: WebSocket;
  readonly seen: Set<number>;
  last: number;
  readonly pending: Map<string, string>;
  /** Instances this socket was on, in order. */
  readonly path: number[];
}

const data = workerData as ClientData;
const port = parentPort!;
const post = (m: FromClient, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

const alive = new Set(data.wsUrls.map((_, i) => i));
const latencies: number[] = [];
const sentAt: number[] = [];
let delivered = 0;
let duplicates = 0;
let reconnects = 0;
let lastReceive = 0;
let stopping = false;
let start = 0;

function connect(sock: Sock, resume: boolean): Promise<void> {
  const ws = new WebSocket(data.wsUrls[sock.instance]!, { headers: { authorization: `Bearer ${sock.token}` }, perMessageDeflate: false });
  sock.ws = ws;
  ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString()) as Frame;
    if (frame.type === 'ack') sock.pending.delete(frame.clientId!);
    else if (frame.type === 'error' && frame.clientId && frame.retryAfterMs) {
      const again = sock.pending.get(frame.clientId);
      if (again) setTimeout(() => sock.ws?.readyState === WebSocket.OPEN && sock.ws.send(again), frame.retryAfterMs);
    } else if (frame.type === 'message') {
      const now = performance.now();
      if (sock.seen.has(frame.seq!)) duplicates++;
      else {
        sock.seen.add(frame.seq!);
        delivered++;
        const sentTime = Number(frame.text!.split(' ')[0]);
        latencies.push(now - sentTime);
        sentAt.push(sentTime - start);
      }
      sock.last = Math.max(sock.last, frame.seq!);
      lastReceive = now;
    }
  });
  ws.on('close', () => {
    if (sock.ws !== ws || stopping) return;
    // The instance went away: the next one alive, from the last message seen.
    alive.delete(sock.instance);
    sock.instance = [...alive][sock.instance % alive.size]!;
    sock.path.push(sock.instance);
    reconnects++;
    void connect(sock, true);
  });
  return new Promise((resolve) => {
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'resume', conversationId: sock.conversationId, afterSeq: resume ? sock.last : 0 }));
      for (const frame of sock.pending.values()) ws.send(frame);
      resolve();
    });
    ws.once('error', () => undefined);
  });
}

const rooms: Sock[][] = data.rooms.map((r) => r.tokens.map((token, k) => ({ conversationId: r.conversationId, token, instance: r.instances[k]!, seen: new Set<number>(), last: 0, pending: new Map<string, string>(), path: [r.instances[k]!] })));
for (const socks of rooms) await Promise.all(socks.map((s) => connect(s, false)));
const perConversation = (rooms[0]?.length ?? 0) * data.messagesPerSocket;
const expected = rooms.reduce((sum, socks) => sum + socks.length * perConversation, 0);
// The clients' own event-loop delay: a receive waits that long before it is timestamped.
const loop = monitorEventLoopDelay({ resolution: 5 });
let sent = 0;

port.on('message', (m: ToClient) => {
  if (m.type === 'start') {
    loop.enable();
    start = performance.now();
    for (const socks of rooms) {
      for (const s of socks) {
        const offset = Math.random() * data.intervalMs;
        for (let k = 0; k < data.messagesPerSocket; k++) {
          setTimeout(() => {
            const clientId = `b${data.index}-${++sent}`;
            const frame = JSON.stringify({ type: 'send', conversationId: s.conversationId, clientId, text: `${performance.now()} bench message` });
            s.pending.set(clientId, frame);
            if (s.ws?.readyState === WebSocket.OPEN) s.ws.send(frame);
          }, offset + k * data.intervalMs);
        }
      }
    }
    const poll = setInterval(() => {
      if (delivered >= expected || performance.now() - start > (data.messagesPerSocket + 1) * data.intervalMs + data.deadlineMs) {
        clearInterval(poll);
        loop.disable();
        post({ type: 'done' });
      }
    }, 100);
  } else {
    stopping = true;
    let lost = 0;
    const gaps: string[] = [];
    for (const socks of rooms) {
      for (const [k, s] of socks.entries()) {
        for (let seq = 1; seq <= perConversation; seq++) {
          if (s.seen.has(seq)) continue;
          lost++;
          if (gaps.length < 5) gaps.push(`conversation ${s.conversationId} socket ${k} (instances ${s.path.join('>')}, last ${s.last}, ${s.seen.size} seen) missed seq ${seq}`);
        }
      }
    }
    for (const socks of rooms) for (const s of socks) s.ws?.terminate();
    const array = Float64Array.from(latencies);
    post(
      { type: 'result', latencies: array, sentAt: Float64Array.from(sentAt), delivered, duplicates, lost, gaps, reconnects, sent, lastReceiveMs: lastReceive - start, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 },
      [array.buffer as ArrayBuffer],
    );
  }
});
post({ type: 'ready' });
