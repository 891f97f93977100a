import { once } from 'node:events';
import { realpath } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { FmcError } from '../errors.js';
import { checkOutputTarget, openOutputFile, writeFailure, type OutputFile } from './output-file.js';
import { csvLines } from './csv-line.js';

export type OutputFormat = 'csv' | 'jsonl';

/** Where rows go: a file (through a temp file renamed on commit) or a stream. */
export interface RowSink {
  /** Appends rows; resolves when the destination can take more (back-pressure). */
  writeRows(rows: readonly (readonly unknown[])[]): Promise<void>;
  /** Appends rows already serialized (see format-rows.ts), as text or UTF-8 bytes. */
  writeText(text: string | Uint8Array): Promise<void>;
  /** Flushes, fsyncs and renames into place: readers never see a half-written file. */
  commit(): Promise<void>;
  /** Drops the temp file; an existing output file is left untouched. */
  abort(): Promise<void>;
}

export function formatFor(path: string, explicit: OutputFormat | undefined): OutputFormat {
  if (explicit) return explicit;
  return /\.jsonl?$/i.test(path) ? 'jsonl' : 'csv';
}

/** `<input-base>.classified.csv` beside the input (stdin: in the working directory). */
export function defaultOutputPath(input: string, format: OutputFormat): string {
  if (input === '-') return resolve(`stdin.classified.${format}`);
  const base = basename(input, extname(input));
  return join(dirname(input), `${base}.classified.${format}`);
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const real = async (p: string): Promise<string> => {
    try {
      return await realpath(p);
    } catch {
      // Not created yet: its directory may still be a link to the input's.
      return join(await realpath(dirname(p)).catch(() => resolve(dirname(p))), basename(p));
    }
  };
  return (await real(a)) === (await real(b));
}

export function serializer(format: OutputFormat, columns: readonly string[]): (rows: readonly (readonly unknown[])[]) => string {
  if (format === 'csv') return csvLines;
  return (rows) => {
    let out = '';
    for (const row of rows) {
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) obj[columns[i]!] = row[i];
      out += JSON.stringify(obj) + '\n';
    }
    return out;
  };
}

const WRITES_AHEAD = 4;

/** The header line (CSV) is written at open, so an empty result is still a valid file. */
export async function openFileSink(options: {
  path: string;
  format: OutputFormat;
  columns: readonly string[];
  inputPath?: string | undefined;
  /** Already opened (checked before the input was read); else opened here. */
  file?: OutputFile | undefined;
}): Promise<RowSink> {
  const { path, format, columns } = options;
  if (options.inputPath && options.inputPath !== '-' && (await sameFile(options.inputPath, path))) {
    throw new FmcError('FMC_ERR_OUTPUT_IS_INPUT', `${path}: output would overwrite the input; choose another -o path`);
  }
  const file = options.file ?? (await openOutputFile(await checkOutputTarget(path)));
  const { handle } = file;
  const serialize = serializer(format, columns);
  // Writes go straight to the handle, one after the other. A caller waits only while
  // WRITES_AHEAD are queued: waiting on each write left the reading thread idle for a
  // fifth of a run. The first failure is reported by the next write or by commit.
  let queued = 0;
  let last: Promise<void> = Promise.resolve();
  let failure: FmcError | undefined;
  const write = async (text: string | Uint8Array): Promise<void> => {
    if (failure) throw failure;
    if (text.length === 0) return;
    queued++;
    last = last
      .then(async () => {
        if (!failure) await (typeof text === 'string' ? handle.write(text) : handle.write(text));
      })
      .catch((err: Error) => {
        failure ??= writeFailure(path, err);
      })
      .finally(() => queued--);
    if (queued >= WRITES_AHEAD) await last;
    if (failure) throw failure;
  };
  const drained = async (): Promise<void> => {
    await last;
    if (failure) throw failure;
  };
  if (format === 'csv') await write(serialize([columns]));
  return {
    writeRows: (rows) => write(serialize(rows)),
    writeText: write,
    async commit() {
      await drained();
      await file.commit();
    },
    async abort() {
      await last;
      await file.abort();
    },
  };
}

/**
 * Waits for room in the stream's buffer, or its end; leaves no listener behind. An error
 * also ends the wait (`once` rejects with it): the sink's own listener has recorded it.
 */
async function drainOrClose(stream: Writable): Promise<void> {
  const ac = new AbortController();
  try {
    await Promise.race([once(stream, 'drain', { signal: ac.signal }), once(stream, 'close', { signal: ac.signal })]);
  } catch {
    // Reported by the next check.
  } finally {
    ac.abort();
  }
}

/**
 * Rows to a stream (stdout, an HTTP response). A failed write (the reader gone: EPIPE; a
 * full disk behind stdout) fails the next write or the commit, so the run stops, cleans up
 * and says so instead of ending as if all was written.
 */
export function openStreamSink(options: { stream: Writable; format: OutputFormat; columns: readonly string[]; name?: string }): RowSink {
  const { stream, format, columns } = options;
  const name = options.name ?? 'output stream';
  const serialize = serializer(format, columns);
  let failure: Error | undefined;
  const onError = (err: Error): void => {
    failure ??= err;
  };
  stream.on('error', onError);
  const check = (): void => {
    if (failure) throw writeFailure(name, failure);
  };
  // Settles once the last write has reached the system: commit waits for it, so an error
  // on the final bytes still fails the run.
  let flushed: Promise<void> = Promise.resolve();
  let headerDone = format !== 'csv';
  const write = async (text: string | Uint8Array): Promise<void> => {
    check();
    if (text.length === 0) return;
    let done!: () => void;
    flushed = new Promise<void>((resolve) => (done = resolve));
    const more = stream.write(text, (err) => {
      if (err) failure ??= err;
      done();
    });
    if (!more) await drainOrClose(stream);
    check();
  };
  const header = async (): Promise<void> => {
    if (headerDone) return;
    headerDone = true;
    await write(serialize([columns]));
  };
  return {
    async writeRows(rows) {
      await header();
      await write(serialize(rows));
    },
    async writeText(text) {
      await header();
      await write(text);
    },
    async commit() {
      await header();
      if (!stream.destroyed) await flushed;
      stream.off('error', onError);
      check();
    },
    async abort() {
      stream.off('error', onError);
    },
  };
}
