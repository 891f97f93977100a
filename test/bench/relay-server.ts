// Child process of the relay benchmark: the real app with the relay on a loopback port, so
// its RSS is the server's alone. Prints {url, agent, customers} once ready; IPC "rss" and "stop".
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startRelayServer } from '../server/relay-helpers.js';

// How long the event loop was blocked (SQLite and crypto are synchronous): the latency floor.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();

const customers = Number(process.argv[2] ?? 50);
const server = await startRelayServer({ relay: { rate: { burst: 1000, perSecond: 1000 } } });
// FMC_BENCH_SYNC=NORMAL measures the data DB as it was before issue 12 (no fsync per commit).
if (process.env.FMC_BENCH_SYNC) server.data.db.pragma(`synchronous = ${process.env.FMC_BENCH_SYNC === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
process.stderr.write(`relay bench: data DB synchronous = ${['OFF', 'NORMAL', 'FULL', 'EXTRA'][server.data.db.pragma('synchronous', { simple: true }) as number]}\n`);
const agent = await server.user('agent1', 'agent');
const tokens: string[] = [];
for (let i = 0; i < customers; i++) tokens.push(await server.user(`customer${i}`, 'customer'));
process.stdout.write(JSON.stringify({ url: server.url, agent, customers: tokens }) + '\n');

process.on('message', async (m: string) => {
  if (m === 'reset') loopDelay.reset();
  if (m === 'rss') process.send!({ rss: process.memoryUsage().rss, maxRss: process.resourceUsage().maxRSS * 1024, loopDelayP99Ms: loopDelay.percentile(99) / 1e6, loopDelayMaxMs: loopDelay.max / 1e6, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 });
  if (m === 'stop') {
    await server.close();
    process.exit(0);
  }
});
