// `node dist/test/bench/relay.js`: the relay under load on loopback, bounded in time.
// 500 sockets in 50 conversations (per conversation: 5 sockets of its customer, 5 of an agent),
// every socket joined and sending at a steady pace. Prints delivered messages/s, send->receive
// latency percentiles, lost and duplicated deliveries, and the server's RSS.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const CONVERSATIONS = 50;
const SOCKETS_PER_SIDE = 5;
const MESSAGES_PER_SOCKET = Number(process.env.FMC_BENCH_MESSAGES ?? 10);
const INTERVAL_MS = Number(process.env.FMC_BENCH_INTERVAL_MS ?? 500);
const DEADLINE_MS = 60_000;

interface Frame {
  type: string;
  seq?: number;
  text?: string;
  conversationId?: string;
  id?: string;
}

const child = fork(fileURLToPath(new URL('./relay-server.js', import.meta.url)), [String(CONVERSATIONS)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], execArgv: process.env.FMC_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.FMC_BENCH_PROF] : [] });
const [line] = (await once(child.stdout!, 'data')) as [Buffer];
const { url, agent, customers } = JSON.parse(line.toString()) as { url: string; agent: string; customers: string[] };
const wsUrl = url.replace('http', 'ws') + '/ws';

const latencies: number[] = [];
let delivered = 0;
let duplicates = 0;
let lastReceive = 0;

function open(token: string): Promise<{ ws: WebSocket; seen: Set<number> }> {
  const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  const seen = new Set<number>();
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    if (frame.type !== 'message') return;
    const now = performance.now();
    if (seen.has(frame.seq!)) duplicates++;
    seen.add(frame.seq!);
    delivered++;
    lastReceive = now;
    latencies.push(now - Number(frame.text!.split(' ')[0]));
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, seen }));
    ws.once('error', reject);
  });
}

const rooms = await Promise.all(
  customers.map(async (token) => {
    const res = await fetch(`${url}/api/conversations`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const { id } = (await res.json()) as { id: string };
    const sockets = await Promise.all([...Array.from({ length: SOCKETS_PER_SIDE }, () => open(token)), ...Array.from({ length: SOCKETS_PER_SIDE }, () => open(agent))]);
    return { id, sockets };
  }),
);
for (const { id, sockets } of rooms) for (const s of sockets) s.ws.send(JSON.stringify({ type: 'resume', conversationId: id, afterSeq: 0 }));
await new Promise((r) => setTimeout(r, 500));

const perConversation = SOCKETS_PER_SIDE * 2 * MESSAGES_PER_SOCKET;
child.send('rss');
const [idle] = (await once(child, 'message')) as [{ rss: number }];
child.send('reset');
const clientLoop = monitorEventLoopDelay({ resolution: 5 });
clientLoop.enable();
const start = performance.now();
let n = 0;
for (const { id, sockets } of rooms) {
  for (const s of sockets) {
    const offset = Math.random() * INTERVAL_MS;
    for (let k = 0; k < MESSAGES_PER_SOCKET; k++) {
      setTimeout(() => s.ws.send(JSON.stringify({ type: 'send', conversationId: id, clientId: `b${++n}`, text: `${performance.now()} bench message` })), offset + k * INTERVAL_MS);
    }
  }
}
const expected = CONVERSATIONS * perConversation * SOCKETS_PER_SIDE * 2;
while (delivered < expected && performance.now() - start < (MESSAGES_PER_SOCKET + 1) * INTERVAL_MS + DEADLINE_MS) {
  await new Promise((r) => setTimeout(r, 100));
  if (delivered + duplicates >= expected && performance.now() - lastReceive > 500) break;
}
const seconds = (lastReceive - start) / 1000;
child.send('rss');
const [memory] = (await once(child, 'message')) as [{ rss: number; maxRss: number; loopDelayP99Ms: number; loopDelayMaxMs: number; cpuMs: number }];

let lost = 0;
for (const { sockets } of rooms) for (const s of sockets) for (let seq = 1; seq <= perConversation; seq++) if (!s.seen.has(seq)) lost++;
latencies.sort((a, b) => a - b);
const pct = (p: number): number => Number((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN).toFixed(2));
const figures = {
  sockets: rooms.length * SOCKETS_PER_SIDE * 2,
  conversations: rooms.length,
  'messages stored': CONVERSATIONS * perConversation,
  'messages stored / s': Math.round((CONVERSATIONS * perConversation) / seconds),
  'deliveries (message frames received)': delivered,
  'deliveries / s': Math.round(delivered / seconds),
  'send->receive p50, ms': pct(50),
  'send->receive p99, ms (target < 50)': pct(99),
  'send->receive max, ms': pct(100),
  'lost deliveries (target 0)': lost,
  'duplicated deliveries (target 0)': duplicates,
  'server RSS with 500 sockets joined, before sending, MB': Math.round(idle.rss / 1e6),
  'server RSS at end, MB': Math.round(memory.rss / 1e6),
  'server peak RSS, MB': Math.round(memory.maxRss / 1e6),
  'server event-loop delay p99 / max, ms': `${memory.loopDelayP99Ms.toFixed(1)} / ${memory.loopDelayMaxMs.toFixed(1)}`,
  'bench client event-loop delay p99 / max, ms': `${(clientLoop.percentile(99) / 1e6).toFixed(1)} / ${(clientLoop.max / 1e6).toFixed(1)}`,
  'server CPU, s (whole run incl. start-up)': Number((memory.cpuMs / 1000).toFixed(1)),
};
process.stdout.write('\n== relay: 500 sockets, 50 conversations, loopback\n');
for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(40)} ${v}\n`);
for (const { sockets } of rooms) for (const s of sockets) s.ws.terminate();
child.send('stop');
await once(child, 'exit');
