import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, open, readdir, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { FmcError, ioReason } from '../errors.js';
import { fmcRunning } from '../fmc-running.js';

// Every file fmc writes (the labeled output, --summary-json) goes through here. A regular
// file is written beside its target and renamed over it at the end, so nobody sees half a
// file; a character device or FIFO (/dev/null, /dev/stdout, a named pipe) is written
// straight, since renaming onto one would replace the device itself.

export type OutputTarget =
  | {
      readonly kind: 'file';
      readonly path: string;
      /** The file the rename replaces: the link's target when `path` is a symlink, which stays a link. */
      readonly target: string;
    }
  | { readonly kind: 'stream'; readonly path: string };

export interface OutputFile {
  readonly path: string;
  /** Where the bytes go until commit: the temp file, or the device itself. */
  readonly handle: FileHandle;
  /** Flushes and puts the file in place (a device: closes it). */
  commit(): Promise<void>;
  /** Closes and removes the temp file; whatever was at the path is left as it was. */
  abort(): Promise<void>;
}

/** Temp files this process writes: never swept, whatever their pid says. */
const ownTemps = new Set<string>();

function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** `.<name>.tmp-<pid>-<8 hex>`: the names tempPathFor gives, and nothing else. */
const TEMP_NAME = /^\..+\.tmp-([1-9][0-9]{0,9})-[0-9a-f]{8}$/;

/**
 * Removes the temp files that runs killed with -9 (or a second Ctrl-C) left in the folder
 * of `target`, whatever output they were for (a nightly run writes a new name each day):
 * only names of our own pattern, only regular files, only when their pid is no running fmc
 * (a live run's temp file is its output in the making). Returns what it removed.
 */
export async function sweepStaleTemps(target: string): Promise<string[]> {
  const dir = dirname(target);
  const names = await readdir(dir).catch(() => [] as string[]);
  const swept: string[] = [];
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (!match) continue;
    const path = join(dir, name);
    const pid = Number(match[1]);
    // Our own pid on a file we did not make: a container's fixed pid, from an earlier run.
    if (ownTemps.has(path) || (pid !== process.pid && fmcRunning(pid))) continue;
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isFile()) continue;
    if (await unlink(path).then(() => true, () => false)) swept.push(path);
  }
  return swept;
}

/**
 * What writing `path` would mean, decided before a row is read: replace a regular file,
 * write a device or FIFO as it is, or refuse (a directory, socket or block device; a
 * directory that is missing or not writable).
 */
export async function checkOutputTarget(path: string, flag = '-o'): Promise<OutputTarget> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new FmcError('FMC_ERR_OUTPUT_UNWRITABLE', `${path}: cannot write in ${resolve(dirname(path))} (${err.code ?? err.message}); choose another ${flag} path`);
  });
  if (info?.isCharacterDevice() || info?.isFIFO()) return { kind: 'stream', path };
  if (info && !info.isFile()) {
    const what = info.isDirectory() ? 'a directory' : info.isSocket() ? 'a socket' : info.isBlockDevice() ? 'a block device' : 'not a regular file';
    const hint = info.isDirectory() ? `give a file path such as ${join(path, 'labeled.csv')}` : `choose another ${flag} path`;
    throw new FmcError('FMC_ERR_OUTPUT_NOT_FILE', `${path}: ${flag} is ${what}; ${hint}`);
  }
  // A dangling symlink has no real path: it is then replaced like a missing file.
  const target = info ? await realpath(path) : path;
  const dir = dirname(target);
  try {
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new FmcError('FMC_ERR_OUTPUT_UNWRITABLE', `${path}: cannot write in ${resolve(dir)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); choose another ${flag} path`);
  }
  return { kind: 'file', path, target };
}

/** Opens the target for writing: a temp file beside it (after sweeping stale ones), or the device. */
export async function openOutputFile(target: OutputTarget, flag = '-o'): Promise<OutputFile> {
  const { path } = target;
  const unwritable = (err: unknown, where: string): FmcError =>
    err instanceof FmcError ? err : new FmcError('FMC_ERR_OUTPUT_UNWRITABLE', `${path}: cannot write ${where} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); choose another ${flag} path`);
  if (target.kind === 'stream') {
    // 'w' on a FIFO waits for a reader, as a shell's `>` does; a device ignores the truncation.
    const handle = await open(path, 'w').catch((err: unknown) => {
      throw unwritable(err, 'to it');
    });
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await handle.close();
    };
    return { path, handle, commit: close, abort: () => close().catch(() => undefined) };
  }

  await sweepStaleTemps(target.target);
  const temp = tempPathFor(target.target);
  let handle: FileHandle;
  try {
    // open()'s default 0o666 under the user's umask, as a plain new file would get.
    handle = await open(temp, 'wx');
  } catch (err) {
    throw unwritable(err, `in ${dirname(resolve(target.target))}`);
  }
  ownTemps.add(temp);
  const drop = async (): Promise<void> => {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    ownTemps.delete(temp);
  };
  // A file being replaced keeps its mode, so a private output never becomes readable by others.
  const existing = await stat(target.target).catch(() => undefined);
  if (existing) {
    await handle.chmod(existing.mode & 0o7777).catch(async (err: Error) => {
      await drop();
      throw new FmcError('FMC_ERR_OUTPUT_UNWRITABLE', `${path}: cannot give the new file the old one's mode (${(err as NodeJS.ErrnoException).code ?? err.message})`);
    });
  }
  return {
    path,
    handle,
    async commit() {
      try {
        await handle.sync();
        await handle.close();
        await rename(temp, target.target);
        ownTemps.delete(temp);
      } catch (err) {
        await drop();
        throw new FmcError('FMC_ERR_OUTPUT_UNWRITABLE', `${path}: write failed: ${ioReason(err)}; the previous file, if any, is unchanged`);
      }
    },
    abort: drop,
  };
}

/** A failed write: its reader gone (a FIFO, stdout: EPIPE) or the disk full. */
export function writeFailure(name: string, err: Error): FmcError {
  if ((err as NodeJS.ErrnoException).code === 'EPIPE') {
    return new FmcError('FMC_ERR_OUTPUT_CLOSED', `${name}: closed by its reader before the end (EPIPE); the run stopped, the output is incomplete`);
  }
  return new FmcError('FMC_ERR_OUTPUT_UNWRITABLE', `${name}: write failed: ${ioReason(err)}`);
}

/** Text to a stream (the summary on stdout), resolved once written; fails like writeFailure. */
export function writeToStream(stream: Writable, text: string, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(writeFailure(name, err)) : resolve()));
  });
}

/** A small file in one go (the summary): same target rules, temp file and rename. */
export async function writeOutputFile(target: OutputTarget, data: string, flag: string): Promise<void> {
  const file = await openOutputFile(target, flag);
  try {
    await file.handle.writeFile(data);
  } catch (err) {
    await file.abort();
    throw writeFailure(target.path, err as Error);
  }
  await file.commit();
}
