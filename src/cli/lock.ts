import { linkSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FmcError } from '../errors.js';
import { fmcRunning } from '../fmc-running.js';

export interface Lock {
  release(): void;
}

/**
 * What an fmc lock file holds: the holder's pid, then a line naming it as fmc's. Only a
 * file of exactly this shape is ever taken over: `--lock in.csv` must never delete the input.
 * The bare `<pid>` line of earlier versions still counts, so a lock left by a crash before
 * an upgrade does not block the service for good.
 */
const lockText = (pid: number): string => `${pid}\nfmc lock\n`;
const LOCK_TEXT = /^([1-9][0-9]{0,9})\n(?:fmc lock\n)?$/;
/** Larger than any lock file: such a file is not read, let alone removed. */
const MAX_LOCK_BYTES = 32;

/** Lock paths this process holds: a file with our own pid is only ours if we took it. */
const heldHere = new Set<string>();

/**
 * Whether the lock file at `path` is still held (its holder's pid), stale (false), gone
 * (undefined), or not an fmc lock at all (the reason, for the refusal).
 */
function held(path: string): { pid: number } | { notLock: string } | false | undefined {
  let text: string;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return { notLock: stat.isDirectory() ? 'a directory' : 'not a regular file' };
    if (stat.size > MAX_LOCK_BYTES) return { notLock: `${stat.size} bytes` };
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const match = LOCK_TEXT.exec(text);
  if (!match) return { notLock: text.length === 0 ? 'empty' : 'content is not "<pid>\\nfmc lock"' };
  const pid = Number(match[1]);
  // In a container fmc may get the same pid every start: our own pid is stale unless we took it.
  if (pid === process.pid) return heldHere.has(path) ? { pid } : false;
  return fmcRunning(pid) ? { pid } : false;
}

/**
 * Creates `path` holding our pid, or fails with EEXIST. The pid goes into a temp file first
 * and is then linked into place (link fails if the path exists), so no taker ever sees the
 * lock file empty or half written.
 */
function create(path: string): void {
  // Named like a lock file, so a crash right here leaves nothing backups or health count as data.
  const temp = `${path}.${process.pid}.lock`;
  writeFileSync(temp, lockText(process.pid), { mode: 0o644 });
  try {
    linkSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * An exclusive pid-file lock for cron runs and the data dir. A lock left by a crashed run
 * (its pid is gone, or is no longer fmc) is taken over rather than blocking every later run;
 * a file that is not an fmc lock is refused and left as it is.
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
            if (readFileSync(path, 'utf8') === lockText(process.pid)) unlinkSync(path);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new FmcError('FMC_ERR_USAGE', `--lock ${lockPath}: cannot create lock file (${code})`);
      const holder = held(path);
      if (holder && 'notLock' in holder) {
        throw new FmcError('FMC_ERR_USAGE', `--lock ${lockPath}: exists and is not an fmc lock file (${holder.notLock}); fmc leaves it alone: choose another lock path`);
      }
      if (holder) throw new FmcError('FMC_ERR_LOCKED', `--lock ${lockPath}: another fmc run (pid ${holder.pid}) holds the lock; exiting`);
      if (holder === false) rmSync(path, { force: true });
    }
  }
  throw new FmcError('FMC_ERR_LOCKED', `--lock ${lockPath}: lock is contended; exiting`);
}
