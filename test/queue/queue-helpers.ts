// Real `fmc worker` and `fmc classify --queue` processes on a real PostgreSQL (test/pg),
// with pg-boss's expiry and retries shortened so a killed worker's chunk returns in seconds.
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { fmcBin } from '../helpers.js';

export interface Proc {
  readonly child: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
}

export function queueEnv(url: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NO_COLOR: '1',
    FMC_DATABASE_URL: url,
    FMC_QUEUE_EXPIRE_SECONDS: '3',
    FMC_QUEUE_MAINTENANCE_SECONDS: '1',
    FMC_QUEUE_RETRY_DELAY_SECONDS: '0',
    FMC_QUEUE_POLL_MS: '100',
    ...extra,
  };
}

const live = new Set<ChildProcess>();

/** SIGKILLs every fmc process a test started that still runs. */
export function killAll(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export function spawnFmc(args: readonly string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [fmcBin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.on('close', () => live.delete(child));
  let err = '';
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, stderr: () => err, stdout: () => out, exited };
}

/** Waits until `check` holds (polling), or fails with `what`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A worker, once it says it is waiting for chunks. */
export async function startWorker(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Proc> {
  const w = spawnFmc(['worker', ...args], env);
  await until(() => /waiting for chunks/.test(w.stderr()) || w.child.exitCode !== null, 'a worker to start');
  if (w.child.exitCode !== null) throw new Error(`worker exited ${w.child.exitCode}: ${w.stderr()}`);
  return w;
}

export async function stopWorkers(workers: readonly Proc[]): Promise<void> {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
}

export async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
