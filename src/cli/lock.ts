import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { FmcError } from '../errors.js';

export interface Lock {
  release(): void;
}

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
 * An exclusive pid-file lock for cron runs. `wx` creation is atomic; a lock left by a
 * crashed run (its pid is gone) is taken over rather than blocking every later run.
 */
export function acquireLock(path: string): Lock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new FmcError('FMC_ERR_USAGE', `--lock ${path}: cannot create lock file (${code})`);
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new FmcError('FMC_ERR_LOCKED', `--lock ${path}: another fmc run (pid ${pid}) holds the lock; exiting`);
      }
      unlinkSync(path);
    }
  }
  throw new FmcError('FMC_ERR_LOCKED', `--lock ${path}: lock is contended; exiting`);
}
