// CPU time of processes, read from /proc/<pid>/stat (Linux): what a run cost in CPU seconds,
// which a shared machine's other jobs move much less than they move latencies.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK).
const TICK_MS = 10;

interface Stat {
  readonly ppid: number;
  /** utime + stime, ms. */
  readonly own: number;
  /** cutime + cstime (children waited for), ms. */
  readonly children: number;
}

function stat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces: the fields after its closing parenthesis.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, utime..cstime fields 14..17.
  const n = (field: number): number => Number(f[field - 3]);
  return { ppid: n(4), own: (n(14) + n(15)) * TICK_MS, children: (n(16) + n(17)) * TICK_MS };
}

/** CPU ms used so far by `pid` (its own threads only). */
export function cpuMs(pid: number): number {
  return stat(pid)?.own ?? 0;
}

/**
 * CPU ms used so far by a PostgreSQL server: the postmaster (its pid is the first line of
 * postmaster.pid), its live backends and helpers, and the ones that exited (in its cutime).
 */
export function postgresCpuMs(dataDir: string): number {
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const top = stat(postmaster);
  if (!top) return 0;
  let total = top.own + top.children;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s?.ppid === postmaster) total += s.own;
  }
  return total;
}
