import { linkSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { FmcError } from '../errors.js';

export interface Lock {
  release(): void;
}

/** A lock file with no pid yet is a taker between create and write, unless it is older than this. */
const EMPTY_LOCK_GRACE_MS = 2000;

/** Lock paths this process holds: a file with our own pid is only ours if we took it. */
const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `pid` is a live fmc. After a crash and a reboot the pid may belong to anything,
 * so on Linux the holder must also be fmc (`node .../fmc.js` or `fmc`); elsewhere, all we
 * can tell is whether the pid lives.
 */
function fmcRunning(pid: number): boolean {
  if (process.platform !== 'linux') return alive(pid);
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    return alive(pid);
  }
  return cmdline.split('\0').some((arg) => /^fmc(\.js)?$/.test(basename(arg)));
}

/** Whether the lock file at `path` is still held; undefined when it is gone. */
function held(path: string): { pid: number } | 'empty' | false | undefined {
  let text: string;
  let ageMs: number;
  try {
    text = readFileSync(path, 'utf8');
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const pid = Number.parseInt(text, 10);
  if (!Number.isInteger(pid) || pid <= 0) return ageMs < EMPTY_LOCK_GRACE_MS ? 'empty' : false;
  // In a container fmc may get the same pid every start: our own pid is stale unless we took it.
  if (pid === process.pid) return heldHere.has(path) ? { pid } : false;
  return fmcRunning(pid) ? { pid } : false;
}

/**
 * Creates `path` holding our pid, or fails with EEXIST. The pid goes into a temp file first
 * and is then linked into place (link fails if the path exists), so no taker ever sees the
 * lock file empty.
 */
function create(path: string): void {
  // Named like a lock file, so a crash right here leaves nothing backups or health count as data.
  const temp = `${path}.${process.pid}.lock`;
  writeFileSync(temp, `${process.pid}\n`, { mode: 0o644 });
  try {
    linkSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * An exclusive pid-file lock for cron runs and the data dir. A lock left by a crashed run
 * (its pid is gone, or is no longer fmc) is taken over rather than blocking every later run.
 */
export function acquireLock(lockPath: string): Lock {
  const path = resolve(lockPath);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      create(path);
      heldHere.add(path);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          heldHere.delete(path);
          try {
            if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new FmcError('FMC_ERR_USAGE', `--lock ${lockPath}: cannot create lock file (${code})`);
      const holder = held(path);
      if (holder === 'empty') throw new FmcError('FMC_ERR_LOCKED', `--lock ${lockPath}: another fmc run is taking the lock; exiting`);
      if (holder) throw new FmcError('FMC_ERR_LOCKED', `--lock ${lockPath}: another fmc run (pid ${holder.pid}) holds the lock; exiting`);
      if (holder === false) rmSync(path, { force: true });
    }
  }
  throw new FmcError('FMC_ERR_LOCKED', `--lock ${lockPath}: lock is contended; exiting`);
}
