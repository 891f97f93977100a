// `npm run bench relay-pg`: the relay bench's load (500 sockets in 50 conversations: per
// conversation 5 sockets of its customer and 5 of an agent, each sending 10 messages at a
// steady pace) on real `fmc serve` processes: one on SQLite (the embedded default), then three
// on one PostgreSQL with the sockets spread over them, then three again with one SIGKILLed
// mid-run (its clients reconnect to another instance, resume, and resend unacknowledged
// messages with their clientId). Figures measured in this one run; ratios to the SQLite run.
// Besides latencies (which the other jobs of a shared machine move a lot), each run prints what
// it cost in CPU per message, read from /proc for the fmc serve processes and for every process
// of the PostgreSQL server, and the statements per message (pg_stat_statements, loaded in the
// bench's server only). FMC_BENCH_RUNS=sqlite,pg,killed picks the runs (all by default);
// FMC_BENCH_CHAT_RATE replaces the per-user chat rate (default 100000/100000: on, never reached).
// Each cluster first serves a warm-up: the same load, on conversations of its own, for
// FMC_BENCH_WARMUP messages a socket (as many as the measured run by default; 0: none). A server
// that has just started runs its code unoptimized for its first few thousand messages, and at
// this load on two cores what that start piles up drains for seconds: measured on fresh
// servers, the p99 is mostly that start. The table gives both: the warm-up's p99 (servers just
// started) and the measured run's (servers that have served).
// The clients run in worker threads (relay-pg-client.ts), FMC_BENCH_CLIENTS of them (1 by
// default), whole conversations each; beside p99 the table prints their event-loop delay (p99/max
// of the worst thread): a delivery waits that long before it is timestamped. On a 2-core machine
// running 3 serves, PostgreSQL and the clients at ~95 % CPU, that delay is mostly waiting for a
// core, and two threads did not lower it.
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { call } from '../server/helpers.js';
import { startCluster, type Cluster } from '../server/relay-pg-cluster.js';
import { cpuMs, postgresCpuMs } from './proc-cpu.js';
import type { ClientData, FromClient, Room, ToClient } from './relay-pg-client.js';

const CONVERSATIONS = 50;
const SOCKETS_PER_SIDE = 5;
const MESSAGES_PER_SOCKET = Number(process.env.FMC_BENCH_MESSAGES ?? 10);
const INTERVAL_MS = Number(process.env.FMC_BENCH_INTERVAL_MS ?? 500);
const DEADLINE_MS = 60_000;
const WARMUP_MESSAGES = Number(process.env.FMC_BENCH_WARMUP ?? MESSAGES_PER_SOCKET);
/** Load-generator threads (FMC_BENCH_CLIENTS), the conversations dealt out between them. */
const CLIENTS = Number(process.env.FMC_BENCH_CLIENTS ?? 1);

/** The p-th percentile (100: the maximum); NaN for none. Sorts `values` in place. */
function percentile(values: Float64Array, p: number): number {
  values.sort();
  return values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? NaN;
}

interface Run {
  delivered: number;
  duplicates: number;
  lost: number;
  seconds: number;
  p50: number;
  p99: number;
  /** p99 of the messages sent after the run's first second. */
  p99After1s: number;
  /** p99 of the warm-up run before it, on the servers just started (undefined without one). */
  p99Cold?: number;
  max: number;
  reconnects: number;
  /** The load generator's event-loop delay over the measured part, p99 and max, ms (its worst thread's). */
  loopP99: number;
  loopMax: number;
  /** Messages sent (each delivered to the 10 sockets of its conversation). */
  messages: number;
  cost: Cost;
}

/** What the measured part of a run (first send to last delivery) used. */
interface Cost {
  /** CPU ms of the fmc serve processes, of the PostgreSQL server's processes, of this process (the 500 clients, all threads). */
  fmcMs: number;
  pgMs: number;
  clientMs: number;
  /** Statements the server executed (pg_stat_statements, top level); undefined on SQLite. */
  statements?: number;
  top?: { query: string; calls: number; meanMs: number; totalMs: number }[];
}

interface Probe {
  begin(): Promise<void>;
  end(): Promise<Cost>;
}

