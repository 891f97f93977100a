import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file whether it runs from test/ (tsx) or dist/test/. */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
})();

export const fixture = (...parts: string[]): string => join(repoRoot, 'fixtures', ...parts);

/** The CLI entry, as users run it. */
export const fmcBin: string = join(repoRoot, 'bin', 'fmc.js');

/** A fresh temp dir, removed by the returned cleanup. */
export function tempDir(prefix = 'fmc-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface FmcResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI as a child process; `nodeArgs` go before the script (e.g. --import a preload). */
export function runFmc(args: readonly string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; nodeArgs?: readonly string[] } = {}): FmcResult {
  const r = spawnSync(process.execPath, [...(options.nodeArgs ?? []), fmcBin, ...args], {
    input: options.input,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A real fmc run holding the lock at `lockPath` (a classify waiting on stdin) until
 * `release()`: a lock's holder must be a live fmc, not just a live pid.
 */
export async function holdLock(lockPath: string): Promise<{ pid: number; release(): Promise<number | null> }> {
  const child = spawn(process.execPath, [fmcBin, 'classify', '-', '-o', '-', '--provider', 'rules', '--no-cache', '--quiet', '--lock', lockPath], { stdio: ['pipe', 'ignore', 'ignore'] });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  while (!existsSync(lockPath)) {
    if (child.exitCode !== null) throw new Error(`fmc exited ${child.exitCode} before taking ${lockPath}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    pid: child.pid!,
    release() {
      child.stdin.end('text\nbonjour\n');
      return exited;
    },
  };
}

/** A cell as fmc's CSV output holds it by default: `'` before a formula start (OWASP's escape). */
export const formulaEscaped = (cell: string): string => (/^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(cell) ? `'${cell}` : cell);
