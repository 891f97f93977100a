// `npm run bench relay-pg`: the relay bench's load (500 sockets in 50 conversations: per
// conversation 5 sockets of its customer and 5 of an agent, each sending 10 messages at a
// steady pace) on real `fmc serve` processes: one on SQLite (the embedded default), then three
// on one PostgreSQL with the sockets spread over them, then three again with one SIGKILLed
// mid-run (its clients reconnect to another instance, resume, and resend unacknowledged
// messages with their clientId). Figures measured in this one run; ratios to the SQLite run.
import WebSocket from 'ws';
import { call } from '../server/helpers.js';
import { startCluster, type Cluster } from '../server/relay-pg-cluster.js';

const CONVERSATIONS = 50;
const SOCKETS_PER_SIDE = 5;
const MESSAGES_PER_SOCKET = Number(process.env.FMC_BENCH_MESSAGES ?? 10);
const INTERVAL_MS = Number(process.env.FMC_BENCH_INTERVAL_MS ?? 500);
const DEADLINE_MS = 60_000;

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
}

interface Run {
  delivered: number;
  duplicates: number;
  lost: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
  reconnects: number;
}

async function load(cluster: Cluster, instances: number, killAt?: number): Promise<Run> {
  const alive = new Set(Array.from({ length: instances }, (_, i) => i));
  const latencies: number[] = [];
  let delivered = 0;
  let duplicates = 0;
  let lastReceive = 0;
  let reconnects = 0;
  const wsUrl = (i: number): string => `${cluster.instances[i]!.url.replace('http', 'ws')}/ws`;

  function connect(sock: Sock, resume: boolean): Promise<void> {
    const ws = new WebSocket(wsUrl(sock.instance), { headers: { authorization: `Bearer ${sock.token}` }, perMessageDeflate: false });
    sock.ws = ws;
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
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
          latencies.push(now - Number(frame.text!.split(' ')[0]));
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

  let stopping = false;
  const admin = await cluster.token('agent1');
  const rooms: Sock[][] = [];
  for (let c = 0; c < CONVERSATIONS; c++) {
    const token = await cluster.token(`customer${c}`);
    const r = await call(`${cluster.instances[c % instances]!.url}/api/conversations`, { method: 'POST', token });
    const conversationId = (r.body as { id: string }).id;
    const socks: Sock[] = [];
    for (let k = 0; k < SOCKETS_PER_SIDE * 2; k++) {
      socks.push({ conversationId, token: k < SOCKETS_PER_SIDE ? token : admin, instance: k % instances, seen: new Set(), last: 0, pending: new Map() });
    }
    await Promise.all(socks.map((s) => connect(s, false)));
    rooms.push(socks);
  }
  await new Promise((r) => setTimeout(r, 500));

  const start = performance.now();
  let n = 0;
  for (const socks of rooms) {
    for (const s of socks) {
      const offset = Math.random() * INTERVAL_MS;
      for (let k = 0; k < MESSAGES_PER_SOCKET; k++) {
        setTimeout(() => {
          const clientId = `b${++n}`;
          const frame = JSON.stringify({ type: 'send', conversationId: s.conversationId, clientId, text: `${performance.now()} bench message` });
          s.pending.set(clientId, frame);
          if (s.ws?.readyState === WebSocket.OPEN) s.ws.send(frame);
        }, offset + k * INTERVAL_MS);
      }
    }
  }
  if (killAt !== undefined) setTimeout(() => cluster.instances[0]!.child.kill('SIGKILL'), killAt * MESSAGES_PER_SOCKET * INTERVAL_MS);

  const perConversation = SOCKETS_PER_SIDE * 2 * MESSAGES_PER_SOCKET;
  const expected = CONVERSATIONS * perConversation * SOCKETS_PER_SIDE * 2;
  while (delivered < expected && performance.now() - start < (MESSAGES_PER_SOCKET + 1) * INTERVAL_MS + DEADLINE_MS) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 500));
  stopping = true;
  let lost = 0;
  for (const socks of rooms) for (const s of socks) for (let seq = 1; seq <= perConversation; seq++) if (!s.seen.has(seq)) lost++;
  for (const socks of rooms) for (const s of socks) s.ws?.terminate();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => Number((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN).toFixed(1));
  return { delivered, duplicates, lost, seconds: (lastReceive - start) / 1000, p50: pct(50), p99: pct(99), max: pct(100), reconnects };
}

const users = { agent1: 'agent' as const, ...Object.fromEntries(Array.from({ length: CONVERSATIONS }, (_, i) => [`customer${i}`, 'customer' as const])) };
const rate = { FMC_CHAT_RATE: '100000/100000', FMC_LOG_LEVEL: 'error' };

async function measure(name: string, instances: number, env: NodeJS.ProcessEnv, killAt?: number): Promise<Run> {
  const cluster = await startCluster(instances, users, { ...rate, ...env }, ['--rate-limit', '0']);
  try {
    const run = await load(cluster, instances, killAt);
    process.stderr.write(`relay-pg bench: ${name} done\n`);
    return run;
  } finally {
    await cluster.close();
  }
}

const sqlite = await measure('1 instance, SQLite', 1, { FMC_DATABASE_URL: '' });
const pg3 = await measure('3 instances, PostgreSQL', 3, {});
const killed = await measure('3 instances, PostgreSQL, one SIGKILLed', 3, {}, 0.4);

const perSecond = (r: Run): number => Math.round(r.delivered / r.seconds);
const row = (r: Run): string[] => [String(perSecond(r)), String(r.p50), String(r.p99), String(r.max), String(r.lost), String(r.duplicates), String(r.reconnects)];
process.stdout.write('\n== relay-pg: 500 sockets, 50 conversations, 5,000 messages, loopback\n');
process.stdout.write(`  ${'run'.padEnd(42)} ${['deliveries/s', 'p50 ms', 'p99 ms', 'max ms', 'lost', 'dup', 'reconnects'].map((h) => h.padStart(12)).join('')}\n`);
for (const [name, r] of [['1 fmc serve, SQLite', sqlite], ['3 fmc serve, PostgreSQL', pg3], ['3 fmc serve, PostgreSQL, 1 SIGKILLed at 40%', killed]] as const) {
  process.stdout.write(`  ${name.padEnd(42)} ${row(r).map((v) => v.padStart(12)).join('')}\n`);
}
process.stdout.write(`  ratio PostgreSQL / SQLite: deliveries/s ${(perSecond(pg3) / perSecond(sqlite)).toFixed(2)}, p99 ${(pg3.p99 / sqlite.p99).toFixed(2)}\n`);