/** CPU and statements over the measured part of a run on `cluster`. */
async function probeOf(cluster: Cluster, onPg: boolean): Promise<Probe & { close(): Promise<void> }> {
  const client = onPg ? new pg.Client({ connectionString: cluster.pg.url }) : undefined;
  if (client) {
    await client.connect();
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  }
  // Per process: an instance SIGKILLed mid-run drops out of the sum instead of taking its
  // CPU before the run (the warm-up's) with it.
  const fmcNow = (): Map<number, number> => new Map(cluster.instances.flatMap((i) => (i.child.pid && i.child.exitCode === null && i.child.signalCode === null ? [[i.child.pid, cpuMs(i.child.pid)] as const] : [])));
  let fmcAt = new Map<number, number>();
  const fmc = (): number => [...fmcNow()].reduce((sum, [pid, ms]) => sum + ms - (fmcAt.get(pid) ?? 0), 0);
  let at = { pg: 0, client: 0 };
  return {
    async begin() {
      if (client) await client.query('SELECT pg_stat_statements_reset()');
      fmcAt = fmcNow();
      at = { pg: postgresCpuMs(cluster.pg.dataDir), client: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000 };
    },
    async end() {
      const usage = process.cpuUsage();
      const cost: Cost = { fmcMs: fmc(), pgMs: postgresCpuMs(cluster.pg.dataDir) - at.pg, clientMs: usage.user / 1000 + usage.system / 1000 - at.client };
      if (!client) return cost;
      // An instance SIGKILLed mid-run: its CPU until then is lost from fmcMs (the figure is a floor).
      const { rows } = await client.query<{ query: string; calls: string; mean: number; total: number }>(
        `SELECT query, calls, mean_exec_time AS mean, total_exec_time AS total FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat%' ORDER BY calls DESC`,
      );
      cost.statements = rows.reduce((sum, r) => sum + Number(r.calls), 0);
      cost.top = rows.slice(0, 8).map((r) => ({ query: r.query.replace(/\s+/g, ' ').slice(0, 70), calls: Number(r.calls), meanMs: r.mean, totalMs: r.total }));
      return cost;
    },
    close: async () => void (await client?.end()),
  };
}

