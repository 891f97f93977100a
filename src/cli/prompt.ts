import type { Readable, Writable } from 'node:stream';
import type { ReadStream } from 'node:tty';

/** Reads one line from a terminal without echoing it (a password). Ctrl-C rejects. */
export function promptHidden(input: ReadStream, output: Writable, question: string): Promise<string> {
  output.write(question);
  return new Promise((resolve, reject) => {
    let line = '';
    const done = (err?: Error): void => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      output.write('\n');
      if (err) reject(err);
      else resolve(line);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    };
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}

/** The first line of a piped stdin (`printf 'secret\n' | fmc users add …`). */
export async function readFirstLine(input: Readable): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    const end = text.search(/\r?\n/);
    if (end >= 0) return text.slice(0, end);
  }
  return text;
}
