import type { Readable, Writable } from 'node:stream';

/** What a command reads and writes besides its files: tests pass their own. */
export interface CommandIO {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
}

export const processIO = (): CommandIO => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
