// `npm run bench serve`: fmc serve under autocannon. The server runs in its own process
// (one core) and autocannon in this one (the other), as on the 2-core target machine.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { parse } from 'csv-parse/sync';
import { fixture, fmcBin } from '../helpers.js';

export interface ServeFigures {
  readonly requestsPerSecond: number;
  /** From the server's own latency histogram: the bucket bound under which 99% fell. */
  readonly serverP99BoundMs: number;
  /** Load average during the run: the two cores are shared, so figures move with it. */
  readonly loadAverage: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly errors: number;
  readonly non2xx: number;
}

async function startServer(dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  // The rate limiter stays on (its cost is part of the figure) with a budget no client reaches.
  const child = spawn(
    process.execPath,
    [fmcBin, 'serve', '--port', '0', '--provider', 'rules', '--data-dir', join(dir, 'serve-data'), '--cache', join(dir, 'serve-cache.sqlite'), '--rate-limit', '1000000000'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FMC_LOG_LEVEL: 'warn' } },
  );
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`fmc serve exited ${code}: ${stderr}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** /api/classify's latency histogram from /metrics: [bound in ms, cumulative count]. */
async function classifyHistogram(url: string): Promise<[number, number][]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets: [number, number][] = [];
  for (const m of text.matchAll(/^fmc_http_request_duration_seconds_bucket\{le="([^"]+)",method="POST",route="\/api\/classify",status="200"\} (\d+)$/gm)) {
    buckets.push([m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000, Number(m[2])]);
  }
  return buckets;
}

/** The smallest bound with 99% of the requests between two scrapes under it. */
function p99Bound(before: [number, number][], after: [number, number][]): number {
  const counts = after.map(([bound, n], i) => [bound, n - (before[i]?.[1] ?? 0)] as const);
  const total = counts.at(-1)?.[1] ?? 0;
  return counts.find(([, n]) => n >= total * 0.99)?.[0] ?? NaN;
}

/** One tweet per request, cycling through the sample; a warm-up pass first. */
export async function benchServe(dir: string, seconds = 10): Promise<ServeFigures> {
  const tweets = (parse(readFileSync(fixture('tweets.csv')), { columns: true }) as { text: string }[]).map((r) => JSON.stringify({ texts: [r.text] }));
  const server = await startServer(dir);
  try {
    let next = 0;
    const request = {
      method: 'POST',
      path: '/api/classify',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req: { body?: string }) => ({ ...req, body: tweets[next++ % tweets.length]! }),
    };
    const options = { url: server.url, connections: 10, pipelining: 1, requests: [request] };
    // Warm-up: JIT, the cache and every code path the measured run takes.
    await autocannon({ ...options, amount: tweets.length });
    const before = await classifyHistogram(server.url);
    const result = await autocannon({ ...options, duration: seconds });
    return {
      requestsPerSecond: Math.round(result.requests.average),
      serverP99BoundMs: p99Bound(before, await classifyHistogram(server.url)),
      loadAverage: loadavg()[0]!,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      maxMs: result.latency.max,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
    };
  } finally {
    await server.stop();
  }
}
