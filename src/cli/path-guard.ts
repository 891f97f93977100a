import { fstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FmcError } from '../errors.js';

// fmc never writes over a file it reads or writes for another purpose: not the input, not
// the output, summary, lock or cache of the same run. Paths are compared as files, not
// strings: through symlinks (real paths) and hard links (device and inode).

export interface RunPath {
  /** The flag that named it, for the message: '-o', '--summary-json', 'input'… */
  readonly flag: string;
  /** A path, or '-' for stdin (read) / stdout (written). */
  readonly path: string;
  readonly writes: boolean;
}

/** The file descriptors behind '-': absent when the caller's streams are not the process's. */
export interface Stdio {
  readonly stdinFd?: number | undefined;
  readonly stdoutFd?: number | undefined;
}

const inode = (s: Stats): string => `inode:${s.dev}:${s.ino}`;

/**
 * The names a path goes by: its inode when it exists, and its real path (a missing file:
 * its directory's real path plus its name). A character device (/dev/null, a terminal) has
 * none: writing the output and the summary both to /dev/null is fine.
 */
function identities(p: RunPath, stdio: Stdio): string[] {
  if (p.path === '-') {
    const fd = p.writes ? stdio.stdoutFd : stdio.stdinFd;
    const keys = [p.writes ? 'stdout' : 'stdin'];
    if (fd !== undefined) {
      try {
        const s = fstatSync(fd);
        if (!s.isCharacterDevice()) keys.push(inode(s));
      } catch {
        // A closed descriptor: nothing to compare.
      }
    }
    return keys;
  }
  let info: Stats | undefined;
  try {
    info = statSync(p.path);
  } catch {
    // Missing (to be created) or unreachable: the real path of its directory still counts.
  }
  if (info?.isCharacterDevice()) return [];
  const real = (path: string): string => {
    try {
      return realpathSync(path);
    } catch {
      const dir = dirname(path);
      return dir === path ? resolve(path) : join(real(dir), basename(path));
    }
  };
  const keys = [`path:${real(resolve(p.path))}`];
  if (info) keys.push(inode(info));
  return keys;
}

/** Throws at the first path written that is also another path of the run. */
export function checkDistinctPaths(paths: readonly RunPath[], stdio: Stdio = {}): void {
  const seen: { p: RunPath; keys: string[] }[] = [];
  for (const p of paths) {
    const keys = identities(p, stdio);
    for (const other of seen) {
      if (!p.writes && !other.p.writes) continue;
      if (!keys.some((k) => other.keys.includes(k))) continue;
      const [reader, writer] = !p.writes ? [p, other.p] : !other.p.writes ? [other.p, p] : [undefined, p];
      if (reader) {
        const what = writer.flag === '-o' ? 'output' : writer.flag;
        const name = writer.path === '-' ? 'stdout' : writer.path;
        throw new FmcError('FMC_ERR_OUTPUT_IS_INPUT', `${name}: ${what} would overwrite the input${reader.path === '-' ? ' (stdin)' : ''}; choose another ${writer.flag} path`);
      }
      if (p.path === '-' && other.p.path === '-') {
        throw new FmcError('FMC_ERR_USAGE', `${other.p.flag} - and ${p.flag} - both write to stdout; send one of them to a file`);
      }
      throw new FmcError('FMC_ERR_USAGE', `${p.path}: ${other.p.flag} and ${p.flag} name the same file; give each its own path`);
    }
    seen.push({ p, keys });
  }
}
