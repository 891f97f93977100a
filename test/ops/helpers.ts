import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import type { CommandIO } from '../../src/cli/command-io.js';
import { fmcBin } from '../helpers.js';

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` with args without blocking the event loop (a loopback fake in this process must keep answering). */
export function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    // A command that exits without reading stdin makes the write below fail with EPIPE: harmless.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** The CLI as users run it (bin/fmc.js through cli/main.ts, so exit codes are the real ones). */
export const fmc = (args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<Ran> =>
  run(process.execPath, [fmcBin, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, input });

/** Environment pointing every fmc path at `dir`, so nothing touches the real home. */
export function isolatedEnv(dir: string): NodeJS.ProcessEnv {
  return { FMC_DATA_DIR: `${dir}/data`, FMC_CACHE: `${dir}/cache/cache.sqlite`, XDG_CACHE_HOME: `${dir}/xdg-cache`, XDG_DATA_HOME: `${dir}/xdg-data`, FMC_JWT_SECRET: '', GEMINI_API_KEY: '', OPENAI_BASE_URL: '', OPENAI_API_KEY: '' };
}

/** A CommandIO whose stdout is collected, for calling commands in-process. */
export function captureIO(env: NodeJS.ProcessEnv): { io: CommandIO; stdout: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const io: CommandIO = { stdin: Readable.from([]), stdout: out, stderr: new PassThrough() as unknown as NodeJS.WriteStream, env: { NO_COLOR: '1', ...env } };
  return { io, stdout: () => text };
}

export interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  stop(): Promise<void>;
}

/** A real `fmc serve` on an ephemeral loopback port; resolves once it prints where it listens. */
export function serveFmc(env: NodeJS.ProcessEnv, args: readonly string[] = []): Promise<Served> {
  // FMC_BENCH_PROF=<dir>: each server writes a CPU profile there when it exits (the benches that start servers).
  const profile = process.env.FMC_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FMC_BENCH_PROF}`] : [];
  // FMC_BENCH_NODE_ARGS='<flags>': node/V8 flags for each server (NODE_OPTIONS refuses most V8 ones).
  const nodeArgs = process.env.FMC_BENCH_NODE_ARGS ? process.env.FMC_BENCH_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...profile, ...nodeArgs, fmcBin, 'serve', '--port', '0', '--host', '127.0.0.1', '--provider', 'rules', ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr!.on('data', (c: Buffer) => {
      text += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (m) resolve({ child, url: m[1]!, stop: async () => void (child.exitCode === null && child.kill('SIGTERM'), await exited) });
    });
    void exited.then(() => reject(new Error(`fmc serve exited early: ${text}`)));
  });
}

/**
 * A shipped template (src/ops/templates) with its server paths moved under `root`, and the
 * node binary that runs these tests: what the tests run is the template itself.
 */
export function localizeTemplate(text: string, root: string): string {
  return text
    .replaceAll('/usr/bin/node', process.execPath)
    .replace(/(?<=[\s=>])\/(var|srv|etc|opt)\//g, `${root}/$1/`);
}