async function load(cluster: Cluster, instances: number, probe: Probe, killAt?: number, messagesPerSocket = MESSAGES_PER_SOCKET): Promise<Run> {
  const wsUrls = cluster.instances.map((i) => `${i.url.replace('http', 'ws')}/ws`);
  const admin = await cluster.token('agent1');
  const rooms: Room[] = [];
  for (let c = 0; c < CONVERSATIONS; c++) {
    const token = await cluster.token(`customer${c}`);
    const r = await call(`${cluster.instances[c % instances]!.url}/api/conversations`, { method: 'POST', token });
    const sockets = Array.from({ length: SOCKETS_PER_SIDE * 2 }, (_, k) => k);
    rooms.push({ conversationId: (r.body as { id: string }).id, tokens: sockets.map((k) => (k < SOCKETS_PER_SIDE ? token : admin)), instances: sockets.map((k) => k % instances) });
  }
  // The load generator: whole conversations per worker thread, conversation c on worker c % CLIENTS.
  const workers = Array.from({ length: CLIENTS }, (_, index) => {
    const workerData: ClientData = { index, rooms: rooms.filter((_, c) => c % CLIENTS === index), wsUrls, messagesPerSocket, intervalMs: INTERVAL_MS, deadlineMs: DEADLINE_MS };
    return new Worker(new URL('./relay-pg-client.js', import.meta.url), { workerData });
  });
  const next = (w: Worker, type: FromClient['type']): Promise<FromClient> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: FromClient): void => {
        if (m.type !== type) return;
        w.off('message', onMessage);
        w.off('error', reject);
        resolve(m);
      };
      w.on('message', onMessage);
      w.once('error', reject);
    });
  const send = (m: ToClient): void => workers.forEach((w) => w.postMessage(m));
  try {
    await Promise.all(workers.map((w) => next(w, 'ready')));
    await new Promise((r) => setTimeout(r, 500));

    await probe.begin();
    const done = Promise.all(workers.map((w) => next(w, 'done')));
    send({ type: 'start' });
    if (killAt !== undefined) setTimeout(() => cluster.instances[0]!.child.kill('SIGKILL'), killAt * MESSAGES_PER_SOCKET * INTERVAL_MS);
    await done;
    const cost = await probe.end();
    await new Promise((r) => setTimeout(r, 500));
    const results = Promise.all(workers.map((w) => next(w, 'result')));
    send({ type: 'stop' });
    const parts = (await results) as Extract<FromClient, { type: 'result' }>[];
    for (const gap of parts.flatMap((p) => p.gaps)) process.stderr.write(`relay-pg bench: ${gap}\n`);
    // Latencies of the messages whose send time (ms from 'start') passes `when`.
    const latenciesSent = (when: (at: number) => boolean): Float64Array =>
      Float64Array.from(parts.flatMap((p) => Array.from(p.latencies).filter((_, i) => when(p.sentAt[i]!))));
    if (process.env.FMC_BENCH_SECONDS) {
      // Where the tail sits in the run: the p99 of the messages sent in each second.
      // FMC_BENCH_SECONDS=<seconds a bin>: 1 gives the p99 of each second; 0.1 of each 100 ms.
      const bin = Number(process.env.FMC_BENCH_SECONDS) * 1000;
      const last = Math.max(...parts.flatMap((p) => Array.from(p.sentAt)));
      const line = Array.from({ length: Math.floor(last / bin) + 1 }, (_, s) => `${(s * bin) / 1000}s ${percentile(latenciesSent((at) => Math.floor(at / bin) === s), 99).toFixed(0)}`);
      process.stderr.write(`relay-pg bench: p99 ms by ${bin} ms sent: ${line.join(', ')}\n`);
    }
    const latencies = latenciesSent(() => true);
    const pct = (p: number): number => Number(percentile(latencies, p).toFixed(1));
    const sum = (f: (p: (typeof parts)[number]) => number): number => parts.reduce((s, p) => s + f(p), 0);
    return {
      delivered: sum((p) => p.delivered),
      duplicates: sum((p) => p.duplicates),
      lost: sum((p) => p.lost),
      seconds: Math.max(...parts.map((p) => p.lastReceiveMs)) / 1000,
      p50: pct(50),
      p99: pct(99),
      p99After1s: Number(percentile(latenciesSent((at) => at >= 1000), 99).toFixed(1)),
      max: pct(100),
      reconnects: sum((p) => p.reconnects),
      // The worst thread's.
      loopP99: Number(Math.max(...parts.map((p) => p.loopP99)).toFixed(1)),
      loopMax: Number(Math.max(...parts.map((p) => p.loopMax)).toFixed(1)),
      messages: sum((p) => p.sent),
      cost,
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

const users = { agent1: 'agent' as const, ...Object.fromEntries(Array.from({ length: CONVERSATIONS }, (_, i) => [`customer${i}`, 'customer' as const])) };
const rate = { FMC_CHAT_RATE: process.env.FMC_BENCH_CHAT_RATE ?? '100000/100000', FMC_LOG_LEVEL: 'error' };

async function measure(name: string, instances: number, env: NodeJS.ProcessEnv, killAt?: number): Promise<Run> {
  const onPg = env.FMC_DATABASE_URL !== '';
  const cluster = await startCluster(instances, users, { ...rate, ...env }, ['--rate-limit', '0'], onPg ? { settings: { shared_preload_libraries: 'pg_stat_statements' } } : {});
  const probe = await probeOf(cluster, onPg);
  try {
    const noProbe: Probe = { begin: async () => undefined, end: async () => ({ fmcMs: 0, pgMs: 0, clientMs: 0 }) };
    const warmUp = WARMUP_MESSAGES > 0 ? await load(cluster, instances, noProbe, undefined, WARMUP_MESSAGES) : undefined;
    if (warmUp && (warmUp.lost > 0 || warmUp.duplicates > 0)) process.stderr.write(`relay-pg bench: ${name} warm-up lost ${warmUp.lost}, duplicated ${warmUp.duplicates}\n`);
    const run = await load(cluster, instances, probe, killAt);
    process.stderr.write(`relay-pg bench: ${name} done\n`);
    return { ...run, ...(warmUp ? { p99Cold: warmUp.p99, lost: run.lost + warmUp.lost, duplicates: run.duplicates + warmUp.duplicates } : {}) };
  } finally {
    await probe.close();
    await cluster.close();
  }
}

const runs = (process.env.FMC_BENCH_RUNS ?? 'sqlite,pg,killed').split(',');
const results: [string, Run][] = [];
if (runs.includes('sqlite')) results.push(['1 fmc serve, SQLite', await measure('1 instance, SQLite', 1, { FMC_DATABASE_URL: '' })]);
if (runs.includes('pg')) results.push(['3 fmc serve, PostgreSQL', await measure('3 instances, PostgreSQL', 3, {})]);
if (runs.includes('killed')) results.push(['3 fmc serve, PostgreSQL, 1 SIGKILLed at 40%', await measure('3 instances, PostgreSQL, one SIGKILLed', 3, {}, 0.4)]);

const perSecond = (r: Run): number => Math.round(r.delivered / r.seconds);
const row = (r: Run): string[] => [String(perSecond(r)), String(r.p50), String(r.p99), String(r.p99After1s), String(r.p99Cold ?? '-'), String(r.max), `${r.loopP99}/${r.loopMax}`, String(r.lost), String(r.duplicates), String(r.reconnects)];
const offered = Math.round((CONVERSATIONS * SOCKETS_PER_SIDE * 2 * 1000) / INTERVAL_MS);
process.stdout.write(`\n== relay-pg: 500 sockets, 50 conversations, ${CONVERSATIONS * SOCKETS_PER_SIDE * 2 * MESSAGES_PER_SOCKET} messages (${offered}/s offered), loopback\n`);
process.stdout.write(`  ${'run'.padEnd(42)} ${['deliveries/s', 'p50 ms', 'p99 ms', 'p99 ≥1s', 'p99 cold', 'max ms', 'client loop', 'lost', 'dup', 'reconnects'].map((h) => h.padStart(12)).join('')}\n`);
for (const [name, r] of results) process.stdout.write(`  ${name.padEnd(42)} ${row(r).map((v) => v.padStart(12)).join('')}\n`);
process.stdout.write(`  (measured after a warm-up of ${WARMUP_MESSAGES} messages a socket on other conversations; p99 cold: the warm-up's, on servers just started; p99 ≥1s: of the messages sent after the run's first second; lost/dup: of both; client loop: the load generator's event-loop delay, p99/max ms over the measured part, worst of its ${CLIENTS} thread(s))\n`);
const fixed = (x: number, d = 3): string => x.toFixed(d);
process.stdout.write(`\n  CPU per message sent (ms; per 1,000 deliveries = x100), first send to last delivery\n`);
process.stdout.write(`  ${'run'.padEnd(42)} ${['fmc serve', 'PostgreSQL', 'fmc+PG', 'clients', 'stmts/msg'].map((h) => h.padStart(12)).join('')}\n`);
for (const [name, r] of results) {
  const c = r.cost;
  const per = (x: number): string => fixed(x / r.messages);
  const cells = [per(c.fmcMs), per(c.pgMs), per(c.fmcMs + c.pgMs), per(c.clientMs), c.statements === undefined ? '-' : fixed(c.statements / r.messages, 2)];
  process.stdout.write(`  ${name.padEnd(42)} ${cells.map((v) => v.padStart(12)).join('')}\n`);
}
for (const [name, r] of results) {
  if (!r.cost.top) continue;
  process.stdout.write(`\n  ${name}: statements by calls (per message, mean ms, total s)\n`);
  for (const t of r.cost.top) process.stdout.write(`    ${fixed(t.calls / r.messages, 2).padStart(6)} ${fixed(t.meanMs, 3).padStart(8)} ${fixed(t.totalMs / 1000, 2).padStart(7)}  ${t.query}\n`);
}
const sqlite = results.find(([n]) => n.includes('SQLite'))?.[1];
const pg3 = results.find(([n]) => n === '3 fmc serve, PostgreSQL')?.[1];
if (sqlite && pg3) process.stdout.write(`\n  ratio PostgreSQL / SQLite: deliveries/s ${(perSecond(pg3) / perSecond(sqlite)).toFixed(2)}, p99 ${(pg3.p99 / sqlite.p99).toFixed(2)}\n`);
