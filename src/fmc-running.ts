import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

// Whether a pid left in a lock file or a temp file's name is still a running fmc: the one
// question behind taking over a lock and sweeping an interrupted run's temp files.

/** Whether any process has `pid` (fmc or not). */
export function pidAlive(pid: number): boolean {
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
export function fmcRunning(pid: number): boolean {
  if (process.platform !== 'linux') return pidAlive(pid);
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    return pidAlive(pid);
  }
  return cmdline.split('\0').some((arg) => /^fmc(\.js)?$/.test(basename(arg)));
}
