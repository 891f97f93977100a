import { open, stat, type FileHandle } from 'node:fs/promises';
import { FmcError, ioReason } from '../errors.js';

/** The input, checked and opened before a byte is read: a regular file, a FIFO (`<(cat x)`) or a device. */
export async function openInputFile(path: string): Promise<{ handle: FileHandle; size: number | undefined }> {
  const cannot = (err: NodeJS.ErrnoException): FmcError => {
    if (err.code === 'ENOENT') return new FmcError('FMC_ERR_INPUT_MISSING', `${path}: no such file`);
    if (err.code === 'EACCES' || err.code === 'EPERM') {
      return new FmcError('FMC_ERR_INPUT_UNREADABLE', `${path}: cannot be read: ${ioReason(err)}; check its permissions (ls -l) or run fmc as a user who may read it`);
    }
    return new FmcError('FMC_ERR_INPUT_NOT_FILE', `${path}: cannot read (${ioReason(err)})`);
  };
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw cannot(err);
  });
  if (!info.isFile() && !info.isFIFO() && !info.isCharacterDevice()) {
    const what = info.isDirectory() ? 'a directory' : info.isSocket() ? 'a socket' : 'a block device';
    throw new FmcError('FMC_ERR_INPUT_NOT_FILE', `${path}: is ${what}, not a CSV or JSONL file`);
  }
  if (info.isFile() && info.size === 0) throw new FmcError('FMC_ERR_INPUT_EMPTY', `${path}: file is empty (expected a header line, then one row per tweet)`);
  // A FIFO opens once its writer has: in the thread pool, so a signal still stops the wait.
  const handle = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw cannot(err);
  });
  return { handle, size: info.isFile() ? info.size : undefined };
}
