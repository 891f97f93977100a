import { Chalk, type ChalkInstance } from 'chalk';

/** chalk with NO_COLOR honoured (https://no-color.org), which chalk itself ignores. */
export function colorsFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  if ('NO_COLOR' in env && env.NO_COLOR !== '') return new Chalk({ level: 0 });
  if (env.FORCE_COLOR !== undefined) return new Chalk();
  return new Chalk({ level: stream.isTTY ? 1 : 0 });
}
